import { createClerkClient } from '@clerk/backend';

/**
 * What one bulk call costs the process that makes it, through `@clerk/backend` (and Node's fetch)
 * against a local server, so the Clerk client's share of the gateway's CPU per request is visible
 * apart from the gateway's own. Run as a process with IPC: each `{ clerk, calls, concurrency }` message
 * is answered with the CPU time (user + system, this process only) per call.
 */
export interface ClientCostRequest {
  clerk: { url: string; secretKey: string };
  /** Measured calls; as many again are made first, unmeasured, to warm the client up. */
  calls: number;
  concurrency: number;
  itemsPerCall: number;
}

export interface ClientCost {
  calls: number;
  concurrency: number;
  itemsPerCall: number;
  cpuUsPerCall: number;
  callsPerSecond: number;
}

let n = 0;

async function run(clerk: ReturnType<typeof createClerkClient>, { calls, concurrency, itemsPerCall }: ClientCostRequest): Promise<void> {
  let left = calls;
  const worker = async () => {
    while (left-- > 0) {
      await clerk.invitations.createInvitationBulk(Array.from({ length: itemsPerCall }, () => ({ emailAddress: `client-${process.pid}-${n++}@example.com` })));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

process.on('message', async (message: ClientCostRequest) => {
  const clerk = createClerkClient({ secretKey: message.clerk.secretKey, apiUrl: message.clerk.url });
  await run(clerk, message);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(clerk, message);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  process.send!({
    calls: message.calls,
    concurrency: message.concurrency,
    itemsPerCall: message.itemsPerCall,
    cpuUsPerCall: (used.user + used.system) / message.calls,
    callsPerSecond: message.calls / seconds,
  } satisfies ClientCost);
});
process.send!({ ready: true });
