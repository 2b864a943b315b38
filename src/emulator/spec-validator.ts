/**
 * Routing and request validation driven by the vendored OpenAPI file (spec/clerk-bapi-invitations.yml):
 * the schema rules come from Clerk's spec through openapi-backend/ajv, and only the translation of
 * ajv's findings into Clerk error codes lives here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { type Document, OpenAPIBackend } from 'openapi-backend';
import { parse } from 'yaml';
import { type ClerkApiError, clerkErrors } from './clerk-errors.ts';

/** Absolute path of the vendored spec, for tests that validate responses against its schemas. */
export const vendoredSpecPath = fileURLToPath(new URL('./spec/clerk-bapi-invitations.yml', import.meta.url));

/** The same email rule ajv applies to the spec's `format: email` (the `Invitation` schema uses it). */
export const emailPattern = fullFormats.email as RegExp;

/** Parses the vendored spec; a fresh object per call because openapi-backend dereferences in place. */
export function loadVendoredSpec(): Record<string, unknown> {
  return parse(readFileSync(vendoredSpecPath, 'utf8')) as Record<string, unknown>;
}

export interface SpecRequest {
  method: string;
  /** Full path including `/v1`. */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[]>;
  body?: unknown;
}

export interface MatchedOperation {
  operationId: string;
  pathParams: Record<string, string>;
}

export interface SpecValidator {
  match(req: SpecRequest): MatchedOperation | undefined;
  /** Validates path, query and body; returns the ajv errors and the type-coerced query. */
  validate(
    operationId: string,
    req: SpecRequest,
  ): { errors: ErrorObject[]; query: Record<string, unknown> };
}

let shared: Promise<SpecValidator> | undefined;

/** The validator is stateless, so emulators in one process share it and start without recompiling. */
export function createSpecValidator(): Promise<SpecValidator> {
  shared ??= buildSpecValidator().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

async function buildSpecValidator(): Promise<SpecValidator> {
  const api = new OpenAPIBackend({
    definition: loadVendoredSpec() as unknown as Document,
    apiRoot: '/v1',
    strict: true,
    // Quick mode compiles validators lazily, so the response schemas (some use `nullable` without
    // `type`, which ajv refuses) are never compiled; the request validators are warmed below.
    quick: true,
    coerceTypes: true,
    // verbose: errors carry the offending value, which Clerk's enum message quotes. useDefaults: the
    // spec's defaults (limit 10, order_by -created_at, notify true…) are filled in by ajv.
    ajvOpts: { allErrors: true, verbose: true, useDefaults: true },
    customizeAjv: (ajv) => ajv.addFormat('email', emailPattern),
  });
  await api.init();
  for (const operation of api.router.getOperations()) {
    if (operation.operationId) api.validator.getRequestValidatorsForOperation(operation.operationId);
  }
  return {
    match(req) {
      const operation = api.router.matchOperation(req);
      if (!operation?.operationId) return undefined;
      const { params } = api.router.parseRequest(req, operation);
      return { operationId: operation.operationId, pathParams: params as Record<string, string> };
    },
    validate(operationId, req) {
      const result = api.validator.validateRequest(req, operationId);
      return { errors: result.errors ?? [], query: (result.coerced?.query ?? {}) as Record<string, unknown> };
    },
  };
}

const TYPE_NAMES: Record<string, string> = { integer: 'integer', boolean: 'boolean', object: 'object', string: 'string' };

/** The last property name in an ajv instance path, e.g. `/requestBody/3/email_address` → `email_address`. */
function paramName(error: ErrorObject): string {
  if (error.keyword === 'required') return String(error.params.missingProperty);
  if (error.keyword === 'additionalProperties') return String(error.params.additionalProperty);
  const segments = error.instancePath.split('/').filter((s) => s && !/^\d+$/.test(s));
  return segments.at(-1) ?? 'body';
}

/** Translates one ajv finding on a parameter or body field into Clerk's form error. */
export function toClerkFormError(error: ErrorObject): ClerkApiError {
  const param = paramName(error);
  switch (error.keyword) {
    case 'required':
      return clerkErrors.formParamMissing(param);
    case 'additionalProperties':
      return clerkErrors.formParamUnknown(param);
    case 'type':
      return clerkErrors.formParamTypeInvalid(param, TYPE_NAMES[String(error.params.type)] ?? String(error.params.type));
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const list = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : allowed.join('');
      return clerkErrors.formParamValueInvalid(
        param,
        `${String(error.data)} does not match the allowed values for parameter ${param}. Allowed values: ${list}`,
      );
    }
    case 'format':
      return clerkErrors.formParamFormatInvalid(param, `${param} ${error.message ?? 'has an invalid format'}.`);
    default:
      // minimum, maximum and anything else the spec may add later.
      return clerkErrors.formParamValueInvalid(param, `${param} ${error.message ?? 'is invalid'}.`);
  }
}

/**
 * Keeps the first finding per instance path, so a field that breaks two keywords (say `type` and
 * `enum`) yields one error while N bad items still yield N errors.
 */
export function firstErrorPerPath(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.instancePath}|${error.keyword === 'required' || error.keyword === 'additionalProperties' ? paramName(error) : ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
