// Static limits on a parsed GraphQL document, checked before validation (graphql-js validation itself can be made
// quadratic by thousands of overlapping fields): selection depth, aliases, fields after fragment expansion, and an
// estimated cost in which lists multiply the cost of what they select. Fragments are expanded with memoisation, so
// a fragment fan-out bomb is measured in linear time, and fragment cycles count as over every limit.
import { Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

export interface QueryMeasure {
  depth: number;
  aliases: number;
  /** Fields selected after fragment expansion. */
  fields: number;
}

/** Cost of one `search` call on top of its selections (model inference, vector search, Postgres). */
export const SEARCH_COST = 1_000;
/** Assumed length of a list whose size the query does not state. */
export const DEFAULT_LIST_SIZE = 10;
const CAP = Number.MAX_SAFE_INTEGER / 4;

/** Names of fields that return lists anywhere in the schema (a static pass cannot always know the parent type). */
export function listFieldNames(schema: GraphQLSchema): Set<string> {
  const names = new Set<string>();
  // Duck-typed and printed rather than instanceof: the schema may come from graphql's other module format.
  for (const type of Object.values(schema.getTypeMap())) {
    const fields = (type as { getFields?: () => Record<string, GraphQLField<unknown, unknown>> }).getFields;
    if (type.name.startsWith('__') || typeof fields !== 'function' || 'parseValue' in type) continue;
    for (const field of Object.values(fields.call(type))) if (String(field.type).startsWith('[')) names.add(field.name);
  }
  return names;
}

function fragmentsOf(doc: DocumentNode): Map<string, FragmentDefinitionNode> {
  const out = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) out.set(d.name.value, d);
  return out;
}

function operationsOf(doc: DocumentNode): OperationDefinitionNode[] {
  return doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
}

/** Depth, aliases and field count of every operation in the document (the largest of each). */
export function measureDocument(doc: DocumentNode): QueryMeasure {
  const fragments = fragmentsOf(doc);
  const memo = new Map<string, QueryMeasure>();
  const visiting = new Set<string>();
  const infinite: QueryMeasure = { depth: CAP, aliases: CAP, fields: CAP };
  const measure = (set: SelectionSetNode): QueryMeasure => {
    let depth = 0;
    let aliases = 0;
    let fields = 0;
    for (const sel of set.selections) {
      let m: QueryMeasure;
      if (sel.kind === Kind.FIELD) {
        const inner = sel.selectionSet ? measure(sel.selectionSet) : { depth: 0, aliases: 0, fields: 0 };
        m = { depth: inner.depth + 1, aliases: inner.aliases + (sel.alias ? 1 : 0), fields: inner.fields + 1 };
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        m = measure(sel.selectionSet);
      } else {
        const name = sel.name.value;
        const cached = memo.get(name);
        if (cached) m = cached;
        else if (visiting.has(name)) m = infinite;
        else {
          const frag = fragments.get(name);
          visiting.add(name);
          m = frag ? measure(frag.selectionSet) : { depth: 0, aliases: 0, fields: 0 };
          visiting.delete(name);
          memo.set(name, m);
        }
      }
      depth = Math.max(depth, m.depth);
      aliases = Math.min(CAP, aliases + m.aliases);
      fields = Math.min(CAP, fields + m.fields);
    }
    return { depth, aliases, fields };
  };
  const out: QueryMeasure = { depth: 0, aliases: 0, fields: 0 };
  for (const op of operationsOf(doc)) {
    const m = measure(op.selectionSet);
    out.depth = Math.max(out.depth, m.depth);
    out.aliases = Math.max(out.aliases, m.aliases);
    out.fields = Math.max(out.fields, m.fields);
  }
  return out;
}

function valueOf(node: ValueNode | undefined, variables: Record<string, unknown>): unknown {
  if (!node) return undefined;
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, valueOf(f.value, variables)]));
    default:
      return undefined;
  }
}

/** The `limit` a field asks for, directly or inside an input object (search(input: { limit })). */
function requestedLimit(args: readonly { name: { value: string }; value: ValueNode }[], variables: Record<string, unknown>): number | null {
  for (const a of args) {
    const v = valueOf(a.value, variables);
    const limit = a.name.value === 'limit' ? v : v && typeof v === 'object' ? (v as Record<string, unknown>).limit : undefined;
    if (typeof limit === 'number' && Number.isFinite(limit) && limit > 0) return limit;
  }
  return null;
}

/**
 * Estimated cost of the operation that would run: each field costs 1, `search` costs SEARCH_COST more, and a list
 * field multiplies the cost of its selections by its size (a search's `hits` by its limit, others by
 * DEFAULT_LIST_SIZE).
 */
export function estimateCost(doc: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>, lists: Set<string>): number {
  const ops = operationsOf(doc);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
  if (!op) return 0;
  const fragments = fragmentsOf(doc);
  const visiting = new Set<string>();
  // Memoised per (fragment, pending limit): the same fragment under another search limit costs differently.
  const memo = new Map<string, number>();
  const cost = (set: SelectionSetNode, pendingLimit: number | null): number => {
    let total = 0;
    for (const sel of set.selections) {
      let c: number;
      if (sel.kind === Kind.FIELD) {
        const own = 1 + (sel.name.value === 'search' ? SEARCH_COST : 0);
        const limit = requestedLimit(sel.arguments ?? [], variables) ?? (sel.name.value === 'search' ? DEFAULT_LIST_SIZE : pendingLimit);
        let inner = 0;
        if (sel.selectionSet) {
          if (lists.has(sel.name.value)) inner = (limit ?? DEFAULT_LIST_SIZE) * cost(sel.selectionSet, null);
          else inner = cost(sel.selectionSet, limit);
        }
        c = own + inner;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        c = cost(sel.selectionSet, pendingLimit);
      } else {
        const key = `${sel.name.value}:${pendingLimit}`;
        const cached = memo.get(key);
        if (cached !== undefined) c = cached;
        else if (visiting.has(sel.name.value)) c = CAP;
        else {
          const frag = fragments.get(sel.name.value);
          visiting.add(sel.name.value);
          c = frag ? cost(frag.selectionSet, pendingLimit) : 0;
          visiting.delete(sel.name.value);
          memo.set(key, c);
        }
      }
      total = Math.min(CAP, total + c);
    }
    return total;
  };
  return cost(op.selectionSet, null);
}
