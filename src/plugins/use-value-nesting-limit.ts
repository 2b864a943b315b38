import { GraphQLError, Lexer, Source, TokenKind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { BadUserInputError } from '../errors.ts';

/**
 * Brackets of any kind (selection sets, argument lists, list and object values) a document may nest.
 * graphql-js parses recursively and overflows the stack somewhere past a few thousand levels; real
 * operations stay far below this, and item metadata deeper than 32 levels is refused per item anyway.
 */
export const MAX_DOCUMENT_NESTING = 100;

const OPEN = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSE = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

export interface TooDeep {
  line: number;
  column: number;
  /** Field and argument names leading to the deep spot, outermost first, at most four. */
  path: string[];
}

/**
 * Scans the tokens with graphql's own lexer, one at a time and with no recursion, so strings and
 * comments never count. Returns where nesting first passes `max`, or undefined (also for documents
 * the lexer cannot read: the parser reports those).
 */
export function findTooDeep(query: string, max: number): TooDeep | undefined {
  if (openersAtMost(query, max)) return undefined;
  const lexer = new Lexer(new Source(query));
  const names: Array<string | undefined> = [];
  let lastName: string | undefined;
  let valueName: string | undefined;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (token.kind === TokenKind.NAME) lastName = token.value;
      else if (token.kind === TokenKind.COLON) valueName = lastName;
      else if (CLOSE.has(token.kind)) names.pop();
      else if (OPEN.has(token.kind)) {
        // An argument list belongs to the field before it; a value to the name before its colon.
        names.push(token.kind === TokenKind.PAREN_L ? lastName : valueName);
        valueName = undefined;
        if (names.length > max) {
          const path = names.filter((name, i): name is string => name !== undefined && name !== names[i - 1]).slice(0, 4);
          return { line: token.line, column: token.column, path };
        }
      }
    }
  } catch (error) {
    if (error instanceof GraphQLError) return undefined;
    throw error;
  }
  return undefined;
}

/**
 * Nesting never exceeds the number of opening brackets, wherever they stand (strings and comments
 * included): a document with no more than `max` of them needs no lexing. Most operations pass their
 * data in variables and carry a dozen, so the lexer runs only for documents that might be too deep,
 * not for every request (yoga's parser cache does not spare this hook).
 */
function openersAtMost(query: string, max: number): boolean {
  let openers = 0;
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    // { [ (
    if ((c === 123 || c === 91 || c === 40) && ++openers > max) return false;
  }
  return true;
}

/**
 * Refuses, in `onParse` before graphql-js parses, a document nested deeper than the parser can take:
 * 400 BAD_USER_INPUT naming the argument path, line and column. Strings, comments and variables do
 * not count.
 * @param max Brackets of any kind (`{`, `[`, `(`) the document may nest.
 * @default MAX_DOCUMENT_NESTING (100)
 */
export function useValueNestingLimit(max = MAX_DOCUMENT_NESTING): Plugin {
  return {
    onParse({ params }) {
      const query = typeof params.source === 'string' ? params.source : params.source.body;
      const found = findTooDeep(query, max);
      if (!found) return;
      const field = found.path.join('.');
      throw new BadUserInputError(
        `${field || 'document'}: nested deeper than ${max} levels at line ${found.line}, column ${found.column}; ` +
          'publicMetadata may nest at most 32 levels, and deeper values cannot be parsed.',
        { field },
      );
    },
  };
}
