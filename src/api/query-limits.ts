// Static limits on a parsed GraphQL document, checked before validation (graphql-js validation itself can be made
// quadratic by thousands of overlapping fields): selection depth, aliases, fields after fragment expansion, and an
// estimated cost in which lists multiply the cost of what they select and reranked images and image queries count
// (with the reranked images also capped per request). Fragments are expanded with memoisation, so a fragment fan-out
// bomb is measured in linear time, and fragment cycles count as over every limit.
import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  /** Images reranked per request, all of its searches together. */
  maxRerankImages: number;
}

export interface QueryMeasure {
  depth: number;
  aliases: number;
  /** Fields selected after fragment expansion. */
  fields: number;
}

/** Cost of one `search` call on top of its selections (model inference, vector search, Postgres). */
export const SEARCH_COST = 1_000;
/** Cost of each image a search's reranker reads (download or cache, decode, one OWL inference). */
export const RERANK_IMAGE_COST = 500;
/** Cost of an image query on top of its search (a download of up to LOUPE_MAX_IMAGE_BYTES, a decode, an embedding). */
export const IMAGE_QUERY_COST = 5_000;
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

/** The value of an argument as the request gives it: literals, variables (default values included), lists, objects. */
function valueOf(node: ValueNode | undefined, variables: Record<string, unknown>): unknown {
  if (!node) return undefined;
  switch (node.kind) {
    case Kind.VARIABLE:
      return Object.hasOwn(variables, node.name.value) ? variables[node.name.value] : undefined;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.BOOLEAN:
      return node.value;
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((v) => valueOf(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, valueOf(f.value, variables)]));
    default:
      return undefined;
  }
}

type Arguments = readonly { name: { value: string }; value: ValueNode }[];

const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.min(v, CAP) : null);
const objectOrNull = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** The `limit` a field asks for, directly or inside an input object (search(input: { limit })). */
function requestedLimit(args: Arguments, variables: Record<string, unknown>): number | null {
  for (const a of args) {
    const v = valueOf(a.value, variables);
    const limit = positive(a.name.value === 'limit' ? v : objectOrNull(v)?.limit);
    if (limit !== null) return limit;
  }
  return null;
}

/** What a `search` asks of the models beyond the first stage: images its reranker reads, and an image query. */
function searchDemand(args: Arguments, variables: Record<string, unknown>): { rerankImages: number; imageQuery: boolean } {
  const input = objectOrNull(valueOf(args.find((a) => a.name.value === 'input')?.value, variables));
  if (!input) return { rerankImages: 0, imageQuery: false };
  const rerank = objectOrNull(input.rerank);
  // The service's default depth is the page size (SearchInput.limit defaults to DEFAULT_LIST_SIZE).
  const rerankImages = rerank ? Math.ceil(positive(rerank.depth) ?? positive(input.limit) ?? DEFAULT_LIST_SIZE) : 0;
  return { rerankImages, imageQuery: objectOrNull(input.image) !== null };
}

/** Variables as the operation will see them: the request's, then each definition's default value. */
function withDefaults(op: OperationDefinitionNode, variables: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(variables));
  for (const def of op.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    if (def.defaultValue && (!Object.hasOwn(out, name) || out[name] === undefined)) out[name] = valueOf(def.defaultValue, {});
  }
  return out;
}

export interface OperationCost {
  /** Estimated cost (see estimateCost). */
  cost: number;
  /** Images the operation's searches rerank, all together. */
  rerankImages: number;
}

/**
 * Estimated cost of the operation that would run: each field costs 1, `search` costs SEARCH_COST more, plus
 * RERANK_IMAGE_COST per image its reranker reads (rerank.depth, default its limit) and IMAGE_QUERY_COST for an image
 * query; a list field multiplies the cost of its selections by its size (a search's `hits` by its limit, others by
 * DEFAULT_LIST_SIZE). Also counts the reranked images of the whole operation, for their own per-request cap.
 */
export function estimateCost(
  doc: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
  lists: Set<string>,
): OperationCost {
  const ops = operationsOf(doc);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
  if (!op) return { cost: 0, rerankImages: 0 };
  const vars = withDefaults(op, variables);
  const fragments = fragmentsOf(doc);
  const visiting = new Set<string>();
  // Memoised per (fragment, pending limit): the same fragment under another search limit costs differently.
  const memo = new Map<string, OperationCost>();
  const add = (a: OperationCost, b: OperationCost, times = 1): OperationCost => ({
    cost: Math.min(CAP, a.cost + times * b.cost),
    rerankImages: Math.min(CAP, a.rerankImages + times * b.rerankImages),
  });
  const cost = (set: SelectionSetNode, pendingLimit: number | null): OperationCost => {
    let total: OperationCost = { cost: 0, rerankImages: 0 };
    for (const sel of set.selections) {
      let c: OperationCost;
      if (sel.kind === Kind.FIELD) {
        const isSearch = sel.name.value === 'search';
        const demand = isSearch ? searchDemand(sel.arguments ?? [], vars) : { rerankImages: 0, imageQuery: false };
        c = {
          cost: 1 + (isSearch ? SEARCH_COST + demand.rerankImages * RERANK_IMAGE_COST + (demand.imageQuery ? IMAGE_QUERY_COST : 0) : 0),
          rerankImages: demand.rerankImages,
        };
        const limit = requestedLimit(sel.arguments ?? [], vars) ?? (isSearch ? DEFAULT_LIST_SIZE : pendingLimit);
        if (sel.selectionSet) {
          if (lists.has(sel.name.value)) c = add(c, cost(sel.selectionSet, null), limit ?? DEFAULT_LIST_SIZE);
          else c = add(c, cost(sel.selectionSet, limit));
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        c = cost(sel.selectionSet, pendingLimit);
      } else {
        const key = `${sel.name.value}:${pendingLimit}`;
        const cached = memo.get(key);
        if (cached !== undefined) c = cached;
        else if (visiting.has(sel.name.value)) c = { cost: CAP, rerankImages: CAP };
        else {
          const frag = fragments.get(sel.name.value);
          visiting.add(sel.name.value);
          c = frag ? cost(frag.selectionSet, pendingLimit) : { cost: 0, rerankImages: 0 };
          visiting.delete(sel.name.value);
          memo.set(key, c);
        }
      }
      total = add(total, c);
    }
    return total;
  };
  return cost(op.selectionSet, null);
}
