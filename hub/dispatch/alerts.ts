/**
 * Alert planning: who gets which alert on which channel, and the words of each message
 * (French by default, English for recipients who chose it). The three alerts of the issue:
 * (1) `study-assigned` to the radiologist, (2) `taken-in-charge` and (3) `report-available` to
 * the requesting clinician (or the site's default contact) and the site's webhook. Plus
 * `escalation`, `operator-attention` and deadline alerts.
 * Contract: messages are built only from case fields (site, urgency, modality, body part,
 * reference, times, radiologist name) — a case holds no patient identity, so no SMS can carry one.
 * Idempotency keys: `<caseId>:<alert>[:<step>]:<recipient kind>:<recipient id>:<channel>`.
 */
import type { ChannelName, Channels, DispatchCase, Text2 } from '../../protocol/dispatch.ts';
import type { Language } from '../../protocol/common.ts';
import type { AlertMessage, DeliveryRequest, RecipientRef } from '../notify/types.ts';
import type { Directory } from './routing.ts';
import { URGENCY_TEXT } from './texts.ts';

export type AlertKind = 'study-assigned' | 'taken-in-charge' | 'report-available' | 'escalation' | 'operator-attention' | 'deadline-at-risk' | 'deadline-breached' | 'request-answered';

export interface AlertFacts {
  c: DispatchCase;
  siteName: string;
  /** Radiologist concerned (assignee, acknowledger, signer). */
  radiologistName?: string;
  /** Escalation step, or another discriminator for alerts that may repeat. */
  step?: number;
  /** When the case must be taken in charge (alert 1). */
  ackBy?: number;
  reason?: Text2;
  worklistItem?: unknown;
}

interface Audience {
  recipient: RecipientRef;
  channels: Channels;
  room?: string;
  language: Language;
  zone: string;
  only?: ChannelName[];
}

const timeFmt = new Map<string, Intl.DateTimeFormat>();
function hhmm(instant: number | string, zone: string, lang: Language): string {
  const k = `${zone}|${lang}`;
  let f = timeFmt.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    timeFmt.set(k, f);
  }
  return f.format(new Date(instant));
}

function zoneLabel(zone: string, lang: Language): string {
  const city = (zone.split('/').pop() ?? zone).replace(/_/g, ' ');
  return lang === 'fr' ? `heure de ${city}` : `${city} time`;
}

function what(c: DispatchCase): string {
  return `${c.modality}${c.bodyPart ? ` ${c.bodyPart.toLowerCase()}` : ''}`;
}

