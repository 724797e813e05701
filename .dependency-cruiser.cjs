/**
 * The house rules of DESIGN.md, checked on every `npm test` and in CI.
 * protocol imports nothing but typebox; agent and hub never import each other;
 * simulators reach the programs only through their public interfaces (no imports);
 * lib is below everything; nothing but test/ imports test/.
 */
module.exports = {
  forbidden: [
    {
      name: 'protocol-imports-only-typebox',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { pathNot: ['^protocol/', '^node_modules/@sinclair/typebox'] },
    },
    {
      name: 'agent-never-imports-hub',
      severity: 'error',
      from: { path: '^agent/' },
      to: { path: ['^hub/', '^simulators/', '^bin/'] },
    },
    {
      name: 'hub-never-imports-agent',
      severity: 'error',
      from: { path: '^hub/' },
      to: { path: ['^agent/', '^simulators/', '^bin/'] },
    },
    {
      name: 'provisioning-below-programs',
      severity: 'error',
      from: { path: '^provisioning/' },
      to: { path: ['^agent/', '^hub/', '^simulators/', '^bin/'] },
    },
    {
      name: 'simulators-talk-over-public-interfaces',
      severity: 'error',
      comment: 'Simulators are peers: they use DICOM, HTTP, socket.io, UDP, processes; only their CLI definitions are imported by bin.',
      from: { path: '^simulators/' },
      to: { path: ['^agent/(?!cli\\.ts$)', '^hub/(?!cli\\.ts$)', '^provisioning/(?!cli\\.ts$|wireguard/)', '^bin/'] },
    },
    {
      name: 'lib-is-the-bottom',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: ['^agent/', '^hub/', '^provisioning/', '^simulators/', '^bin/'] },
    },
    {
      name: 'only-tests-import-test',
      severity: 'error',
      from: { pathNot: ['^test/', '\\.test\\.ts$'] },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: ['^node_modules', '^dist/'] },
  },
};
