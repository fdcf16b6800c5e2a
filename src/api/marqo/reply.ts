// What a Marqo route handler returns, and the checks of loosely typed JSON input that every handler uses.
import { invalidArgument } from '../../domain/errors.js';
import { FIELD_NAME } from '../../domain/index-settings.js';

export interface MarqoReply {
  status?: number;
  body: unknown;
  /** What was mapped or ignored (Marqo names → Loupe): sent as `x-loupe-note` headers and logged. */
  notes?: string[];
}

export function asObject(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgument('a JSON object', name, value);
  return value as Record<string, unknown>;
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidArgument('true or false', name, value);
  return value;
}

/** A list of field names (at most 64), or undefined when absent. */
export function optionalStringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > 64 || value.some((v) => typeof v !== 'string' || !FIELD_NAME.test(v)))
    throw invalidArgument('a list of at most 64 field names', name, value);
  return value as string[];
}

export function optionalInt(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidArgument('an integer', name, value);
  return value;
}
