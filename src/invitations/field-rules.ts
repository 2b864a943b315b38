/**
 * The gateway's reading of the per-field rules Clerk applies to an invitation. Each check returns the
 * reason an item would be refused, or undefined; the caller prefixes the field and the item index.
 * Clerk's emulator keeps its own, separately written reading (src/emulator/field-rules.ts), and both
 * are tested on one table of cases.
 */

/** Clerk caps metadata at 8 KB; measured on the compact JSON the SDK sends. */
export const MAX_METADATA_BYTES = 8 * 1024;

/**
 * Nesting cap for publicMetadata (the top-level object is level 1). Clerk documents none; the gateway
 * sets one so a hostile document cannot reach a recursive serializer, and no real metadata needs more.
 */
export const MAX_METADATA_DEPTH = 32;

// RFC 5322 `atext`, the characters the spec's `format: email` allows in a dot-atom local part.
const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
// RFC 1035 label: letters, digits and hyphens, starting and ending with a letter or digit.
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const utf8Bytes = (value: string) => Buffer.byteLength(value, 'utf8');

/** Why an address is one Clerk cannot accept, or undefined. */
export function emailProblem(address: string): string | undefined {
  if (/[^\x21-\x7e]/.test(address)) return 'contains a space, a control character or a non-ASCII character';
  const at = address.lastIndexOf('@');
  if (at < 0) return 'has no "@"';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  // RFC 5321 §4.5.3.1: a path holds at most 256 octets, the address at most 254 of them.
  if (address.length > 254) return `is ${address.length} characters long, over 254`;
  if (local.length === 0) return 'has nothing before "@"';
  if (utf8Bytes(local) > 64) return `has a ${utf8Bytes(local)}-octet local part, over 64`;
  // Quoted local parts are valid RFC 5322 but outside the spec's `format: email`, so Clerk refuses them.
  const atoms = local.split('.');
  if (atoms.some((atom) => atom === '')) return 'has a local part that starts or ends with a dot or has two dots in a row';
  if (!atoms.every((atom) => ATEXT.test(atom))) return 'has a character that is not allowed before "@"';
  if (domain.length > 253) return `has a ${domain.length}-character domain, over 253`;
  const labels = domain.split('.');
  if (labels.length < 2) return 'has a domain without a dot';
  for (const label of labels) {
    if (label === '') return 'has a domain that starts or ends with a dot or has two dots in a row';
    if (label.length > 63) return `has a ${label.length}-character domain label, over 63`;
    if (!LABEL.test(label)) {
      return /^-|-$/.test(label)
        ? `has the domain label "${label}", which starts or ends with a hyphen`
        : `has the domain label "${label}" with a character other than a letter, digit or hyphen`;
    }
  }
  if (/^\d+$/.test(labels.at(-1)!)) return 'has an all-numeric top-level domain';
  return undefined;
}

/**
 * Go's `url.ParseRequestURI`, which Clerk applies to `redirect_url`, as far as the gateway needs it:
 * no control characters, no empty value, an absolute path or `scheme:` followed by something, and
 * well-formed `%` escapes before the query. The gateway then narrows this to http(s) and paths.
 */
export function requestUriProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  if (/[\x00-\x1f\x7f]/.test(value)) return 'contains a control character';
  // Go reads a scheme only from `letter (letter | digit | + - .)* :`; anything else must be a path.
  if (!value.startsWith('/') && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) return 'is neither an absolute URL nor a path starting with "/"';
  const beforeQuery = value.split('?', 1)[0]!;
  if (/%(?![0-9A-Fa-f]{2})/.test(beforeQuery)) return 'has a "%" that is not followed by two hex digits';
  return undefined;
}

export interface MetadataShape {
  /** Deepest nesting seen, capped at MAX_METADATA_DEPTH + 1 (the walk stops there). */
  depth: number;
  /** JSON path of a value that is not JSON, e.g. `a.b[2]`. */
  notJsonAt?: string;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  // graphql-scalars builds literal objects with a null prototype.
  return proto === Object.prototype || proto === null;
};

/**
 * Walks the metadata with an explicit stack, never recursion, so any depth is measured without
 * overflowing; the walk stops one level past the cap.
 */
export function metadataShape(root: Record<string, unknown>): MetadataShape {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: root, depth: 1, path: '' }];
  let deepest = 1;
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    deepest = Math.max(deepest, depth);
    if (depth > MAX_METADATA_DEPTH) return { depth };
    const children: Array<[string, unknown]> = Array.isArray(value)
      ? value.map((child, i) => [`${path}[${i}]`, child])
      : Object.entries(value as Record<string, unknown>).map(([key, child]) => [path ? `${path}.${key}` : key, child]);
    for (const [childPath, child] of children) {
      if (Array.isArray(child) || isPlainObject(child)) stack.push({ value: child, depth: depth + 1, path: childPath });
      else if (!isJsonLeaf(child)) return { depth: deepest, notJsonAt: childPath };
    }
  }
  return { depth: deepest };
}

function isJsonLeaf(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  return typeof value === 'number' && Number.isFinite(value);
}

export { isPlainObject };
