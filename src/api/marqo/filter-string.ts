// Marqo's filter string (a Lucene-like DSL) parsed by recursive descent into Loupe's boolean filter tree
// (domain/filter-tree.ts), which the search service evaluates like any other filter. Grammar, loosest first:
//
//   or      := and ('OR' and)*
//   and     := unary ('AND' unary)*
//   unary   := 'NOT' unary | '(' or ')' | term
//   term    := field ':' value | field ':' range | field 'IN' '(' value (',' value)* ')'
//   value   := '"' chars '"' | '(' chars ')' | bare          bare: up to white space or ')'; '\' escapes any character
//   range   := '[' bound 'TO' bound ']' | '{' bound 'TO' bound '}'   (inclusive / exclusive; bound: number or '*')
//
// Operators are upper case, as in Marqo; two terms with no operator between them are an error rather than a guess.
// A bare number or true/false matches that number or boolean and also the same text (Marqo's unstructured indexes
// compare loosely); a quoted or parenthesised value matches that exact text. Every error names the position.
import { LoupeError } from '../../domain/errors.js';
import type { FieldValue } from '../../domain/types.js';
import type { FieldFilter, FilterNode } from '../../domain/search.js';

export const MAX_FILTER_STRING = 10_000;

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const FIELD_CHAR = /[A-Za-z0-9_.-]/;

/** The tree a Marqo filter string means; INVALID_INPUT naming the position of the first thing that does not fit. */
export function parseMarqoFilter(text: string): FilterNode {
  if (typeof text !== 'string') throw new LoupeError('INVALID_INPUT', `Expected a filter string for filter but received a value of type ${typeof text}`);
  if (text.length > MAX_FILTER_STRING) throw new LoupeError('INVALID_INPUT', `Filter string of ${text.length} characters is over ${MAX_FILTER_STRING}`);
  const parser = new FilterParser(text);
  return parser.parse();
}

