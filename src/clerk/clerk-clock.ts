/**
 * Clerk's clock as seen through the `Date` headers of its answers. Clerk stamps invitations with its
 * own clock, so "created after our call left" can only be decided in Clerk's time; comparing a
 * timestamp of Clerk's with the gateway's clock would trust two clocks to agree.
 *
 * A `Date` header is whole seconds, written somewhere between our sending and our receiving, so one
 * answer bounds the offset (Clerk minus local) to [date - receivedAt, date + 1 s - sentAt]. Answers
 * seen close together narrow the band; a band that contradicts itself means a clock jumped, and the
 * newest answer wins.
 */
export interface OffsetBand {
  /** Clerk's time minus the gateway's, at least this much. */
  low: number;
  /** ...and at most this much. */
  high: number;
}

/** Bands older than this are forgotten: clocks drift and are stepped. */
const MEMORY_MS = 60_000;
/** Without any answer yet, assume the clocks agree within this much either way. */
const UNMEASURED_SLACK_MS = 2_000;

export class ClerkClock {
  private band: (OffsetBand & { at: number }) | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Records one answer: its `Date` header, and when (local epoch ms) the call left and the headers came. */
  observe(dateHeader: string | undefined | null, sentAt: number, receivedAt: number): void {
    const date = dateHeader ? Date.parse(dateHeader) : NaN;
    if (!Number.isFinite(date) || receivedAt < sentAt) return;
    const fresh: OffsetBand = { low: date - receivedAt, high: date + 1_000 - sentAt };
    const old = this.band;
    const low = old && receivedAt - old.at < MEMORY_MS ? Math.max(old.low, fresh.low) : fresh.low;
    const high = old && receivedAt - old.at < MEMORY_MS ? Math.min(old.high, fresh.high) : fresh.high;
    this.band = low <= high ? { low, high, at: receivedAt } : { ...fresh, at: receivedAt };
  }

  /** The offset band: what Clerk's clock read minus what ours read at the same instant. */
  offset(): OffsetBand {
    const band = this.band;
    if (!band || this.now() - band.at >= MEMORY_MS) return { low: -UNMEASURED_SLACK_MS, high: UNMEASURED_SLACK_MS };
    return { low: band.low, high: band.high };
  }

  /** A local instant in Clerk's time, as the earliest and latest Clerk's clock may have read then. */
  toClerk(localMs: number): { earliest: number; latest: number } {
    const { low, high } = this.offset();
    return { earliest: localMs + low, latest: localMs + high };
  }
}
