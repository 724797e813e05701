#!/usr/bin/env node
// Launcher for the `relais` command: registers the TypeScript loader, then runs bin/relais.ts.
// (The esbuild bundle of the agent, dist/agent, runs without this loader.)
import { register } from 'tsx/esm/api';

register();
await import('./relais.ts');
