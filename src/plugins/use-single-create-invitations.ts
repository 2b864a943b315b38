import {
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { BadUserInputError } from '../errors.ts';

/** The fields that create invitations; each must stand alone in its mutation. */
const CREATES = new Set(['createInvitations', 'createOrganizationInvitations']);
/** Enough names to make the refusal readable; the list is capped so a large document stays cheap. */
const NAMES_SHOWN = 5;

/** What an operation selects at its root, as graphql-js would collect it, `@include`/`@skip` ignored. */
export interface RootFields {
  /** Root field selections; every alias and every spread of a fragment counts again. `__typename` is not counted. */
  count: number;
  /** How many of them create invitations. */
  creates: number;
  /** The first create field's name. */
  create?: string;
  /** The first few distinct field names. */
  names: string[];
}

const NONE: RootFields = { count: 0, creates: 0, names: [] };

function add(total: RootFields, part: RootFields): void {
  total.count += part.count;
  total.creates += part.creates;
  total.create ??= part.create;
  for (const name of part.names) if (total.names.length < NAMES_SHOWN && !total.names.includes(name)) total.names.push(name);
}

/**
 * Counts the root fields of an operation through aliases, inline fragments and named fragments, nested
 * to any depth. Directives are not evaluated, so the answer never depends on variables. Each fragment
 * is walked once and its tally reused, so a "fragment bomb" (each fragment spreading the next twice)
 * costs its size, not 2^n; the counts may then grow huge, which only makes them larger than one. A
 * fragment cycle (refused by graphql's own NoFragmentCycles rule) counts as nothing on its way round.
 */
export function rootFieldsOf(
  operation: OperationDefinitionNode,
  fragmentOf: (name: string) => FragmentDefinitionNode | null | undefined,
): RootFields {
  const tallies = new Map<string, RootFields>();
  const spread = (name: string): RootFields => {
    const known = tallies.get(name);
    if (known) return known;
    tallies.set(name, NONE);
    const fragment = fragmentOf(name);
    const tally = fragment ? walk(fragment.selectionSet) : NONE;
    tallies.set(name, tally);
    return tally;
  };
  const walk = (selectionSet: SelectionSetNode): RootFields => {
    const total: RootFields = { count: 0, creates: 0, names: [] };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name !== '__typename') add(total, { count: 1, creates: CREATES.has(name) ? 1 : 0, create: CREATES.has(name) ? name : undefined, names: [name] });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        add(total, walk(selection.selectionSet));
      } else {
        add(total, spread(selection.name.value));
      }
    }
    return total;
  };
  return walk(operation.selectionSet);
}

/** Whether the operation has createInvitations beside any other field (or beside itself). */
export function createInvitationsNotAlone(fields: RootFields): boolean {
  return fields.creates > 0 && fields.count > 1;
}

/**
 * A mutation's fields share one answer: when a later field fails with a non-null type or a top-level
 * error, `data` becomes null and what createInvitations created is never reported, so a client that
 * retries invites again. A single field also keeps the `Idempotency-Key` header naming one call.
 * Refusing such documents at validation means nothing runs: no resolver, no caller-limit count, no
 * Clerk call.
 */
export function singleCreateInvitationsRule(maxInvitationsPerRequest: number) {
  // yoga caches validation results by rule name, so the rule is a named function.
  return function SingleCreateInvitations(context: ValidationContext): ASTVisitor {
    return {
      OperationDefinition(operation) {
        if (operation.operation !== 'mutation') return;
        const fields = rootFieldsOf(operation, (name) => context.getFragment(name));
        if (!createInvitationsNotAlone(fields)) return;
        const more = fields.names.length === NAMES_SHOWN ? ', …' : '';
        const create = fields.create ?? 'createInvitations';
        context.reportError(
          new BadUserInputError(
            `${create} must be the only field of its mutation, but this one selects ${fields.count > 1000 ? 'over 1000' : fields.count} fields ` +
              `(${fields.names.join(', ')}${more}): one field's failure would hide what another created. ` +
              `Send one ${create} per request; its invitations list takes up to ${maxInvitationsPerRequest} items.`,
            { field: create },
          ),
        );
      },
    };
  };
}

export interface SingleCreateInvitationsOptions {
  /** MAX_INVITATIONS_PER_REQUEST, quoted in the refusal. */
  maxInvitationsPerRequest: number;
}

/**
 * Refuses a mutation that selects a create field beside any other field: adds
 * {@link singleCreateInvitationsRule} to every validation (`onValidate`), before any resolver runs.
 */
export function useSingleCreateInvitations({ maxInvitationsPerRequest }: SingleCreateInvitationsOptions): Plugin {
  const rule = singleCreateInvitationsRule(maxInvitationsPerRequest);
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
