// The checks of a search request that need no I/O: cursors, filters. The defaults and bounds live in domain/search.ts.
import { invalidArgument } from '../domain/errors.js';
import { FIELD_NAME } from '../domain/index-settings.js';
import { SEARCH_LIMITS, type FieldFilter } from '../domain/search.js';
import { hasUnstorableText, jsonDepth, MAX_JSON_DEPTH } from '../domain/text.js';

export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    const o = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown }).o;
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0 && o <= SEARCH_LIMITS.maxOffset) return o;
  } catch {
    /* fall through */
  }
  throw invalidArgument('a cursor returned by a previous search', 'after', cursor);
}

const given = (v: unknown) => v !== undefined && v !== null;

/**
 * Checked filters with the operators that were given. `eq: null` is an operator (the field holds null); a null `in`,
 * `gt`, `gte`, `lt` or `lte` means "not given", as GraphQL clients send unset input fields as null.
 */
export function checkFilters(filters: FieldFilter[] | undefined | null): FieldFilter[] {
  if (filters === undefined || filters === null) return [];
  if (!Array.isArray(filters) || filters.length > SEARCH_LIMITS.maxFilters)
    throw invalidArgument(`at most ${SEARCH_LIMITS.maxFilters} filters`, 'filters', filters);
  return filters.map((f) => {
    if (!f || typeof f.field !== 'string' || !FIELD_NAME.test(f.field)) throw invalidArgument('a field name', 'filters.field', f?.field);
    const hasEq = Object.hasOwn(f, 'eq') && f.eq !== undefined;
    const ops = (['in', 'gt', 'gte', 'lt', 'lte'] as const).filter((k) => given(f[k]));
    if (!hasEq && !ops.length) throw invalidArgument('one of eq, in, gt, gte, lt, lte', `filters[${f.field}]`, f);
    for (const k of ['gt', 'gte', 'lt', 'lte'] as const)
      if (given(f[k]) && !Number.isFinite(f[k])) throw invalidArgument('a finite number', `filters[${f.field}].${k}`, f[k]);
    if (given(f.in) && (!Array.isArray(f.in) || f.in.length > 1000)) throw invalidArgument('a list of at most 1000 values', `filters[${f.field}].in`, f.in);
    // Filter values become jsonb parameters: no NUL or unpaired surrogate anywhere in them, and a bounded depth.
    for (const k of ['eq', 'in'] as const) {
      const v: unknown = f[k];
      if (!given(v)) continue;
      if (jsonDepth(v) > MAX_JSON_DEPTH + 1) throw invalidArgument(`a value nested at most ${MAX_JSON_DEPTH} levels deep`, `filters[${f.field}].${k}`, v);
      if (hasUnstorableText(v)) throw invalidArgument('values without NUL characters or unpaired UTF-16 surrogates', `filters[${f.field}].${k}`, v);
    }
    const checked: FieldFilter = { field: f.field };
    if (hasEq) checked.eq = f.eq;
    for (const k of ops) (checked as unknown as Record<string, unknown>)[k] = f[k];
    return checked;
  });
}
