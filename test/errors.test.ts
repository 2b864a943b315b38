import { locatedError, parse, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ForbiddenError, RateLimitedError, UnauthenticatedError, withoutStack } from '../src/errors.ts';

const frames = (error: Error) => (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).length;

describe('errors that answer a caller', () => {
  it('carry no stack frames, and leave stacks on for everything else', () => {
    const limit = Error.stackTraceLimit;
    expect(frames(new UnauthenticatedError())).toBe(0);
    expect(frames(new RateLimitedError('slow down', 3))).toBe(0);
    expect(new RateLimitedError('slow down', 3).stack).toMatch(/slow down/);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(frames(new Error('a fault'))).toBeGreaterThan(0);
  });

  it('withoutStack restores the limit even when building the error throws', () => {
    const limit = Error.stackTraceLimit;
    expect(frames(withoutStack(() => new Error('quiet')))).toBe(0);
    expect(() =>
      withoutStack(() => {
        throw new TypeError('while building');
      }),
    ).toThrow('while building');
    expect(Error.stackTraceLimit).toBe(limit);
  });
});

describe('placeAt', () => {
  const operation = parse('mutation {\n  a: createInvitations(invitations: []) { createdCount }\n}').definitions[0] as OperationDefinitionNode;
  const field = operation.selectionSet.selections[0] as FieldNode;
  const info = { fieldNodes: [field], path: { prev: undefined, key: 'a', typename: 'Mutation' } };

  it('places a refusal where graphql-js would, so locatedError answers it as it is', () => {
    const error = new RateLimitedError('slow down', 3).placeAt(info);
    const reference = locatedError(new Error('slow down'), [field], ['a']);
    expect(error.toJSON()).toEqual({ ...reference.toJSON(), extensions: error.extensions });
    expect(error.toJSON()).toMatchObject({ path: ['a'], locations: [{ line: 2, column: 3 }] });
    expect({ source: error.source, positions: error.positions, nodes: error.nodes }).toEqual({ source: reference.source, positions: reference.positions, nodes: reference.nodes });
    expect(Object.keys(error)).toEqual(Object.keys(new RateLimitedError('slow down', 3)));
    expect(locatedError(error, [field], ['a'])).toBe(error);
    // Without placing, graphql-js wraps it in another error.
    const unplaced = new ForbiddenError();
    expect(locatedError(unplaced, [field], ['a'])).not.toBe(unplaced);
  });

  it('leaves an error at its place, and places one instance thrown for a second field apart', () => {
    const error = new ForbiddenError();
    expect(error.placeAt(info)).toBe(error);
    expect(error.placeAt(info)).toBe(error);
    const elsewhere = error.placeAt({ fieldNodes: [field], path: { prev: undefined, key: 'b', typename: 'Mutation' } });
    expect(elsewhere).not.toBe(error);
    expect(elsewhere.toJSON()).toMatchObject({ path: ['b'], locations: [{ line: 2, column: 3 }], extensions: { code: 'FORBIDDEN' } });
    expect(error.path).toEqual(['a']);
  });

  it('places one instance reaching the same path of another operation apart, at that operation\'s field', () => {
    const error = new ForbiddenError();
    expect(error.placeAt(info)).toBe(error);
    const other = (parse('mutation { a: createInvitations(invitations: []) { createdCount } }').definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode;
    const again = error.placeAt({ fieldNodes: [other], path: info.path });
    expect(again).not.toBe(error);
    expect(again.toJSON()).toMatchObject({ path: ['a'], locations: [{ line: 1, column: 12 }] });
    expect(error.toJSON()).toMatchObject({ locations: [{ line: 2, column: 3 }] });
  });
});
