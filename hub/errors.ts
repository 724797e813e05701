/**
 * Errors the hub answers with: a stable code from protocol/errors.ts, its HTTP status and
 * retryability. Route code throws HubError; the app's error handler turns it (and anything
 * else) into an ErrorBody without stack traces. Disk errors map to 507 (full, retryable) or
 * 503 (I/O, retryable).
 */
import { ERROR_CODES, errorBody, type ErrorCode, type ErrorBody } from '../protocol/errors.ts';
import { OUT_OF_RESOURCES_CODES } from '../lib/durable-fs.ts';

export class HubError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CODES[code].en);
    this.name = 'HubError';
    this.code = code;
    this.details = details;
  }
  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }
  body(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

const FULL = new Set(['ENOSPC', 'EDQUOT']);

/** Maps a file-system error to the hub's storage error codes; other errors pass through. */
export function storageError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && FULL.has(code)) return new HubError('RELAIS_STORAGE_FULL');
  if (code && OUT_OF_RESOURCES_CODES.has(code)) return new HubError('RELAIS_STORAGE_IO', `storage error (${code})`);
  return err;
}
