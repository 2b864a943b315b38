import { createGatewayNodeServer } from '../../src/node-server.ts';
import { startStack, type Stack } from './stack.ts';

/** The in-process stack behind the gateway's own node server (as src/main.ts builds it) on a loopback port. */
export interface ListeningStack {
  stack: Stack;
  port: number;
  close(): Promise<void>;
}

export async function startListeningStack(env: Record<string, string>): Promise<ListeningStack> {
  const stack = await startStack({ env });
  const server = createGatewayNodeServer(stack.app.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    stack,
    port: (server.address() as { port: number }).port,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stack.close();
    },
  };
}
