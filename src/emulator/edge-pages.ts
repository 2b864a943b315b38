/**
 * Error pages of the CDN in front of Clerk. Real traffic to api.clerk.com passes Cloudflare, which
 * answers by itself when Clerk is unreachable (502), too slow for its gateway (504) or too slow to
 * finish the response (524): an HTML page, a `cf-ray` header and no Clerk JSON envelope. The SDK
 * then reports the status with `errors: []` and takes `clerkTraceId` from `cf-ray`, so a trace id
 * alone does not show that Clerk answered.
 */
import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { sendRaw } from './http-io.ts';

export const EDGE_STATUSES = [502, 504, 524] as const;
export type EdgeStatus = (typeof EDGE_STATUSES)[number];

/** How long Clerk keeps committing after the edge gave up, unless a rule says otherwise. */
export const DEFAULT_COMMIT_DELAY_MS = 300;

const TITLES: Record<EdgeStatus, string> = {
  502: 'Bad gateway',
  504: 'Gateway time-out',
  524: 'A timeout occurred',
};

/** A Cloudflare ray id: 16 hex digits and the answering data centre. */
export const rayId = (): string => `${randomBytes(8).toString('hex')}-FRA`;

export function edgePage(status: EdgeStatus, ray: string): string {
  const title = TITLES[status];
  return [
    '<!DOCTYPE html>',
    `<html lang="en-US"><head><title>api.clerk.com | ${status}: ${title}</title></head>`,
    `<body><div id="cf-error-details"><h1><span>${title}</span> <span>Error code ${status}</span></h1>`,
    `<p>Cloudflare Ray ID: <strong>${ray}</strong></p></div></body></html>`,
  ].join('\n');
}

/** Sends the edge's page; returns the ray id it carried. */
export function sendEdgePage(res: ServerResponse, status: EdgeStatus): string {
  const ray = rayId();
  sendRaw(res, status, 'text/html', edgePage(status, ray), { 'cf-ray': ray, Server: 'cloudflare' });
  return ray;
}
