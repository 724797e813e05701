/** Primitive schemas shared by the other protocol messages. */
import { Type, type Static } from '@sinclair/typebox';

export const Uid = Type.String({ pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64, minLength: 1 });
export const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$' });
export const IsoDateTime = Type.String({ format: 'date-time', maxLength: 40 });
export const AgentId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
/**
 * A site (hospital / scanner room served by the hub): a plain lowercase slug, the same alphabet
 * as agent ids, so an agent's default site is its own id and `relais provision site` can adopt it.
 */
export const SiteId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
export const AeTitle = Type.String({ minLength: 1, maxLength: 16, pattern: '^[\\x20-\\x5b\\x5d-\\x7e]+$' });

export const Urgency = Type.Union([Type.Literal('emergency'), Type.Literal('scheduled'), Type.Literal('deferred')]);
export type Urgency = Static<typeof Urgency>;
export const URGENCIES: readonly Urgency[] = ['emergency', 'scheduled', 'deferred'];

export const Language = Type.Union([Type.Literal('fr'), Type.Literal('en')]);
export type Language = Static<typeof Language>;
