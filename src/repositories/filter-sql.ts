// Turns a document-field filter tree into parameterised SQL over `documents d` (values never spliced into SQL text).
// Each leaf is two-valued (COALESCE ... FALSE): a missing field or a value of another type fails it, so NOT passes —
// the semantics of filterMatches in domain/filter-tree.ts, which the tests hold this against.
import { Prisma } from '../generated/prisma/client.js';
import { isFieldFilter, type FilterNode } from '../domain/filter-tree.js';
import type { FieldFilter } from '../domain/search.js';

const numeric = (field: string) => Prisma.sql`(CASE WHEN jsonb_typeof(d.fields -> ${field}) = 'number' THEN (d.fields ->> ${field})::numeric END)`;

function one(f: FieldFilter): Prisma.Sql[] {
  const parts: Prisma.Sql[] = [];
  if (f.eq !== undefined) parts.push(Prisma.sql`d.fields @> ${JSON.stringify({ [f.field]: f.eq })}::jsonb`);
  if (f.in !== undefined) {
    const alts = f.in.map((v) => Prisma.sql`d.fields @> ${JSON.stringify({ [f.field]: v })}::jsonb`);
    parts.push(alts.length ? Prisma.sql`(${Prisma.join(alts, ' OR ')})` : Prisma.sql`FALSE`);
  }
  if (f.gt !== undefined) parts.push(Prisma.sql`${numeric(f.field)} > ${f.gt}`);
  if (f.gte !== undefined) parts.push(Prisma.sql`${numeric(f.field)} >= ${f.gte}`);
  if (f.lt !== undefined) parts.push(Prisma.sql`${numeric(f.field)} < ${f.lt}`);
  if (f.lte !== undefined) parts.push(Prisma.sql`${numeric(f.field)} <= ${f.lte}`);
  return parts;
}

/** The tree as one SQL condition; TRUE when there is none. */
export function filterSql(where: FilterNode | null | undefined): Prisma.Sql {
  if (where === null || where === undefined) return Prisma.sql`TRUE`;
  if (isFieldFilter(where)) {
    const parts = one(where);
    return parts.length ? Prisma.sql`COALESCE((${Prisma.join(parts, ' AND ')}), FALSE)` : Prisma.sql`TRUE`;
  }
  if ('not' in where) return Prisma.sql`(NOT ${filterSql(where.not)})`;
  const [children, op, empty] = 'and' in where ? [where.and, ' AND ', Prisma.sql`TRUE`] : [where.or, ' OR ', Prisma.sql`FALSE`];
  return children.length ? Prisma.sql`(${Prisma.join(children.map(filterSql), op)})` : empty;
}

/** Restricts chunks `c` to the given fields (searchableAttributes); TRUE when unrestricted. */
export function fieldsSql(fields: string[] | undefined): Prisma.Sql {
  return fields && fields.length ? Prisma.sql`c.field = ANY(${fields}::text[])` : Prisma.sql`TRUE`;
}
