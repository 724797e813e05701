/**
 * The words of dispatch, French first, English too: routing explanations and timeline lines.
 * Contract: every function returns both languages ({ fr, en }); nothing here reads patient data.
 */
import type { Text2 } from '../../protocol/dispatch.ts';
import type { Urgency } from '../../protocol/common.ts';

export const URGENCY_TEXT: Record<Urgency, Text2> = {
  emergency: { fr: 'urgent', en: 'emergency' },
  scheduled: { fr: 'programmé', en: 'scheduled' },
  deferred: { fr: 'différé', en: 'deferred' },
};

const cases = (n: number): Text2 => ({
  fr: `${n} dossier${n > 1 ? 's' : ''} ouvert${n > 1 ? 's' : ''}`,
  en: `${n} open case${n === 1 ? '' : 's'}`,
});

export interface AssignReason {
  name: string;
  teamName: string;
  role: 'primary' | 'backup';
  specialty?: string;
  specialtyMatched: boolean;
  specialtyAsked?: string;
  openCases: number;
  max: number;
}

export function assignedText(r: AssignReason): Text2 {
  const n = cases(r.openCases);
  const duty: Text2 = r.role === 'primary'
    ? { fr: `d'astreinte${r.specialtyMatched && r.specialty ? ` ${r.specialty}` : ''}`, en: `on call${r.specialtyMatched && r.specialty ? ` ${r.specialty}` : ''}` }
    : { fr: `back-up d'astreinte${r.specialtyMatched && r.specialty ? ` ${r.specialty}` : ''}`, en: `on-call back-up${r.specialtyMatched && r.specialty ? ` ${r.specialty}` : ''}` };
  const fallback: Text2 = r.specialtyAsked && !r.specialtyMatched
    ? { fr: ` ; aucun radiologue ${r.specialtyAsked} d'astreinte disponible`, en: `; no ${r.specialtyAsked} radiologist on call available` }
    : { fr: '', en: '' };
  return {
    fr: `assigné à ${r.name} : ${duty.fr} (${r.teamName}), ${n.fr} sur ${r.max}${fallback.fr}`,
    en: `assigned to ${r.name}: ${duty.en} (${r.teamName}), ${n.en} of ${r.max}${fallback.en}`,
  };
}

