// A boolean filter tree over document fields — the one shape every filter takes on its way to storage: GraphQL's
// list of filters is an AND of leaves, Marqo's filter string parses to any tree. Leaves are field conditions
// (FieldFilter); `and` / `or` combine children, `not` negates one. Every leaf is two-valued: a document without the
// field, or with a value of another type, fails the leaf (so `not` of it passes), as in filter-sql.ts.
import type { FieldFilter } from './search.js';
import type { DocumentFields } from './types.js';

export type FilterNode = FieldFilter | { and: FilterNode[] } | { or: FilterNode[] } | { not: FilterNode };

export function isFieldFilter(node: FilterNode): node is FieldFilter {
  return typeof (node as FieldFilter).field === 'string';
}

/** AND of the given nodes, flattened one level; null when there are none. */
export function allOf(nodes: readonly (FilterNode | null | undefined)[]): FilterNode | null {
  const present = nodes.filter((n): n is FilterNode => n !== null && n !== undefined);
  if (present.length === 0) return null;
  if (present.length === 1) return present[0]!;
  return { and: present.flatMap((n) => (!isFieldFilter(n) && 'and' in n ? n.and : [n])) };
}

function leafMatches(fields: DocumentFields, f: FieldFilter): boolean {
  const has = Object.hasOwn(fields, f.field);
  const v = has ? fields[f.field] : undefined;
  if (f.eq !== undefined && !(has && v === f.eq)) return false;
  if (f.in !== undefined && !f.in.some((x) => has && v === x)) return false;
  const n = typeof v === 'number' ? v : null;
  if (f.gt !== undefined && !(n !== null && n > f.gt)) return false;
  if (f.gte !== undefined && !(n !== null && n >= f.gte)) return false;
  if (f.lt !== undefined && !(n !== null && n < f.lt)) return false;
  if (f.lte !== undefined && !(n !== null && n <= f.lte)) return false;
  return true;
}

/** Whether a document's fields pass the tree: the reference semantics that the SQL form (filter-sql.ts) implements. */
export function filterMatches(node: FilterNode | null | undefined, fields: DocumentFields): boolean {
  if (node === null || node === undefined) return true;
  if (isFieldFilter(node)) return leafMatches(fields, node);
  if ('and' in node) return node.and.every((c) => filterMatches(c, fields));
  if ('or' in node) return node.or.some((c) => filterMatches(c, fields));
  return !filterMatches(node.not, fields);
}
