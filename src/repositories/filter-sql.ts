// Turns document-field filters into parameterised SQL over `documents d` (values never spliced into SQL text).
import { Prisma } from '../generated/prisma/client.js';
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

/** AND of all filters; TRUE when there are none. */
export function filterSql(filters: FieldFilter[] | undefined): Prisma.Sql {
  const parts = (filters ?? []).flatMap(one);
  return parts.length ? Prisma.join(parts, ' AND ') : Prisma.sql`TRUE`;
}

/** Restricts chunks `c` to the given fields (searchableAttributes); TRUE when unrestricted. */
export function fieldsSql(fields: string[] | undefined): Prisma.Sql {
  return fields && fields.length ? Prisma.sql`c.field = ANY(${fields}::text[])` : Prisma.sql`TRUE`;
}
