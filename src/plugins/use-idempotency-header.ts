import { getOperationAST, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { BadUserInputError } from '../errors.ts';

const countField = (operation: OperationDefinitionNode, name: string) =>
  operation.selectionSet.selections.filter((s) => s.kind === 'Field' && s.name.value === name).length;

/**
 * The `Idempotency-Key` header names one call. An operation with several createInvitations fields
 * (aliases) would share it, and the second field would replay or clash with the first, so such an
 * operation is refused before anything runs; each field can carry its own `idempotencyKey` argument.
 */
export function useIdempotencyHeader(): Plugin {
  return {
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request?.headers.get('idempotency-key')) return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation && countField(operation, 'createInvitations') > 1) {
        throw new BadUserInputError(
          'Idempotency-Key: the operation has several createInvitations fields; give each its own idempotencyKey argument instead.',
          { field: 'idempotencyKey' },
        );
      }
    },
  };
}
