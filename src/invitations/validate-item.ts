import {
  emailProblem,
  isPlainObject,
  MAX_METADATA_BYTES,
  MAX_METADATA_DEPTH,
  metadataShape,
  requestUriProblem,
} from './field-rules.ts';
import { failed, type InvitationFailed, type InvitationParams, type TemplateSlug } from './types.ts';

export { MAX_METADATA_BYTES, MAX_METADATA_DEPTH };

const TEMPLATE_SLUGS: readonly string[] = ['invitation', 'waitlist_invitation'];

/** The GraphQL input after scalar coercion, before the gateway's own checks. */
export interface InvitationInput {
  emailAddress: string;
  expiresInDays?: number | null;
  ignoreExisting?: boolean | null;
  notify?: boolean | null;
  publicMetadata?: Record<string, unknown> | null;
  redirectUrl?: string | null;
  templateSlug?: TemplateSlug | null;
  /** Organization invitations: the role key the invitee gets. */
  role?: string | null;
  /** Organization invitations: metadata only the Backend API reads. */
  privateMetadata?: Record<string, unknown> | null;
}

/** A role key as Clerk writes them (`org:admin`, `org:member`, custom `org:billing_manager`); Clerk decides whether it exists. */
const ROLE_KEY = /^org:[A-Za-z0-9_:-]{1,60}$/;

export interface ValidationOptions {
  /** Origins that absolute redirect URLs must match; undefined allows any http(s) origin. */
  allowedRedirectOrigins?: readonly string[];
}

export type ValidatedItem = { ok: true; params: InvitationParams } | { ok: false; failure: InvitationFailed };

/** Lower-cased address: Clerk treats addresses case-insensitively, so two spellings are one person. */
export const emailKey = (address: string) => address.trim().toLowerCase();

function checkRedirect(value: string, options: ValidationOptions): string | undefined {
  const unparsable = requestUriProblem(value);
  if (unparsable) return unparsable;
  if (value.startsWith('/')) {
    // Browsers read `//host` and `/\host` as another origin: only a path that stays on this origin passes.
    const base = 'https://path.invalid';
    const sameOrigin = !/[\\\u0000-\u001f]/.test(value) && new URL(value, base).origin === base;
    return sameOrigin ? undefined : 'must be an absolute http(s) URL or a path starting with "/"';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL or a path starting with "/"';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must use http or https, not ${url.protocol}`;
  const allowed = options.allowedRedirectOrigins;
  if (allowed && !allowed.includes(url.origin)) return `origin ${url.origin} is not in ALLOWED_REDIRECT_ORIGINS`;
  return undefined;
}

function checkMetadata(metadata: unknown): string | undefined {
  if (!isPlainObject(metadata)) return 'must be a JSON object';
  // Shape first: serializing is recursive, so depth is measured before JSON.stringify sees it.
  const shape = metadataShape(metadata);
  if (shape.depth > MAX_METADATA_DEPTH) return `nests deeper than ${MAX_METADATA_DEPTH} levels`;
  if (shape.notJsonAt !== undefined) return `holds a value that is not JSON at ${shape.notJsonAt}`;
  const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (bytes > MAX_METADATA_BYTES) return `is ${bytes} bytes serialized, over the ${MAX_METADATA_BYTES}-byte limit`;
  return undefined;
}

/** Returns the first problem with one item as `field: reason`, or undefined when it can be sent. */
function findProblem(input: InvitationInput, options: ValidationOptions): string | undefined {
  if (typeof input.emailAddress !== 'string') return 'emailAddress: must be a string';
  const address = emailProblem(input.emailAddress.trim());
  if (address) return `emailAddress: is not a valid email address (${address})`;
  const days = input.expiresInDays;
  if (days != null && !Number.isInteger(days)) return `expiresInDays: must be a whole number (got ${days})`;
  if (days != null && (days < 1 || days > 365)) return `expiresInDays: must be between 1 and 365 (got ${days})`;
  if (input.publicMetadata != null) {
    const reason = checkMetadata(input.publicMetadata);
    if (reason) return `publicMetadata: ${reason}`;
  }
  if (input.redirectUrl != null) {
    const reason = typeof input.redirectUrl === 'string' ? checkRedirect(input.redirectUrl, options) : 'must be a string';
    if (reason) return `redirectUrl: ${reason}`;
  }
  if (input.role != null && !(typeof input.role === 'string' && ROLE_KEY.test(input.role))) {
    return `role: must be a role key like org:member (got ${JSON.stringify(String(input.role).slice(0, 80))})`;
  }
  if (input.privateMetadata != null) {
    const reason = checkMetadata(input.privateMetadata);
    if (reason) return `privateMetadata: ${reason}`;
  }
  if (input.templateSlug != null && !TEMPLATE_SLUGS.includes(input.templateSlug)) {
    return `templateSlug: must be one of ${TEMPLATE_SLUGS.join(', ')} (got ${String(input.templateSlug)})`;
  }
  return undefined;
}

function toParams(input: InvitationInput): InvitationParams {
  const params: InvitationParams = { emailAddress: input.emailAddress.trim() };
  // Unset fields stay off the wire so Clerk applies its own defaults.
  if (input.expiresInDays != null) params.expiresInDays = input.expiresInDays;
  if (input.ignoreExisting != null) params.ignoreExisting = input.ignoreExisting;
  if (input.notify != null) params.notify = input.notify;
  if (input.publicMetadata != null) params.publicMetadata = input.publicMetadata;
  if (input.redirectUrl != null) params.redirectUrl = input.redirectUrl;
  if (input.templateSlug != null) params.templateSlug = input.templateSlug;
  if (input.role != null) params.role = input.role;
  if (input.privateMetadata != null) params.privateMetadata = input.privateMetadata;
  return params;
}

/**
 * Checks every item of one call on its own, so a bad item fails alone and is never sent upstream.
 * The same address twice in one call fails the later item: one body must not carry it twice.
 */
export function validateItems(inputs: readonly InvitationInput[], options: ValidationOptions = {}): ValidatedItem[] {
  const firstIndex = new Map<string, number>();
  return inputs.map((input, index) => {
    const at = `invitations[${index}]`;
    const problem = findProblem(input, options);
    if (problem) return { ok: false, failure: failed(input.emailAddress, 'INVALID_INPUT', `${at}.${problem}`) };
    const key = emailKey(input.emailAddress);
    const first = firstIndex.get(key);
    if (first !== undefined) {
      const message = `${at}.emailAddress: duplicate in the request (same address as invitations[${first}])`;
      return { ok: false, failure: failed(input.emailAddress, 'INVALID_INPUT', message) };
    }
    firstIndex.set(key, index);
    return { ok: true, params: toParams(input) };
  });
}

/**
 * The inputs as an idempotency fingerprint may serialize them: metadata past the depth cap (which
 * validation refuses anyway) is replaced by a marker, so hashing never recurses through it.
 */
export function fingerprintable(inputs: readonly InvitationInput[]): readonly InvitationInput[] {
  const deep = (value: unknown) => isPlainObject(value) && metadataShape(value).depth > MAX_METADATA_DEPTH;
  // Organization invitations carry privateMetadata too, under the same cap.
  const tooDeep = (input: InvitationInput) => deep(input.publicMetadata) || deep(input.privateMetadata);
  if (!inputs.some(tooDeep)) return inputs;
  return inputs.map((input) => {
    if (!tooDeep(input)) return input;
    const marked = { ...input };
    if (deep(input.publicMetadata)) marked.publicMetadata = { tooDeep: true };
    if (deep(input.privateMetadata)) marked.privateMetadata = { tooDeep: true };
    return marked;
  });
}
