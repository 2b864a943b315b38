export { ApiKeyRing, generateApiKey, hashApiKey } from './api-keys.ts';
export { type Authenticate, type AuthenticatorOptions, type AuthOutcome, createAuthenticator } from './authenticator.ts';
export { authorizeFirst, type RunScopes } from './authorize-first.ts';
export { type ClerkIdentity, type ClerkTokenOptions, ClerkTokenVerifier, looksLikeJwt, type TokenCheck } from './clerk-tokens.ts';
export { type Credential, type CredentialSource, CSRF_HEADERS, isPreflighted, readCredential, SESSION_COOKIE } from './credentials.ts';
export { createDemoKey, type DemoKey } from './demo-key.ts';
export { JwksKeySource, type JwksKeySourceOptions, type KeyLookup } from './jwks-keys.ts';
export { type InviterPolicy, machineMayInvite, notAllowed, userMayInvite } from './rights.ts';
