/**
 * Urgency of an incoming study: the first matching rule wins, else the default (pure).
 * Rules look at the calling AE title, the modality and the study description (a
 * case-insensitive regular expression). The description may be identifying text: it is only
 * matched in memory, never stored or logged. Lanes and pre-emption build on this later.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Urgency, URGENCIES } from '../../protocol/index.ts';

export const UrgencyRule = Type.Object(
  {
    urgency: Urgency,
    callingAeTitle: Type.Optional(Type.String({ maxLength: 16 })),
    modality: Type.Optional(Type.String({ maxLength: 16 })),
    studyDescription: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type UrgencyRule = Static<typeof UrgencyRule>;
export const UrgencyRules = Type.Array(UrgencyRule, { maxItems: 200 });

export interface UrgencyFacts {
  callingAeTitle: string;
  modality?: string;
  studyDescription?: string;
}

export type UrgencyDecider = (facts: UrgencyFacts) => Urgency;

/** Compiles the rules once (regular expressions are checked here, not at each instance). */
export function urgencyDecider(rules: readonly UrgencyRule[], fallback: Urgency): UrgencyDecider {
  const compiled = rules.map((r) => ({
    urgency: r.urgency,
    callingAe: r.callingAeTitle?.trim(),
    modality: r.modality?.trim().toUpperCase(),
    description: r.studyDescription !== undefined ? new RegExp(r.studyDescription, 'i') : undefined,
  }));
  return (facts) => {
    for (const r of compiled) {
      if (r.callingAe !== undefined && r.callingAe !== facts.callingAeTitle.trim()) continue;
      if (r.modality !== undefined && r.modality !== (facts.modality ?? '').trim().toUpperCase()) continue;
      if (r.description !== undefined && !r.description.test(facts.studyDescription ?? '')) continue;
      return r.urgency;
    }
    return fallback;
  };
}

/** Lane order: emergency first. */
export function urgencyRank(u: Urgency): number {
  return URGENCIES.indexOf(u);
}

/** The most urgent of several. */
export function mostUrgent(a: Urgency, b: Urgency): Urgency {
  return urgencyRank(a) <= urgencyRank(b) ? a : b;
}