/** The words of one alert for one audience. */
export function composeAlert(kind: AlertKind, f: AlertFacts, lang: Language, zone: string): AlertMessage {
  const { c } = f;
  const u = URGENCY_TEXT[c.urgency][lang];
  const U = c.urgency === 'emergency' ? u.toUpperCase() : u;
  const at = (t: number | string) => hhmm(t, zone, lang);
  const tz = zoneLabel(zone, lang);
  const ref = c.reference;
  const fr = lang === 'fr';
  let subject: string;
  let short: string;
  let body: string;
  let event = 'alert';
  switch (kind) {
    case 'study-assigned':
      event = 'assignment';
      subject = fr ? `[Relais] ${U} — nouvel examen ${what(c)}, ${f.siteName} (réf. ${ref})` : `[Relais] ${U} — new ${what(c)} study, ${f.siteName} (ref. ${ref})`;
      short = fr
        ? `Relais : examen ${U} ${what(c)} de ${f.siteName}, réf. ${ref}, pour vous. Prise en charge avant ${at(f.ackBy ?? c.deadlineAt)}, compte rendu avant ${at(c.deadlineAt)} (${tz}).`
        : `Relais: ${U} ${what(c)} study from ${f.siteName}, ref. ${ref}, for you. Take it in charge by ${at(f.ackBy ?? c.deadlineAt)}, report by ${at(c.deadlineAt)} (${tz}).`;
      break;
    case 'escalation':
      event = 'escalation';
      subject = fr ? `[Relais] ESCALADE ${u} réf. ${ref} — ${f.siteName}` : `[Relais] ESCALATION ${u} ref. ${ref} — ${f.siteName}`;
      short = fr
        ? `Relais : ESCALADE, examen ${U} ${what(c)} de ${f.siteName}, réf. ${ref}, non pris en charge. ${f.reason?.fr ?? ''} Compte rendu avant ${at(c.deadlineAt)} (${tz}).`
        : `Relais: ESCALATION, ${U} ${what(c)} study from ${f.siteName}, ref. ${ref}, not taken in charge. ${f.reason?.en ?? ''} Report due by ${at(c.deadlineAt)} (${tz}).`;
      break;
    case 'operator-attention':
      subject = fr ? `[Relais] Intervention requise, réf. ${ref}` : `[Relais] Attention needed, ref. ${ref}`;
      short = fr ? `Relais : intervention requise pour l'examen ${u} réf. ${ref} (${f.siteName}) : ${f.reason?.fr ?? ''}` : `Relais: attention needed for ${u} study ref. ${ref} (${f.siteName}): ${f.reason?.en ?? ''}`;
      break;
    case 'taken-in-charge':
      subject = fr ? `[Relais] Examen réf. ${ref} pris en charge` : `[Relais] Study ref. ${ref} taken in charge`;
      short = fr
        ? `Relais : l'examen réf. ${ref} (${what(c)}, ${u}) est pris en charge par ${f.radiologistName ?? 'le radiologue'} à ${at(c.acknowledgedAt ?? c.receivedAt)}. Compte rendu attendu avant ${at(c.deadlineAt)} (${tz}).`
        : `Relais: study ref. ${ref} (${what(c)}, ${u}) was taken in charge by ${f.radiologistName ?? 'the radiologist'} at ${at(c.acknowledgedAt ?? c.receivedAt)}. Report expected by ${at(c.deadlineAt)} (${tz}).`;
      break;
    case 'report-available':
      subject = fr ? `[Relais] Compte rendu disponible, réf. ${ref}` : `[Relais] Report available, ref. ${ref}`;
      short = fr
        ? `Relais : le compte rendu de l'examen réf. ${ref} (${what(c)}) est disponible.`
        : `Relais: the report for study ref. ${ref} (${what(c)}) is available.`;
      break;
    case 'request-answered': // issue 7: the radiologist answered the exam request (reason = the decision's words)
      subject = fr ? `[Relais] Réponse à la demande d'examen, réf. ${ref}` : `[Relais] Answer to the exam request, ref. ${ref}`;
      short = fr
        ? `Relais : ${f.radiologistName ?? 'le radiologue'} a répondu à la demande réf. ${ref} (${what(c)}) : ${f.reason?.fr ?? ''}. Détails sur la page locale de Relais.`
        : `Relais: ${f.radiologistName ?? 'the radiologist'} answered request ref. ${ref} (${what(c)}): ${f.reason?.en ?? ''}. Details on the Relais local page.`;
      break;
    case 'deadline-at-risk':
      subject = fr ? `[Relais] Délai menacé, réf. ${ref}` : `[Relais] Deadline at risk, ref. ${ref}`;
      short = fr ? `Relais : délai menacé pour l'examen ${u} réf. ${ref} (${f.siteName}), échéance ${at(c.deadlineAt)} (${tz}).` : `Relais: deadline at risk for ${u} study ref. ${ref} (${f.siteName}), due ${at(c.deadlineAt)} (${tz}).`;
      break;
    case 'deadline-breached':
      subject = fr ? `[Relais] Délai dépassé, réf. ${ref}` : `[Relais] Deadline breached, ref. ${ref}`;
      short = fr ? `Relais : délai dépassé pour l'examen ${u} réf. ${ref} (${f.siteName}), échéance ${at(c.deadlineAt)} (${tz}).` : `Relais: deadline breached for ${u} study ref. ${ref} (${f.siteName}), was due ${at(c.deadlineAt)} (${tz}).`;
      break;
  }
  body = `${short}\n\n${fr ? 'Ce message ne contient aucune donnée patient. Ouvrez Relais pour voir le dossier.' : 'This message carries no patient data. Open Relais to see the case.'}\n`;
  const data: Record<string, unknown> = {
    alert: kind,
    caseId: c.caseId,
    reference: ref,
    urgency: c.urgency,
    siteId: c.siteId,
    state: c.state,
    deadlineAt: c.deadlineAt,
    ...(c.studyInstanceUid ? { studyInstanceUid: c.studyInstanceUid } : {}),
  };
  return { subject, short, body, event, data };
}