class FilterParser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly s: string) {}

  parse(): FilterNode {
    this.ws();
    if (this.pos >= this.s.length) throw this.error('a filter term such as field:value', 'an empty filter');
    const tree = this.or();
    this.ws();
    if (this.pos < this.s.length) {
      const word = this.peekWord();
      throw this.error(
        this.s[this.pos] === ')' ? 'the end of the filter (this ")" closes nothing)' : 'AND, OR or the end of the filter',
        word ? `"${word}"` : undefined,
      );
    }
    return tree;
  }

  private or(): FilterNode {
    const children = [this.and()];
    while (this.keyword('OR')) children.push(this.and());
    return children.length === 1 ? children[0]! : { or: children };
  }

  private and(): FilterNode {
    const children = [this.unary()];
    while (this.keyword('AND')) children.push(this.unary());
    return children.length === 1 ? children[0]! : { and: children };
  }

  private unary(): FilterNode {
    this.ws();
    if (this.keyword('NOT')) return { not: this.nested(() => this.unary()) };
    if (this.s[this.pos] === '(') {
      this.pos++;
      const inner = this.nested(() => this.or());
      this.ws();
      if (this.s[this.pos] !== ')') throw this.error('")" to close the "(" opened before');
      this.pos++;
      return inner;
    }
    return this.term();
  }

  /** Bounds the recursion (the tree's own depth limit is checked again by the search service). */
  private nested<T>(fn: () => T): T {
    if (++this.depth > 64) throw this.error('a filter nested at most 64 levels deep');
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  private term(): FieldFilter {
    this.ws();
    const start = this.pos;
    while (this.pos < this.s.length && FIELD_CHAR.test(this.s[this.pos]!)) this.pos++;
    const field = this.s.slice(start, this.pos);
    if (!field) {
      this.pos = start;
      throw this.error('a field name (letters, digits, "_", ".", "-")');
    }
    if (!/^[A-Za-z_]/.test(field)) {
      this.pos = start;
      throw this.error('a field name starting with a letter or "_"', `"${field}"`);
    }
    if (field === '_id') {
      this.pos = start;
      throw this.error('a document field (filtering on _id is not supported: fetch documents by id instead)', '"_id"');
    }
    if (this.s[this.pos] === ':') {
      this.pos++;
      const c = this.s[this.pos];
      if (c === '[' || c === '{') return { field, ...this.range() };
      return this.equals(field, this.value(false));
    }
    this.ws();
    if (this.keyword('IN')) return this.inList(field);
    throw this.error(`":" or IN after the field name "${field}"`);
  }

  private equals(field: string, v: { text: string; bare: boolean }): FieldFilter {
    const alternatives = v.bare ? looseValues(v.text) : [v.text];
    return alternatives.length === 1 ? { field, eq: alternatives[0]! } : { field, in: alternatives };
  }

  private inList(field: string): FieldFilter {
    this.ws();
    if (this.s[this.pos] !== '(') throw this.error(`"(" to start the list of values after ${field} IN`);
    this.pos++;
    const values: FieldValue[] = [];
    for (;;) {
      this.ws();
      const v = this.value(true);
      values.push(...(v.bare ? looseValues(v.text) : [v.text]));
      this.ws();
      if (this.s[this.pos] === ',') {
        this.pos++;
        continue;
      }
      if (this.s[this.pos] === ')') {
        this.pos++;
        break;
      }
      throw this.error('"," or ")" in the IN list');
    }
    return { field, in: values };
  }

  /** A quoted, parenthesised or bare value (in an IN list a bare value also ends at ","). */
  private value(inList: boolean): { text: string; bare: boolean } {
    const c = this.s[this.pos];
    if (c === '"') return { text: this.delimited('"', '"'), bare: false };
    if (c === '(' && !inList) return { text: this.delimited('(', ')'), bare: false };
    const start = this.pos;
    let text = '';
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos]!;
      if (/\s/.test(ch) || ch === ')' || (inList && ch === ',') || ch === '(') break;
      if (ch === '\\') {
        if (this.pos + 1 >= this.s.length) throw this.error('a character after "\\"', 'the end of the filter');
        text += this.s[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (ch === '"') throw this.error("a value without an unescaped '\"' inside it (quote the whole value)");
      text += ch;
      this.pos++;
    }
    if (this.pos === start) throw this.error('a value');
    return { text, bare: true };
  }

  private delimited(open: string, close: string): string {
    const openedAt = this.pos;
    this.pos++;
    let text = '';
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos]!;
      if (ch === '\\' && this.pos + 1 < this.s.length) {
        text += this.s[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (ch === close) {
        this.pos++;
        return text;
      }
      text += ch;
      this.pos++;
    }
    this.pos = openedAt;
    throw this.error(`a closing ${close === '"' ? "'\"'" : `"${close}"`} for the ${open === '"' ? 'quote' : `"${open}"`} opened here`);
  }

  private range(): Pick<FieldFilter, 'gt' | 'gte' | 'lt' | 'lte'> {
    const inclusive = this.s[this.pos] === '[';
    const close = inclusive ? ']' : '}';
    this.pos++;
    this.ws();
    const lo = this.bound(close);
    this.ws();
    if (!this.keyword('TO')) throw this.error('TO between the two bounds of a range');
    this.ws();
    const hi = this.bound(close);
    this.ws();
    if (this.s[this.pos] !== close) throw this.error(`"${close}" to close the range`);
    this.pos++;
    if (lo === null && hi === null)
      throw new LoupeError('INVALID_INPUT', `Malformed filter string: the range before position ${this.pos} has no bound (* TO *)`);
    const out: Pick<FieldFilter, 'gt' | 'gte' | 'lt' | 'lte'> = {};
    if (lo !== null) out[inclusive ? 'gte' : 'gt'] = lo;
    if (hi !== null) out[inclusive ? 'lte' : 'lt'] = hi;
    return out;
  }

  private bound(close: string): number | null {
    const start = this.pos;
    while (this.pos < this.s.length && !/\s/.test(this.s[this.pos]!) && this.s[this.pos] !== close) this.pos++;
    const text = this.s.slice(start, this.pos);
    if (text === '*') return null;
    if (!NUMBER.test(text)) {
      this.pos = start;
      throw this.error('a number or * as a range bound (ranges compare numbers)', text ? `"${text}"` : undefined);
    }
    return Number(text);
  }

  private ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  private peekWord(): string {
    const m = /^[^\s()]+/.exec(this.s.slice(this.pos, this.pos + 40));
    return m ? m[0] : '';
  }

  /** Consumes `word` (after white space) when it stands alone, i.e. is followed by white space, "(", "[" or the end. */
  private keyword(word: string): boolean {
    const save = this.pos;
    this.ws();
    if (this.s.startsWith(word, this.pos)) {
      const next = this.s[this.pos + word.length];
      if (next === undefined || /\s/.test(next) || next === '(' || next === '[' || next === '{') {
        this.pos += word.length;
        return true;
      }
    }
    this.pos = save;
    return false;
  }

  private error(expected: string, found?: string): LoupeError {
    const at = this.pos;
    const what = found ?? (at >= this.s.length ? 'the end of the filter' : JSON.stringify(this.s[at]));
    return new LoupeError('INVALID_INPUT', `Malformed filter string at position ${at}: expected ${expected} but found ${what}`);
  }
}

/** A bare value's meanings: a number or boolean also as its text, anything else as text only. */
function looseValues(text: string): FieldValue[] {
  if (NUMBER.test(text)) return [Number(text), text];
  if (text === 'true' || text === 'false') return [text === 'true', text];
  return [text];
}
