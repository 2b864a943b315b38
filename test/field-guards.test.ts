import { graphql } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../src/errors.ts';
import { guardFields } from '../src/field-guards.ts';

function schemaThrowing(make: () => Error, synchronous: boolean) {
  const schema = createSchema({ typeDefs: 'type Query { guarded: Int, open: Int }', resolvers: { Query: { guarded: () => 1, open: () => 2 } } });
  return guardFields(schema, (_field, coordinate) => [
    coordinate === 'Query.guarded'
      ? () => {
          if (synchronous) throw make();
          return Promise.reject(make());
        }
      : undefined,
  ]);
}

describe('guardFields', () => {
  it.each([true, false])('places each refusal at its own field (synchronous check: %s), even one instance thrown twice', async (synchronous) => {
    const shared = new ForbiddenError();
    for (const make of [() => new ForbiddenError(), () => shared]) {
      const result = await graphql({ schema: schemaThrowing(make, synchronous), source: '{ a: guarded\n  b: guarded open }' });
      expect(result.data).toEqual({ a: null, b: null, open: 2 });
      expect(result.errors?.map((e) => [e.path, e.locations, e.extensions.code])).toEqual([
        [['a'], [{ line: 1, column: 3 }], 'FORBIDDEN'],
        [['b'], [{ line: 2, column: 3 }], 'FORBIDDEN'],
      ]);
    }
  });

  it('leaves an error that is not the gateway\'s own to graphql-js', async () => {
    const result = await graphql({ schema: schemaThrowing(() => new Error('a fault'), true), source: '{ guarded }' });
    expect(result.errors?.[0]).toMatchObject({ message: 'a fault', path: ['guarded'] });
    expect(result.errors?.[0]?.originalError?.message).toBe('a fault');
  });
});
