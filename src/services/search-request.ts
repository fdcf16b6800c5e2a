// The checks of a search request that need no I/O: cursors, filters (the list and the boolean tree). The defaults and bounds live in domain/search.ts.
import { checkText, invalidArgument } from '../domain/errors.js';
import { FIELD_NAME } from '../domain/index-settings.js';
import { allOf } from '../domain/filter-tree.js';
import { SEARCH_LIMITS, type FieldFilter, type FilterNode, type WeightedQuery } from '../domain/search.js';
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
  return filters.map((f) => checkFieldFilter(f, 'filters'));
}

/** One checked field condition; `name` says where it sits in the request (filters, where.or[1], ...). */
function checkFieldFilter(f: FieldFilter, name: string): FieldFilter {
  if (!f || typeof f.field !== 'string' || !FIELD_NAME.test(f.field)) throw invalidArgument('a field name', `${name}.field`, f?.field);
  const hasEq = Object.hasOwn(f, 'eq') && f.eq !== undefined;
  const ops = (['in', 'gt', 'gte', 'lt', 'lte'] as const).filter((k) => given(f[k]));
  if (!hasEq && !ops.length) throw invalidArgument('one of eq, in, gt, gte, lt, lte', `${name}[${f.field}]`, f);
  for (const k of ['gt', 'gte', 'lt', 'lte'] as const)
    if (given(f[k]) && !Number.isFinite(f[k])) throw invalidArgument('a finite number', `${name}[${f.field}].${k}`, f[k]);
  if (given(f.in) && (!Array.isArray(f.in) || f.in.length > 1000)) throw invalidArgument('a list of at most 1000 values', `${name}[${f.field}].in`, f.in);
  // Filter values become jsonb parameters: no NUL or unpaired surrogate anywhere in them, and a bounded depth.
  for (const k of ['eq', 'in'] as const) {
    const v: unknown = f[k];
    if (!given(v)) continue;
    if (jsonDepth(v) > MAX_JSON_DEPTH + 1) throw invalidArgument(`a value nested at most ${MAX_JSON_DEPTH} levels deep`, `${name}[${f.field}].${k}`, v);
    if (hasUnstorableText(v)) throw invalidArgument('values without NUL characters or unpaired UTF-16 surrogates', `${name}[${f.field}].${k}`, v);
  }
  const checked: FieldFilter = { field: f.field };
  if (hasEq) checked.eq = f.eq;
  for (const k of ops) (checked as unknown as Record<string, unknown>)[k] = f[k];
  return checked;
}

/**
 * The request's whole filter as one checked tree: the `filters` list ANDed with the `where` tree; null when neither
 * is given. A tree node is exactly one of `and`, `or`, `not` or a field condition, at most maxFilterNodes nodes and
 * maxFilterDepth levels.
 */
export function checkWhere(filters: FieldFilter[] | undefined | null, where: FilterNode | undefined | null): FilterNode | null {
  const { maxFilterNodes, maxFilterDepth } = SEARCH_LIMITS;
  let nodes = 0;
  const walk = (n: FilterNode, name: string, depth: number): FilterNode => {
    if (++nodes > maxFilterNodes) throw invalidArgument(`a filter of at most ${maxFilterNodes} conditions and operators`, 'where', `${nodes}+ nodes`);
    if (depth > maxFilterDepth) throw invalidArgument(`a filter nested at most ${maxFilterDepth} levels deep`, name, 'a deeper tree');
    if (n === null || typeof n !== 'object' || Array.isArray(n)) throw invalidArgument('a filter node object', name, n);
    const keys = (['and', 'or', 'not', 'field'] as const).filter((k) => Object.hasOwn(n, k) && (n as Record<string, unknown>)[k] != null);
    if (keys.length !== 1) throw invalidArgument('exactly one of and, or, not, field', name, n);
    // By the key that is set: GraphQL clients send the others as null.
    const op = keys[0]!;
    if (op === 'field') return checkFieldFilter(n as FieldFilter, name);
    if (op === 'not') return { not: walk((n as { not: FilterNode }).not, `${name}.not`, depth + 1) };
    const children: unknown = (n as Record<string, unknown>)[op];
    if (!Array.isArray(children)) throw invalidArgument('a list of filter nodes', `${name}.${op}`, children);
    const checked = children.map((c: FilterNode, i) => walk(c, `${name}.${op}[${i}]`, depth + 1));
    return op === 'and' ? { and: checked } : { or: checked };
  };
  const tree = where === undefined || where === null ? null : walk(where, 'where', 1);
  return allOf([...checkFilters(filters), tree]);
}

export const MAX_WEIGHTED_QUERIES = 16;

/** Checked weighted queries: 1-16 parts, each exactly one text (1-2000 characters) or image, finite weights not all 0. */
export function checkWeighted(parts: WeightedQuery[]): WeightedQuery[] {
  if (!Array.isArray(parts) || parts.length === 0 || parts.length > MAX_WEIGHTED_QUERIES)
    throw invalidArgument(`1-${MAX_WEIGHTED_QUERIES} weighted queries`, 'weighted', parts);
  const checked = parts.map((p, i) => {
    if (!p || typeof p !== 'object') throw invalidArgument('a weighted query object', `weighted[${i}]`, p);
    if (typeof p.weight !== 'number' || !Number.isFinite(p.weight)) throw invalidArgument('a finite number', `weighted[${i}].weight`, p.weight);
    const hasText = typeof p.text === 'string';
    if (hasText === (p.image !== undefined && p.image !== null)) throw invalidArgument('exactly one of text and image', `weighted[${i}]`, p);
    if (!hasText) return { image: p.image, weight: p.weight };
    const text = p.text!.trim();
    if (text.length === 0 || text.length > 2_000) throw invalidArgument('a text of 1-2000 characters', `weighted[${i}].text`, p.text);
    return { text: checkText(text, `weighted[${i}].text`), weight: p.weight };
  });
  if (checked.every((p) => p.weight === 0)) throw invalidArgument('at least one non-zero weight', 'weighted', parts);
  return checked;
}
