import { testApiKey } from '../../test/support/gateway-process.ts';

/**
 * One generated API key per run, configured the way an operator would (GATEWAY_API_KEYS=name:sha256hex)
 * and sent with every request, to the gateway and to the reference servers alike, so both sides parse
 * the same headers.
 */
export function benchApiKey(name = 'bench') {
  const { env, headers } = testApiKey(name);
  return { env, headers: headers as Record<string, string> };
}

export type BenchApiKey = ReturnType<typeof benchApiKey>;
