/** Operator-facing texts of `relais provision` (French by default, English too). */
export const provisionTexts = {
  fr: {
    agentRegistered: (name: string, id: string) => `Agent « ${name} » enregistré (id : ${id}).`,
    agentRotated: (name: string, id: string) => `Agent « ${name} » (id : ${id}) déjà connu : nouvel identifiant émis, l'ancien est révoqué.`,
    agentHint: "Identifiant de l'agent (à donner à `relais agent --credential`, à garder secret) :",
    userRegistered: (name: string, id: string, role: string) => `Utilisateur « ${name} » enregistré (id : ${id}, rôle : ${role}).`,
    userRotated: (name: string, id: string, role: string) => `Utilisateur « ${name} » (id : ${id}, rôle : ${role}) déjà connu : nouveau jeton émis, l'ancien est révoqué.`,
    userHint: 'Connexion web : ouvrez http://<hub>/#token=<jeton>, ou collez le jeton sur la page de connexion. Jeton (à garder secret) :',
    badRole: (r: string, roles: string) => `Rôle inconnu « ${r} » (attendu : ${roles}).`,
    badName: 'Le nom ne peut pas être vide.',
    revoked: (kind: string, id: string) => `${kind} ${id} révoqué.`,
    unknown: (kind: string, id: string) => `${kind} ${id} inconnu.`,
    failed: (m: string) => `Échec : ${m}`,
  },
  en: {
    agentRegistered: (name: string, id: string) => `Agent "${name}" registered (id: ${id}).`,
    agentRotated: (name: string, id: string) => `Agent "${name}" (id: ${id}) already known: new credential issued, the previous one is revoked.`,
    agentHint: 'Agent credential (pass it to `relais agent --credential`, keep it secret):',
    userRegistered: (name: string, id: string, role: string) => `User "${name}" registered (id: ${id}, role: ${role}).`,
    userRotated: (name: string, id: string, role: string) => `User "${name}" (id: ${id}, role: ${role}) already known: new token issued, the previous one is revoked.`,
    userHint: 'Web sign-in: open http://<hub>/#token=<token>, or paste the token on the sign-in page. Token (keep it secret):',
    badRole: (r: string, roles: string) => `Unknown role "${r}" (expected: ${roles}).`,
    badName: 'The name cannot be empty.',
    revoked: (kind: string, id: string) => `${kind} ${id} revoked.`,
    unknown: (kind: string, id: string) => `${kind} ${id} unknown.`,
    failed: (m: string) => `Failed: ${m}`,
  },
} as const;

export type ProvisionLang = keyof typeof provisionTexts;
