import { createHash, randomBytes } from 'node:crypto';

/**
 * One generated API key per run, configured the way an operator would (GATEWAY_API_KEYS=name:sha256hex)
 * and sent with every request, to the gateway and to the reference servers alike, so both sides parse
 * the same headers.
 */
export function benchApiKey(name = 'bench') {
  const key = `gk_${randomBytes(24).toString('hex')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  return {
    env: { GATEWAY_API_KEYS: `${name}:${hash}` },
    headers: { authorization: `Bearer ${key}` } as Record<string, string>,
  };
}

export type BenchApiKey = ReturnType<typeof benchApiKey>;
