/**
 * Texts of the hub's web pages, one dictionary per language (French by default, English).
 * Plain data and pure formatters only: bundled into the browser code and used by the server
 * for the page shells. Keys are the same in both languages (checked by the type).
 */
import { dispatchEn, dispatchFr } from './dispatch-texts.ts';

export type Lang = 'fr' | 'en';
export const LANGS: readonly Lang[] = ['fr', 'en'];

const fr = {
  appName: 'Relais',
  fleetTitle: 'Supervision du parc',
  loginTitle: 'Connexion',
  loginIntro: 'Collez le jeton remis par votre administrateur (commande « relais provision user »).',
  tokenLabel: "Jeton d'accès",
  signIn: 'Se connecter',
  signingIn: 'Connexion…',
  signOut: 'Se déconnecter',
  signInFailed: 'Jeton refusé.',
  signInThrottled: 'Trop de tentatives : patientez une minute.',
  signInError: 'Le hub ne répond pas ; réessayez.',
  language: 'Langue',
  connected: 'En direct',
  disconnected: 'Connexion perdue, reconnexion…',
  agents: 'Agents',
  studies: 'Examens en cours',
  noAgents: 'Aucun agent enregistré.',
  noStudies: 'Aucun examen reçu.',
  colAgent: 'Site / agent',
  colStatus: 'État',
  colLastSeen: 'Dernier signal',
  colQueue: "File d'attente",
  colOldest: 'Plus ancien non envoyé',
  colDisk: 'Disque libre',
  colVersion: 'Version',
  colTunnel: 'Tunnel',
  colStudy: 'Examen',
  colUrgency: 'Urgence',
  colModalities: 'Modalités',
  colProgress: 'Progression',
  colReceived: 'Reçu',
  colUpdated: 'Mis à jour',
  status_online: 'En ligne',
  status_stale: 'Silencieux',
  status_offline: 'Hors ligne',
  'status_never-seen': 'Jamais vu',
  urgency_emergency: 'Urgence',
  urgency_scheduled: 'Programmé',
  urgency_deferred: 'Différé',
  study_receiving: 'Réception',
  study_complete: 'Complet',
  study_assigned: 'Attribué',
  study_acknowledged: 'Pris en charge',
  study_reported: 'Interprété',
  study_delivered: 'Compte rendu livré',
  study_held: 'En attente',
  flag_new_version: 'nouvelle version à vérifier',
  tunnelUp: 'actif',
  tunnelDown: 'coupé',
  clockSkew: 'horloge décalée',
  laneEta: 'fin estimée dans',
  instances: 'images',
  never: 'jamais',
  dash: '—',
  agentsOnline: 'agents en ligne',
  signedInAs: 'Connecté :',
  role_operator: 'opérateur',
  role_radiologist: 'radiologue',
  role_clinician: 'clinicien',
  role_admin: 'administrateur',
  ...dispatchFr,
} as const;

type Dict = { readonly [K in keyof typeof fr]: string };

const en: Dict = {
  appName: 'Relais',
  fleetTitle: 'Fleet overview',
  loginTitle: 'Sign in',
  loginIntro: 'Paste the token your administrator gave you ("relais provision user" command).',
  tokenLabel: 'Access token',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  signOut: 'Sign out',
  signInFailed: 'Token refused.',
  signInThrottled: 'Too many attempts: wait a minute.',
  signInError: 'The hub does not answer; try again.',
  language: 'Language',
  connected: 'Live',
  disconnected: 'Connection lost, reconnecting…',
  agents: 'Agents',
  studies: 'Studies in progress',
  noAgents: 'No agent registered.',
  noStudies: 'No study received.',
  colAgent: 'Site / agent',
  colStatus: 'Status',
  colLastSeen: 'Last heartbeat',
  colQueue: 'Queue',
  colOldest: 'Oldest unsent',
  colDisk: 'Free disk',
  colVersion: 'Version',
  colTunnel: 'Tunnel',
  colStudy: 'Study',
  colUrgency: 'Urgency',
  colModalities: 'Modalities',
  colProgress: 'Progress',
  colReceived: 'Received',
  colUpdated: 'Updated',
  status_online: 'Online',
  status_stale: 'Stale',
  status_offline: 'Offline',
  'status_never-seen': 'Never seen',
  urgency_emergency: 'Emergency',
  urgency_scheduled: 'Scheduled',
  urgency_deferred: 'Deferred',
  study_receiving: 'Receiving',
  study_complete: 'Complete',
  study_assigned: 'Assigned',
  study_acknowledged: 'Taken in charge',
  study_reported: 'Reported',
  study_delivered: 'Report delivered',
  study_held: 'Held',
  flag_new_version: 'new version to review',
  tunnelUp: 'up',
  tunnelDown: 'down',
  clockSkew: 'clock skew',
  laneEta: 'done in about',
  instances: 'images',
  never: 'never',
  dash: '—',
  agentsOnline: 'agents online',
  signedInAs: 'Signed in:',
  role_operator: 'operator',
  role_radiologist: 'radiologist',
  role_clinician: 'clinician',
  role_admin: 'administrator',
  ...dispatchEn,
};

export type TextKey = keyof typeof fr;
export const DICTIONARIES: Record<Lang, Dict> = { fr, en };

export function isLang(v: unknown): v is Lang {
  return v === 'fr' || v === 'en';
}

/** "il y a 12 s" / "12 s ago", coarse units. */
export function ago(lang: Lang, ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const v = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : s < 86400 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 86400)} j`;
  return lang === 'fr' ? `il y a ${v}` : `${v.replace(' j', ' d')} ago`;
}

export function duration(lang: Lang, seconds: number): string {
  const s = Math.round(seconds);
  const v = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return lang === 'en' ? v : v;
}

export function bytes(lang: Lang, n: number): string {
  const units = lang === 'fr' ? ['o', 'Ko', 'Mo', 'Go', 'To'] : ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const num = v.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: v < 10 && i > 0 ? 1 : 0 });
  return `${num} ${units[i]}`;
}
