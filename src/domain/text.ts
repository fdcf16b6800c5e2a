// Rules for text that comes from outside (ids, field values, queries, file names): Postgres `text` and `jsonb`
// cannot hold NUL, and `jsonb` refuses unpaired UTF-16 surrogates, so both are refused where input enters. Also the
// bounded, non-recursive way to show an input in a message, and the nesting limit of JSON values.

/** A NUL character or a UTF-16 surrogate that is not part of a pair (the `u` flag makes pairs one code point). */
const UNSTORABLE = /[\0\p{Cs}]/u;

/** Why a string cannot be stored as text, or null when it can. */
export function textProblem(value: string): string | null {
  const m = UNSTORABLE.exec(value);
  if (!m) return null;
  return m[0] === '\0' ? `a NUL character at position ${m.index}` : `an unpaired UTF-16 surrogate at position ${m.index}`;
}

/** Whether any string in a JSON value (keys included) cannot be stored as text; walked without recursion. */
export function hasUnstorableText(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return true;
    } else if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) stack.push(...v);
      else for (const [k, child] of Object.entries(v)) stack.push(k, child);
    }
  }
  return false;
}

/** Deepest nesting of arrays and objects a JSON value (a document's fields, a filter value) may have. */
export const MAX_JSON_DEPTH = 32;

/** Nesting depth of arrays/objects in `value` (a scalar is 0), counted without recursion and stopping past `limit`. */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const d = depth + 1;
    if (d > deepest) deepest = d;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d]);
  }
  return deepest;
}

const SHOWN = 80;

function isFileLike(v: object): v is { name: string } {
  return typeof (v as { arrayBuffer?: unknown }).arrayBuffer === 'function' && typeof (v as { name?: unknown }).name === 'string';
}

/** JSON-like text of `v`, at most about `budget` characters and `depth` levels deep. */
function show(v: unknown, depth: number, budget: number): string {
  if (typeof v === 'string') return JSON.stringify(v.length > budget ? v.slice(0, budget) : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return '[function]';
  if (typeof v !== 'object' || v === null) return String(v);
  if (isFileLike(v)) return `[file ${JSON.stringify(v.name.slice(0, 40))}]`;
  if (v instanceof Date) return JSON.stringify(Number.isNaN(v.getTime()) ? null : v.toISOString());
  if (depth === 0) return Array.isArray(v) ? '[...]' : '{...}';
  const parts: string[] = [];
  let used = 2;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && used < budget; i++) {
      const s = show(v[i], depth - 1, budget - used);
      parts.push(s);
      used += s.length + 1;
    }
    if (parts.length < v.length) parts.push('...');
    return `[${parts.join(',')}]`;
  }
  let more = false;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    if (used >= budget) {
      more = true;
      break;
    }
    const s = `${JSON.stringify(k.slice(0, budget))}:${show((v as Record<string, unknown>)[k], depth - 1, budget - used)}`;
    parts.push(s);
    used += s.length + 1;
  }
  if (more) parts.push('...');
  return `{${parts.join(',')}}`;
}

/** An input as shown in a message: JSON-like, at most `max` characters, never the whole of a long or deep value. */
export function preview(value: unknown, max = SHOWN): string {
  const text = show(value, 3, max + 1);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
