// Marqo's filter string → the boolean filter tree: precedence, grouping, values, ranges, IN lists, escapes, and the
// position-naming errors for malformed strings.
import { describe, expect, it } from 'vitest';
import { parseMarqoFilter } from '../../src/api/marqo/filter-string.js';
import { filterMatches } from '../../src/domain/filter-tree.js';
import { checkWhere } from '../../src/services/search-request.js';

describe('parseMarqoFilter', () => {
  it('reads field:value with loose numbers and booleans, and exact quoted or grouped text', () => {
    expect(parseMarqoFilter('colour:red')).toEqual({ field: 'colour', eq: 'red' });
    expect(parseMarqoFilter('size:300')).toEqual({ field: 'size', in: [300, '300'] });
    expect(parseMarqoFilter('ratio:-1.5e2')).toEqual({ field: 'ratio', in: [-150, '-1.5e2'] });
    expect(parseMarqoFilter('flag:true')).toEqual({ field: 'flag', in: [true, 'true'] });
    expect(parseMarqoFilter('size:"300"')).toEqual({ field: 'size', eq: '300' });
    expect(parseMarqoFilter('caption:(a red square)')).toEqual({ field: 'caption', eq: 'a red square' });
    expect(parseMarqoFilter('caption:"say \\"hi\\""')).toEqual({ field: 'caption', eq: 'say "hi"' });
    expect(parseMarqoFilter('path:a\\ b\\)c')).toEqual({ field: 'path', eq: 'a b)c' });
    expect(parseMarqoFilter('url:http://x/y?z=1')).toEqual({ field: 'url', eq: 'http://x/y?z=1' });
  });

  it('binds NOT tighter than AND, and AND tighter than OR; parentheses group', () => {
    expect(parseMarqoFilter('a:1 OR b:x AND NOT c:y')).toEqual({
      or: [{ field: 'a', in: [1, '1'] }, { and: [{ field: 'b', eq: 'x' }, { not: { field: 'c', eq: 'y' } }] }],
    });
    expect(parseMarqoFilter('(a:x OR b:y) AND c:z')).toEqual({
      and: [
        {
          or: [
            { field: 'a', eq: 'x' },
            { field: 'b', eq: 'y' },
          ],
        },
        { field: 'c', eq: 'z' },
      ],
    });
    expect(parseMarqoFilter('NOT (a:x OR b:y)')).toEqual({
      not: {
        or: [
          { field: 'a', eq: 'x' },
          { field: 'b', eq: 'y' },
        ],
      },
    });
    expect(parseMarqoFilter('  a:x   AND   b:y  ')).toEqual({
      and: [
        { field: 'a', eq: 'x' },
        { field: 'b', eq: 'y' },
      ],
    });
  });

  it('reads inclusive and exclusive ranges with open ends, and IN lists', () => {
    expect(parseMarqoFilter('size:[200 TO 400]')).toEqual({ field: 'size', gte: 200, lte: 400 });
    expect(parseMarqoFilter('size:{200 TO *}')).toEqual({ field: 'size', gt: 200 });
    expect(parseMarqoFilter('size:[* TO 2.5]')).toEqual({ field: 'size', lte: 2.5 });
    expect(parseMarqoFilter('colour IN (red, "light blue", 3)')).toEqual({ field: 'colour', in: ['red', 'light blue', 3, '3'] });
  });

  it('names the position of what is malformed', () => {
    const cases: [string, RegExp][] = [
      ['', /position 0: expected a filter term .* but found an empty filter/],
      ['colour', /position 6: expected ":" or IN after the field name "colour"/],
      ['colour:red blue:x', /position 11: expected AND, OR or the end of the filter but found "blue:x"/],
      ['(colour:red', /position 11: expected "\)" to close/],
      ['colour:red)', /position 10: expected the end of the filter \(this "\)" closes nothing\)/],
      ['colour:"red', /position 7: expected a closing '"' for the quote opened here/],
      ['size:[1 TO x]', /position 11: expected a number or \* as a range bound .* but found "x"/],
      ['size:[1 2]', /position 8: expected TO between the two bounds/],
      ['a:x AND', /position 7: expected a field name/],
      ['_id:abc', /filtering on _id is not supported/],
      ['9lives:x', /position 0: expected a field name starting with a letter/],
      ['colour IN (red', /position 14: expected "," or "\)" in the IN list/],
      ['size:[* TO *]', /has no bound/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseMarqoFilter(text), text).toThrow(message);
      expect(() => parseMarqoFilter(text)).toThrow(/^Malformed filter string/);
    }
    expect(() => parseMarqoFilter('a:x '.repeat(3000))).toThrow(/over 10000/);
    expect(() => parseMarqoFilter(`${'NOT '.repeat(70)}a:x`)).toThrow(/nested at most 64 levels/);
  });

  it('gives trees that the service accepts and that mean what Marqo means', () => {
    const tree = checkWhere(undefined, parseMarqoFilter('(colour:red OR colour:blue) AND NOT size:[0 TO 250] AND flag:true'))!;
    const doc = (fields: Record<string, string | number | boolean>) => filterMatches(tree, fields);
    expect(doc({ colour: 'red', size: 300, flag: true })).toBe(true);
    expect(doc({ colour: 'blue', size: 450, flag: 'true' })).toBe(true);
    expect(doc({ colour: 'red', size: 200, flag: true })).toBe(false);
    expect(doc({ colour: 'green', size: 300, flag: true })).toBe(false);
    // No size at all: the range fails, so NOT passes.
    expect(doc({ colour: 'red', flag: true })).toBe(true);
  });
});

describe('checkWhere', () => {
  it('ANDs the filter list with the tree, and refuses malformed or oversized trees with the one template', () => {
    expect(checkWhere([{ field: 'a', eq: 1 }], { or: [{ field: 'b', eq: 2 }, { not: { field: 'c', gt: 3 } }] })).toEqual({
      and: [{ field: 'a', eq: 1 }, { or: [{ field: 'b', eq: 2 }, { not: { field: 'c', gt: 3 } }] }],
    });
    expect(checkWhere(undefined, undefined)).toBeNull();
    expect(() => checkWhere(undefined, { and: [{ field: 'a' }] } as never)).toThrow(/^Expected one of eq, in, gt, gte, lt, lte for where.and\[0\]\[a\]/);
    expect(() => checkWhere(undefined, { and: [], or: [] } as never)).toThrow(/^Expected exactly one of and, or, not, field for where/);
    expect(() => checkWhere(undefined, { or: { field: 'a', eq: 1 } } as never)).toThrow(/^Expected a list of filter nodes for where.or/);
    const wide = { or: Array.from({ length: 300 }, () => ({ field: 'a', eq: 1 })) };
    expect(() => checkWhere(undefined, wide)).toThrow(/at most 256 conditions/);
    let deep: any = { field: 'a', eq: 1 };
    for (let i = 0; i < 20; i++) deep = { not: deep };
    expect(() => checkWhere(undefined, deep)).toThrow(/nested at most 16 levels/);
  });
});
