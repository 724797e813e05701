/**
 * Runtime validation against the protocol schemas (compiled once per schema).
 * `check` narrows the type; `assertValid` throws ProtocolValidationError with the first errors.
 */
import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { FormatRegistry } from '@sinclair/typebox';

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}T/.test(v));
}

const cache = new WeakMap<TSchema, TypeCheck<TSchema>>();

function compiled<T extends TSchema>(schema: T): TypeCheck<T> {
  let c = cache.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    cache.set(schema, c);
  }
  return c as TypeCheck<T>;
}

export class ProtocolValidationError extends Error {
  readonly errors: string[];
  constructor(errors: string[]) {
    super(`invalid message: ${errors.slice(0, 5).join('; ')}`);
    this.name = 'ProtocolValidationError';
    this.errors = errors;
  }
}

export function check<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return compiled(schema).Check(value);
}

export function validationErrors<T extends TSchema>(schema: T, value: unknown): string[] {
  return [...compiled(schema).Errors(value)].slice(0, 20).map((e) => `${e.path || '/'}: ${e.message}`);
}

export function assertValid<T extends TSchema>(schema: T, value: unknown): Static<T> {
  if (!check(schema, value)) throw new ProtocolValidationError(validationErrors(schema, value));
  return value;
}
