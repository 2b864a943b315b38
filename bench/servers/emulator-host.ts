import { startEmulator } from '../../src/emulator/index.ts';

/**
 * The emulator in its own process for the throughput runs, so Clerk's side of the work competes with
 * neither the load generator nor the gateway's event loop. Talks over IPC: it first sends
 * `{ url, secretKey }`, then answers every message with the running tally of upstream calls.
 */
export interface EmulatorTally {
  bulkCalls: number;
  singleCalls: number;
  /** Invitations carried by those calls. */
  items: number;
  /** Invitations the emulator stored, i.e. actually created. */
  created: number;
}

const emulator = await startEmulator({ port: 0, limits: { bulkPerHour: 100_000_000, singlePerHour: 100_000_000 } });
const tally: EmulatorTally = { bulkCalls: 0, singleCalls: 0, items: 0, created: 0 };
let seen = 0;

function count(): void {
  const calls = emulator.calls;
  for (; seen < calls.length; seen++) {
    const call = calls[seen]!;
    if (call.route === 'bulk') {
      tally.bulkCalls++;
      tally.items += Array.isArray(call.body) ? call.body.length : 0;
    } else if (call.route === 'single') {
      tally.singleCalls++;
      tally.items++;
    }
  }
}

// The emulator checks each new address against every stored invitation, so its cost per item grows
// with the run; emptying it every half second keeps Clerk's side flat. Its call log is counted first.
setInterval(() => {
  count();
  tally.created += emulator.invitations().length;
  emulator.reset();
  seen = 0;
}, 500).unref();

process.on('message', () => {
  count();
  process.send!({ ...tally, created: tally.created + emulator.invitations().length });
});
process.once('disconnect', () => void emulator.close().then(() => process.exit(0)));
process.send!({ url: emulator.url, secretKey: emulator.secretKeys[0]! });
