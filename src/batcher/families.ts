import type { InvitationOutcome, InvitationParams } from '../invitations/types.ts';
import type { InvitationBatcher } from './batcher.ts';

/**
 * Who an invitation is for: the whole application, or one organization. Each family is its own stream
 * of Clerk calls (a call never mixes two organizations) with its own budget, served by the same
 * batcher, dispatcher, attribution and reconciliation code.
 */
export type Family = { kind: 'instance' } | { kind: 'organization'; organizationId: string };

export const INSTANCE: Family = { kind: 'instance' };

/**
 * The family a limited field's call invites into: `instance` for the first coordinate, the call's
 * `organizationId` for the second, undefined for any other field.
 */
export function familyOfCall(coordinate: string, args: Record<string, unknown>, fields: { instance: string; organization: string }): Family | undefined {
  if (coordinate === fields.instance) return INSTANCE;
  if (coordinate === fields.organization) return { kind: 'organization', organizationId: String(args['organizationId']) };
  return undefined;
}

/** One family's long-lived parts. */
export interface FamilyLane {
  batcher: InvitationBatcher;
  /** Settles items of an attempt that was cut off at `since` (epoch ms), by lookups first. */
  recover(items: InvitationParams[], since: number): Promise<InvitationOutcome[]>;
}

/** Past this many organization lanes, idle ones are let go, so many organizations cannot grow memory. */
const KEEP_IDLE_LANES = 100;

const keyOf = (family: Family) => (family.kind === 'instance' ? 'instance' : `org:${family.organizationId}`);

/**
 * The lanes of every family this replica has served, made on first use. An organization's lane holds
 * nothing once its items are answered, so idle lanes are dropped when there are many; the instance
 * lane stays.
 */
export class InvitationFamilies {
  private readonly lanes = new Map<string, FamilyLane>();

  constructor(private readonly make: (family: Family) => FamilyLane) {}

  lane(family: Family): FamilyLane {
    const key = keyOf(family);
    let lane = this.lanes.get(key);
    if (!lane) {
      if (this.lanes.size > KEEP_IDLE_LANES) this.dropIdle();
      lane = this.make(family);
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** Items of every lane waiting for a batch or in flight. */
  get pending(): number {
    let sum = 0;
    for (const lane of this.lanes.values()) sum += lane.batcher.pending;
    return sum;
  }

  flush(): void {
    for (const lane of this.lanes.values()) lane.batcher.flush();
  }

  async drain(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((lane) => lane.batcher.drain()));
  }

  private dropIdle(): void {
    for (const [key, lane] of this.lanes) if (key !== 'instance' && lane.batcher.idle) this.lanes.delete(key);
  }
}
