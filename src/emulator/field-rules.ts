/**
 * Field rules of Clerk's invitation create that the spec's JSON schema cannot express, as read from
 * Clerk's 2024 Go server: `validate.EmailAddress` (→ form_param_format_invalid), `url.ParseRequestURI`
 * on `redirect_url` (→ form_param_type_invalid "valid url") and the metadata size check
 * (→ form_param_exceeds_allowed_size). Everything here stays inside the emulator.
 */
import { ClerkApiError, clerkErrors } from './clerk-errors.ts';
import { emailPattern } from './spec-validator.ts';

/** Clerk's metadata cap (its docs: 8 KB), on the compact JSON of the value. */
export const METADATA_MAX_BYTES = 8192;

/**
 * The spec's `format: email` (the same pattern ajv applies) plus the length limits of RFC 5321
 * (local part 64 octets, domain 253, address 254) and RFC 1035 (label 63), and a top-level domain that
 * is not all digits, which rules out bare IPv4 addresses. Clerk's exact rule is not public.
 */
export function isClerkEmail(address: string): boolean {
  if (!emailPattern.test(address)) return false;
  const at = address.indexOf('@');
  const domain = address.slice(at + 1);
  const labels = domain.split('.');
  return (
    address.length <= 254 &&
    at <= 64 &&
    domain.length <= 253 &&
    labels.every((label) => label.length <= 63) &&
    !/^[0-9]+$/.test(labels[labels.length - 1] ?? '')
  );
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** Go's `unescape`: every `%` starts a two-digit hex escape; in a host only a few bytes may appear. */
function goUnescapes(part: string, host: boolean): boolean {
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '%') {
      if (!HEX.test(part.slice(i + 1, i + 3))) return false;
      // Go refuses %00–%7F-style escapes of ASCII below 0x80 in a host, except the zone separator %25.
      if (host && parseInt(part.slice(i + 1, i + 3), 16) < 0x80 && part.slice(i, i + 3) !== '%25') return false;
      i += 2;
    } else if (host && c.charCodeAt(0) < 0x80 && !/[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"]/.test(c)) {
      return false;
    }
  }
  return true;
}

/** Go's `validOptionalPort`: empty, or `:` followed by digits only. */
const validPort = (port: string) => port === '' || /^:[0-9]*$/.test(port);

/**
 * A port of Go's `net/url.ParseRequestURI` accept/refuse decision (Go 1.22 `parse` with
 * viaRequest=true): an absolute URI (`scheme:` then an authority, a path or opaque data) or a path
 * starting with `/`; no control bytes; well-formed escapes in host and path (the query is not checked).
 */
export function goParsesRequestUri(raw: string): boolean {
  if (raw === '' || /[\x00-\x1f\x7f]/.test(raw)) return false;
  if (raw === '*') return true;
  let rest = raw;
  let scheme = '';
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw);
  if (schemeMatch) {
    scheme = schemeMatch[1]!;
    rest = raw.slice(scheme.length + 1);
  } else if (raw.startsWith(':')) {
    return false; // "missing protocol scheme"
  }
  const query = rest.indexOf('?');
  if (query >= 0) rest = rest.slice(0, query);
  if (!rest.startsWith('/')) return scheme !== ''; // opaque URI, or "invalid URI for request"
  if (scheme !== '' && rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
    const at = authority.lastIndexOf('@');
    const userinfo = at < 0 ? '' : authority.slice(0, at);
    const host = at < 0 ? authority : authority.slice(at + 1);
    if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) return false;
    if (host.startsWith('[')) {
      const close = host.lastIndexOf(']');
      if (close < 0 || !validPort(host.slice(close + 1))) return false;
    } else {
      const colon = host.lastIndexOf(':');
      if (colon >= 0 && !validPort(host.slice(colon))) return false;
      if (!goUnescapes(host, true)) return false;
    }
  }
  return goUnescapes(rest, false);
}

/**
 * Byte length of the compact JSON of a value, counted with an explicit stack: request bodies can nest
 * deeper than a recursive JSON.stringify survives.
 */
export function compactJsonBytes(value: unknown): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (Array.isArray(next)) {
      bytes += 2 + Math.max(0, next.length - 1);
      stack.push(...next);
    } else if (next !== null && typeof next === 'object') {
      const entries = Object.entries(next);
      bytes += 2 + Math.max(0, entries.length - 1);
      for (const [key, child] of entries) {
        bytes += Buffer.byteLength(JSON.stringify(key), 'utf8') + 1;
        stack.push(child);
      }
    } else {
      bytes += Buffer.byteLength(JSON.stringify(next) ?? 'null', 'utf8');
    }
  }
  return bytes;
}

export const metadataTooLarge = (param: string) =>
  new ClerkApiError(422, [
    {
      message: `The given ${param} exceeds the maximum allowed size of ${METADATA_MAX_BYTES} bytes (${METADATA_MAX_BYTES / 1024} KB).`,
      long_message: `The given ${param} exceeds the maximum allowed size of ${METADATA_MAX_BYTES} bytes (${METADATA_MAX_BYTES / 1024} KB).`,
      code: 'form_param_exceeds_allowed_size',
      meta: { param_name: param },
    },
  ]);

/**
 * The checks past the schema for one item's fields, skipping fields the schema already flagged, in
 * Clerk's order: address, redirect URL, metadata.
 */
export function fieldRuleErrors(item: Record<string, unknown>, flagged: ReadonlySet<string>): ClerkApiError[] {
  const errors: ClerkApiError[] = [];
  const { email_address: email, redirect_url: redirectUrl, public_metadata: metadata } = item;
  if (typeof email === 'string' && !flagged.has('email_address') && !isClerkEmail(email)) {
    errors.push(clerkErrors.formInvalidEmailAddress('email_address'));
  }
  if (typeof redirectUrl === 'string' && !flagged.has('redirect_url') && !goParsesRequestUri(redirectUrl)) {
    errors.push(clerkErrors.formParamTypeInvalid('redirect_url', 'valid url'));
  }
  if (metadata !== null && typeof metadata === 'object' && !flagged.has('public_metadata')) {
    if (compactJsonBytes(metadata) > METADATA_MAX_BYTES) errors.push(metadataTooLarge('public_metadata'));
  }
  return errors;
}
