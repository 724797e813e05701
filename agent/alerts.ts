/**
 * Operator alerts raised by the agent, carried by every heartbeat until cleared (house rule 5:
 * nothing stops silently). One entry per code; raising it again updates the message but keeps
 * `since`. Messages are short, in the operator's language, and never contain patient data.
 */
import type { Clock } from '../lib/clock.ts';
import type { Language } from '../protocol/index.ts';

export const AGENT_ALERTS = {
  RELAIS_AUTH_INVALID: { fr: "Le hub refuse l'identifiant de cet agent : les envois sont en attente.", en: "The hub refuses this agent's credential: uploads are on hold." },
  RELAIS_PROTOCOL_UNSUPPORTED: { fr: "Le hub ne parle pas la version du protocole de cet agent : mettez l'agent à jour.", en: "The hub does not speak this agent's protocol version: update the agent." },
  RELAIS_NETWORK_UNREACHABLE: { fr: 'Le hub est injoignable : les examens restent en file sur l’agent.', en: 'The hub cannot be reached: studies stay queued on the agent.' },
  RELAIS_AGENT_HUB_ANSWER: { fr: 'Le hub répond de façon inattendue (adresse du hub ?) : les envois sont en attente.', en: 'The hub answers unexpectedly (hub address?): uploads are on hold.' },
  RELAIS_AGENT_QUARANTINE: { fr: 'Des instances refusées par le hub sont en quarantaine sur l’agent.', en: 'Instances refused by the hub are quarantined on the agent.' },
  RELAIS_AGENT_MANIFEST_REFUSED: { fr: 'Le hub a refusé le manifeste d’un examen.', en: 'The hub refused the manifest of a study.' },
  RELAIS_AGENT_DISK_LOW: { fr: 'Disque de l’agent presque plein : les nouvelles images sont refusées (A700).', en: 'Agent disk almost full: new images are refused (A700).' },
  RELAIS_AGENT_INTAKE_FAILING: { fr: 'L’agent ne peut pas écrire les images reçues (erreur disque).', en: 'The agent cannot write received images (disk error).' },
  RELAIS_AGENT_BACKLOG_OLD: { fr: 'Des examens attendent depuis longtemps leur envoi au hub.', en: 'Studies have been waiting a long time to be sent to the hub.' },
  RELAIS_AGENT_NO_HUB: { fr: 'Aucun hub configuré : les examens restent sur l’agent.', en: 'No hub configured: studies stay on the agent.' },
  RELAIS_AGENT_CHANNEL_STALLED: { fr: 'Des messages (demandes, confirmations) attendent le hub depuis plusieurs essais.', en: 'Messages (requests, confirmations) have been waiting for the hub for several attempts.' },
  RELAIS_AGENT_MESSAGE_REJECTED: { fr: 'Le hub a refusé un message de cet agent (voir le journal).', en: 'The hub refused a message from this agent (see the log).' },
  RELAIS_AGENT_INBOX_REJECTED: { fr: 'Un message du hub n’a pas pu être appliqué (voir le journal).', en: 'A message from the hub could not be applied (see the log).' },
  RELAIS_AGENT_PACS_UNREACHABLE: { fr: 'Le PACS du site ne reçoit pas les comptes rendus : nouvel essai en cours.', en: 'The site PACS does not take reports: retrying.' },
  RELAIS_AGENT_REPORT_IDENTITY: { fr: 'Un compte rendu ne correspond pas à l’identité de l’examen : non livré, vérification humaine requise.', en: 'A report does not match its study’s identity: not delivered, a human must check.' },
  RELAIS_AGENT_CLOCK_SKEW: { fr: "L'horloge de l'agent diffère de celle du hub de plus de 2 minutes (WireGuard refuse alors les poignées de main) : remettez-la à l'heure (NTP).", en: "The agent's clock differs from the hub's by more than 2 minutes (WireGuard then refuses handshakes): set it right (NTP)." },
  RELAIS_AGENT_TUNNEL_DOWN: { fr: 'Le tunnel WireGuard vers le hub est coupé (pas de poignée de main depuis plus de 3 minutes) : les examens restent en file.', en: 'The WireGuard tunnel to the hub is down (no handshake for over 3 minutes): studies stay queued.' },
  RELAIS_AGENT_TUNNEL_KEY: { fr: "Le renouvellement de la clé du tunnel n'a pas abouti ; il sera retenté.", en: 'The tunnel key rotation did not complete; it will be retried.' },
} as const;

export type AgentAlertCode = keyof typeof AGENT_ALERTS;

export interface Alert {
  code: string;
  message: string;
  since: string;
}

export class AlertBook {
  readonly #clock: Clock;
  readonly #lang: Language;
  readonly #alerts = new Map<string, Alert>();

  constructor(clock: Clock, lang: Language) {
    this.#clock = clock;
    this.#lang = lang;
  }

  /** Raises (or refreshes) an alert; `detail` is appended to the standard text. */
  raise(code: AgentAlertCode, detail?: string): void {
    const text = AGENT_ALERTS[code][this.#lang];
    const message = (detail ? `${text} (${detail})` : text).slice(0, 500);
    const existing = this.#alerts.get(code);
    if (existing) existing.message = message;
    else this.#alerts.set(code, { code, message, since: new Date(this.#clock.now()).toISOString() });
  }

  clear(code: AgentAlertCode): void {
    this.#alerts.delete(code);
  }

  has(code: AgentAlertCode): boolean {
    return this.#alerts.has(code);
  }

  list(): Alert[] {
    return [...this.#alerts.values()].slice(0, 50).map((a) => ({ ...a }));
  }
}
