import { createHash } from 'node:crypto';
import type { InvitationInput } from '../../client/generated/graphql.js';
import type { ValidRow } from './types.ts';

/** One job to submit: its rows and the key that makes submitting it again answer with the same job. */
export interface QueueChunk {
  /** 0-based position among the file's jobs. */
  index: number;
  idempotencyKey: string;
  /** File line of each item, in item order: a job result's `index` maps to `lines[index]`. */
  lines: number[];
  invitations: InvitationInput[];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** The file's identity for idempotency: its bytes, so an edited file is a new submission. */
export const fileDigest = (text: string) => sha256(text);

/**
 * The key of one job: the file's digest, the job's place and the exact items it carries. Deterministic,
 * so a rerun that lost the answer (a crash, a dropped connection) submits under the same key and the
 * gateway answers with the job it already created; any difference in the items gives another key.
 */
export function idempotencyKeyFor(fileSha: string, index: number, invitations: readonly InvitationInput[]): string {
  return `clerk-invite:${sha256(`${fileSha}\n${index}\n${JSON.stringify(invitations)}`)}`;
}

/** Splits the rows to queue into jobs of at most `jobSize`, in file order. */
export function planChunks(rows: readonly ValidRow[], jobSize: number, fileSha: string): QueueChunk[] {
  if (!Number.isInteger(jobSize) || jobSize < 1) throw new RangeError(`job size must be a whole number from 1 (got ${jobSize})`);
  const chunks: QueueChunk[] = [];
  for (let start = 0; start < rows.length; start += jobSize) {
    const slice = rows.slice(start, start + jobSize);
    const invitations = slice.map((row) => row.input);
    const index = chunks.length;
    chunks.push({ index, idempotencyKey: idempotencyKeyFor(fileSha, index, invitations), lines: slice.map((row) => row.line), invitations });
  }
  return chunks;
}

/**
 * The gateway's MAX_INVITATIONS_PER_JOB, read from its refusal of a larger job; undefined when the
 * refusal names no such limit.
 */
export function jobLimitFrom(message: string, extensions?: Record<string, unknown>): number | undefined {
  for (const name of ['maxInvitations', 'maxInvitationsPerJob', 'max', 'limit']) {
    const value = extensions?.[name];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  }
  const match = /(?:at most|up to|more than|maximum(?: of)?|limit(?: is| of)?)\s+([\d,_]+)/i.exec(message);
  const found = match ? Number(match[1]!.replace(/[,_]/g, '')) : Number.NaN;
  return Number.isInteger(found) && found > 0 ? found : undefined;
}
