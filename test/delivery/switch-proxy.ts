// A TCP pass-through in front of the test server that can be switched off (its port closed, open
// connections cut, so clients see ECONNREFUSED) and back on at the same port: a server outage.
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SwitchProxy {
  port: number;
  /** The DSN of the target server rewritten to go through the proxy. */
  dsnFor(dsn: string): string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
  connections: number;
}

export async function startSwitchProxy(targetPort: number): Promise<SwitchProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const state: SwitchProxy = {
    port: 0,
    connections: 0,
    dsnFor: (dsn) => dsn.replace(/:\d+\//, `:${state.port}/`),
    down: async () => {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    up: async () => {
      if (server) return;
      const listening = (server = net.createServer((client) => {
        // A connection accepted just before down() still reaches this callback afterwards: refuse it.
        if (server !== listening) return void client.destroy();
        state.connections++;
        const upstream = net.connect(targetPort, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
      }));
      // The port comes from below Linux's ephemeral range (32768+), never from `listen(0)`: while
      // the proxy is down, an ephemeral port it held could be handed to another process's server,
      // and the "outage" would quietly be answered by someone else.
      for (let attempt = 0; ; attempt++) {
        const tryPort = port || 20_000 + Math.floor(Math.random() * 12_000);
        try {
          await new Promise<void>((resolve, reject) => {
            listening.once('error', reject);
            listening.listen(tryPort, '127.0.0.1', () => resolve());
          });
          break;
        } catch (err) {
          if (port || attempt > 50 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        }
      }
      port = (listening.address() as AddressInfo).port;
      state.port = port;
    },
    close: () => state.down(),
  };
  await state.up();
  return state;
}
