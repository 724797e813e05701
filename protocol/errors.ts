/**
 * Error codes (RELAIS_<AREA>_<WHAT>) shared by agent and hub, with whether a retry can help.
 * Contract: codes are stable (never renamed or reused); `retryable` tells a client whether
 * the same request may succeed later (transient) or must go to quarantine (permanent).
 * Authentication errors are not retryable by themselves but clinical senders keep retrying
 * them with backoff and raise an operator alert (a revoked credential is fixed by a human).
 */
import { Type, type Static } from '@sinclair/typebox';

export interface ErrorCodeInfo {
  httpStatus: number;
  retryable: boolean;
  en: string;
  fr: string;
}

export const ERROR_CODES = {
  RELAIS_PROTOCOL_UNSUPPORTED: { httpStatus: 426, retryable: false, en: 'The hub cannot speak this protocol version; update the agent.', fr: "Le hub ne parle pas cette version du protocole ; mettez l'agent à jour." },
  RELAIS_PROTOCOL_INVALID_MESSAGE: { httpStatus: 400, retryable: false, en: 'The message does not match the protocol schema.', fr: 'Le message ne respecte pas le schéma du protocole.' },
  RELAIS_AUTH_MISSING: { httpStatus: 401, retryable: false, en: 'Authentication is required.', fr: 'Authentification requise.' },
  RELAIS_AUTH_INVALID: { httpStatus: 401, retryable: false, en: 'The credential is invalid, expired or revoked.', fr: "L'identifiant est invalide, expiré ou révoqué." },
  RELAIS_AUTH_FORBIDDEN: { httpStatus: 403, retryable: false, en: 'This identity may not do this.', fr: "Cette identité n'a pas le droit de faire cela." },
  RELAIS_AUTH_THROTTLED: { httpStatus: 429, retryable: true, en: 'Too many attempts; wait and retry.', fr: 'Trop de tentatives ; patientez puis réessayez.' },
  RELAIS_UPLOAD_HASH_MISMATCH: { httpStatus: 422, retryable: true, en: 'The received bytes do not match the announced SHA-256.', fr: "Les octets reçus ne correspondent pas au SHA-256 annoncé." },
  RELAIS_UPLOAD_NOT_DICOM: { httpStatus: 422, retryable: false, en: 'The upload is not a readable DICOM instance.', fr: "L'envoi n'est pas une instance DICOM lisible." },
  RELAIS_UPLOAD_UID_MISMATCH: { httpStatus: 422, retryable: false, en: 'The SOP Instance UID does not match the dataset.', fr: "L'UID d'instance SOP ne correspond pas au jeu de données." },
  RELAIS_UPLOAD_TOO_LARGE: { httpStatus: 413, retryable: false, en: 'The upload exceeds the size limit.', fr: "L'envoi dépasse la taille maximale." },
  RELAIS_STORAGE_FULL: { httpStatus: 507, retryable: true, en: 'The hub storage is full; retry later.', fr: 'Le stockage du hub est plein ; réessayez plus tard.' },
  RELAIS_STORAGE_IO: { httpStatus: 503, retryable: true, en: 'The hub could not store the data; retry later.', fr: "Le hub n'a pas pu stocker les données ; réessayez plus tard." },
  RELAIS_NOT_FOUND: { httpStatus: 404, retryable: false, en: 'Not found.', fr: 'Introuvable.' },
  RELAIS_BAD_REQUEST: { httpStatus: 400, retryable: false, en: 'The request is invalid.', fr: 'La requête est invalide.' },
  RELAIS_HUB_UNAVAILABLE: { httpStatus: 503, retryable: true, en: 'The hub is shutting down or overloaded; retry later.', fr: 'Le hub est en arrêt ou surchargé ; réessayez plus tard.' },
  RELAIS_INTERNAL: { httpStatus: 500, retryable: true, en: 'Internal error; retry later.', fr: 'Erreur interne ; réessayez plus tard.' },
  RELAIS_DISPATCH_NOT_ALERTED: { httpStatus: 403, retryable: false, en: 'This radiologist was not alerted for this case.', fr: "Ce radiologue n'a pas été alerté pour ce dossier." },
  RELAIS_DISPATCH_INVALID_STATE: { httpStatus: 409, retryable: false, en: 'The case is not in a state that allows this.', fr: "Le dossier n'est pas dans un état qui le permet." },
  RELAIS_ROTA_INVALID: { httpStatus: 400, retryable: false, en: 'The rota is invalid (zone, pattern, reference or file).', fr: 'Le tableau de garde est invalide (fuseau, motif, référence ou fichier).' },
  RELAIS_AUTH_WRONG_TUNNEL: { httpStatus: 403, retryable: false, en: "This request did not come through this agent's own WireGuard tunnel.", fr: "Cette requête n'arrive pas par le tunnel WireGuard de cet agent." },
  RELAIS_ENROL_TOKEN_INVALID: { httpStatus: 401, retryable: false, en: 'This enrolment token is not known to the hub (mistyped, or for another hub).', fr: "Ce jeton d'enrôlement est inconnu du hub (mal recopié, ou destiné à un autre hub)." },
  RELAIS_ENROL_TOKEN_EXPIRED: { httpStatus: 401, retryable: false, en: 'This enrolment token has expired: ask the hub operator for a new one.', fr: "Ce jeton d'enrôlement a expiré : demandez-en un nouveau à l'opérateur du hub." },
  RELAIS_ENROL_TOKEN_USED: { httpStatus: 401, retryable: false, en: 'This enrolment token has already been used (tokens work once): ask for a new one.', fr: "Ce jeton d'enrôlement a déjà servi (un jeton ne sert qu'une fois) : demandez-en un nouveau." },
  RELAIS_ENROL_TOKEN_REVOKED: { httpStatus: 401, retryable: false, en: 'This enrolment token was revoked by the hub operator.', fr: "Ce jeton d'enrôlement a été révoqué par l'opérateur du hub." },
  RELAIS_ENROL_OTHER_SITE: { httpStatus: 403, retryable: false, en: 'This enrolment token was issued for another site.', fr: "Ce jeton d'enrôlement a été émis pour un autre site." },
  RELAIS_ENROL_SITE_REVOKED: { httpStatus: 403, retryable: false, en: 'This site has been revoked at the hub.', fr: 'Ce site a été révoqué sur le hub.' },
  RELAIS_ENROL_KEY_IN_USE: { httpStatus: 409, retryable: false, en: 'This WireGuard key already belongs to another peer of the hub.', fr: 'Cette clé WireGuard appartient déjà à un autre pair du hub.' },
  RELAIS_TUNNEL_UNAVAILABLE: { httpStatus: 503, retryable: true, en: 'The hub does not manage a WireGuard tunnel (or it is not ready).', fr: "Le hub ne gère pas de tunnel WireGuard (ou il n'est pas prêt)." },
  RELAIS_NETWORK_UNREACHABLE: { httpStatus: 0, retryable: true, en: 'The hub cannot be reached (link or tunnel down).', fr: 'Le hub est injoignable (lien ou tunnel coupé).' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    retryable: Type.Boolean(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;

export function errorBody(code: ErrorCode, message?: string, details?: Record<string, unknown>): ErrorBody {
  const info: ErrorCodeInfo = ERROR_CODES[code];
  const body: ErrorBody = { error: { code, message: message ?? info.en, retryable: info.retryable } };
  if (details) body.error.details = details;
  return body;
}

/** Whether a client should retry after this HTTP status when no code was readable. */
export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 425 || status === 429 || status >= 500;
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}
