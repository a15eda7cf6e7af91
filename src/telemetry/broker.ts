// The embedded broker (aedes) for a single box: the default when no broker runs, so a board can
// publish telemetry and a `cleave telemetry tail` on the same machine can read it.
import { once } from 'node:events';
import * as net from 'node:net';
import { CleaveError } from '../errors';

export interface EmbeddedBroker {
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts aedes on `host:port` (port 0: a free port), with optional username/password. */
export async function startEmbeddedBroker(options: { host?: string; port?: number; username?: string; password?: string } = {}): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker(options.username === undefined ? {} : {
    authenticate: (_client, username, password, done) => {
      if (username === options.username && password?.toString() === options.password) done(null, true);
      // 4: MQTT 3.1.1's "bad user name or password".
      else done(Object.assign(new Error('bad username or password'), { returnCode: 4 as const }), false);
    },
  });
  const server = net.createServer(broker.handle);
  const host = options.host ?? '127.0.0.1';
  server.listen(options.port ?? 0, host);
  try {
    await once(server, 'listening');
  } catch (err) {
    broker.close();
    throw new CleaveError('BROKER_UNREACHABLE', `embedded MQTT broker: cannot listen on ${host}:${options.port ?? 0}: ${(err as Error).message}`);
  }
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close();
      broker.close(() => resolve());
    }),
  };
}