/** Both languages' payload for live pages (which pick their own). */
function liveData(kind: AlertKind, f: AlertFacts, zone: string): Record<string, unknown> {
  const fr = composeAlert(kind, f, 'fr', zone);
  const en = composeAlert(kind, f, 'en', zone);
  if (kind === 'study-assigned') return { item: f.worklistItem, explanation: f.reason ?? { fr: fr.short, en: en.short } };
  if (kind === 'escalation') return { caseId: f.c.caseId, reference: f.c.reference, step: f.step ?? 0, target: 'you', urgency: f.c.urgency, text: { fr: fr.short, en: en.short } };
  return { alert: kind, caseId: f.c.caseId, reference: f.c.reference, text: { fr: fr.short, en: en.short } };
}

function deliveriesFor(kind: AlertKind, f: AlertFacts, a: Audience): DeliveryRequest[] {
  const keyBase = `${f.c.caseId}:${kind}${f.step !== undefined ? `:${f.step}` : ''}:${a.recipient.kind}:${a.recipient.id}`;
  const out: DeliveryRequest[] = [];
  const allow = (ch: ChannelName) => !a.only || a.only.includes(ch);
  const msg = composeAlert(kind, f, a.language, a.zone);
  const base = { caseId: f.c.caseId, alert: kind, recipient: a.recipient };
  if (a.room && allow('web')) out.push({ ...base, key: `${keyBase}:web`, channel: 'web', address: a.room, message: { ...msg, data: liveData(kind, f, a.zone) } });
  if (a.channels.sms && allow('sms')) out.push({ ...base, key: `${keyBase}:sms`, channel: 'sms', address: a.channels.sms, message: msg });
  if (a.channels.email && allow('email')) out.push({ ...base, key: `${keyBase}:email`, channel: 'email', address: a.channels.email, message: msg });
  if (a.channels.webhook && allow('webhook')) out.push({ ...base, key: `${keyBase}:webhook`, channel: 'webhook', address: a.channels.webhook.url, secretName: a.channels.webhook.secretName, message: msg });
  return out;
}

export function radiologistAudience(dir: Directory, radiologistId: string, teamZone: string, only?: ChannelName[]): Audience {
  const r = dir.radiologists.get(radiologistId);
  return {
    recipient: { kind: 'radiologist', id: radiologistId, label: r?.displayName ?? radiologistId },
    channels: r?.channels ?? {},
    room: `radiologist:${radiologistId}`,
    language: r?.language ?? 'fr',
    zone: r?.zone ?? teamZone,
    ...(only ? { only } : {}),
  };
}

export function clinicianAudiences(dir: Directory, c: DispatchCase): Audience[] {
  const site = dir.sites.get(c.siteId);
  const zone = site?.zone ?? 'Europe/Paris';
  const out: Audience[] = [];
  const contact = c.requestedBy ?? site?.defaultContact;
  if (contact) {
    out.push({
      recipient: { kind: 'clinician', id: c.requestedBy ? 'requester' : 'site-contact', label: contact.name },
      channels: { ...(contact.channels.sms ? { sms: contact.channels.sms } : {}), ...(contact.channels.email ? { email: contact.channels.email } : {}) },
      room: `site:${c.siteId}`,
      language: contact.language ?? 'fr',
      zone,
    });
  } else {
    out.push({ recipient: { kind: 'clinician', id: 'site-page', label: site?.name ?? c.siteId }, channels: {}, room: `site:${c.siteId}`, language: 'fr', zone });
  }
  if (site?.webhook) out.push({ recipient: { kind: 'site', id: c.siteId, label: site.name }, channels: { webhook: site.webhook }, language: 'fr', zone });
  return out;
}

export function operatorAudiences(dir: Directory, zone: string, only?: ChannelName[]): Audience[] {
  const out: Audience[] = [{ recipient: { kind: 'operator', id: 'room', label: 'operators' }, channels: {}, room: 'operators', language: 'fr', zone, ...(only ? { only } : {}) }];
  for (const o of dir.rota.operators) {
    out.push({ recipient: { kind: 'operator', id: o.id, label: o.displayName }, channels: o.channels, language: o.language ?? 'fr', zone, ...(only ? { only } : {}) });
  }
  return out;
}

export function planAlert(kind: AlertKind, f: AlertFacts, audiences: readonly Audience[]): DeliveryRequest[] {
  return audiences.flatMap((a) => deliveriesFor(kind, f, a));
}
