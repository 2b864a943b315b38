import type { Channel } from '../budget/types.ts';

/**
 * `auto` picks per batch the channel that spends the smaller share of its hourly allowance;
 * `bulk` and `single` use one channel only.
 */
export type ChannelPolicy = 'auto' | 'bulk' | 'single';

/**
 * A batch of k items costs 1/bulkPerHour of the bulk hour or k/singlePerHour of the single hour.
 * With Clerk's 25 and 100 that is bulk from 4 items up. Under load batches are full, so bulk carries
 * 250 an hour and what bulk cannot carry falls back to singles (another 100): the 350 ceiling.
 */
export function pickChannel(
  policy: ChannelPolicy,
  items: number,
  limits: { bulkPerHour: number; singlePerHour: number },
): Channel {
  if (policy !== 'auto') return policy;
  return items * limits.bulkPerHour >= limits.singlePerHour ? 'bulk' : 'single';
}