export const T = {
  received: (siteName: string, urgency: Urgency, modality: string, bodyPart?: string): Text2 => ({
    fr: `reçu de ${siteName} : ${modality}${bodyPart ? ` ${bodyPart}` : ''}, ${URGENCY_TEXT[urgency].fr}`,
    en: `received from ${siteName}: ${modality}${bodyPart ? ` ${bodyPart}` : ''}, ${URGENCY_TEXT[urgency].en}`,
  }),
  noAgreement: (siteName: string): Text2 => ({
    fr: `aucune convention active ne couvre ${siteName} pour cet examen : opérateur alerté`,
    en: `no active agreement covers ${siteName} for this study: operator alerted`,
  }),
  nobodyAvailable: (teams: string): Text2 => ({
    fr: `personne d'astreinte disponible (${teams}) : en attente, opérateur alerté`,
    en: `nobody on call available (${teams}): waiting, operator alerted`,
  }),
  acknowledged: (name: string, openCases: number, max: number): Text2 => ({
    fr: `pris en charge par ${name} (${cases(openCases).fr} sur ${max})`,
    en: `taken in charge by ${name} (${cases(openCases).en} of ${max})`,
  }),
  escalatedBackup: (name: string, from: string, minutes: number): Text2 => ({
    fr: `escalade : réattribué au back-up ${name}, ${from} n'a pas pris en charge en ${minutes} min`,
    en: `escalation: reassigned to back-up ${name}, ${from} did not take it in charge within ${minutes} min`,
  }),
  escalatedLead: (name: string, minutes: number): Text2 => ({
    fr: `escalade : chef d'équipe ${name} alerté, pas de prise en charge après ${minutes} min`,
    en: `escalation: team lead ${name} alerted, not taken in charge after ${minutes} min`,
  }),
  escalatedOperator: (minutes: number): Text2 => ({
    fr: `escalade : opérateur du hub alerté, pas de prise en charge après ${minutes} min`,
    en: `escalation: hub operator alerted, not taken in charge after ${minutes} min`,
  }),
  noBackup: (): Text2 => ({ fr: 'escalade : aucun back-up disponible', en: 'escalation: no back-up available' }),
  shiftEnded: (name: string): Text2 => ({
    fr: `fin de garde de ${name} avant prise en charge : réattribution`,
    en: `${name}'s shift ended before taking it in charge: reassigning`,
  }),
  reassignedByOperator: (name: string, reason?: string): Text2 => ({
    fr: `réattribué à ${name} par l'opérateur${reason ? ` : ${reason}` : ''}`,
    en: `reassigned to ${name} by the operator${reason ? `: ${reason}` : ''}`,
  }),
  atRisk: (minutesLeft: number): Text2 => ({
    fr: `délai menacé : ${minutesLeft} min avant l'échéance`,
    en: `deadline at risk: ${minutesLeft} min left`,
  }),
  breached: (): Text2 => ({ fr: 'délai dépassé', en: 'deadline breached' }),
  reported: (name: string, met: boolean): Text2 => ({
    fr: `compte rendu signé par ${name}${met ? ' dans les délais' : ' hors délai'}`,
    en: `report signed by ${name}${met ? ' on time' : ' late'}`,
  }),
  delivered: (): Text2 => ({ fr: 'compte rendu remis au site', en: 'report delivered to the site' }),
  held: (reason: string): Text2 => ({ fr: `mis en attente : ${reason}`, en: `held: ${reason}` }),
  released: (): Text2 => ({ fr: 'attente levée', en: 'hold released' }),
  cancelled: (reason: string): Text2 => ({ fr: `annulé : ${reason}`, en: `cancelled: ${reason}` }),
  imagesReceived: (): Text2 => ({ fr: 'images reçues pour la demande', en: 'images received for the request' }),
  imagesComplete: (n: number): Text2 => ({
    fr: `transfert terminé : ${n} image${n > 1 ? 's' : ''} au hub`,
    en: `transfer complete: ${n} image${n > 1 ? 's' : ''} at the hub`,
  }),
  notified: (alert: string, channel: string, recipient: string): Text2 => ({
    fr: `alerte « ${ALERT_NAMES[alert]?.fr ?? alert} » envoyée à ${recipient} (${channel})`,
    en: `alert "${ALERT_NAMES[alert]?.en ?? alert}" sent to ${recipient} (${channel})`,
  }),
  notifyFailed: (alert: string, channel: string, recipient: string, reason: string): Text2 => ({
    fr: `échec de l'alerte « ${ALERT_NAMES[alert]?.fr ?? alert} » à ${recipient} (${channel}) : ${reason}`,
    en: `alert "${ALERT_NAMES[alert]?.en ?? alert}" to ${recipient} (${channel}) failed: ${reason}`,
  }),
};

export const ALERT_NAMES: Record<string, Text2> = {
  'request-answered': { fr: 'réponse à la demande', en: 'request answered' },
  'study-assigned': { fr: 'examen arrivé', en: 'study arrived' },
  'taken-in-charge': { fr: 'pris en charge', en: 'taken in charge' },
  'report-available': { fr: 'compte rendu disponible', en: 'report available' },
  escalation: { fr: 'escalade', en: 'escalation' },
  'operator-attention': { fr: 'intervention opérateur', en: 'operator attention' },
  'deadline-at-risk': { fr: 'délai menacé', en: 'deadline at risk' },
  'deadline-breached': { fr: 'délai dépassé', en: 'deadline breached' },
};
