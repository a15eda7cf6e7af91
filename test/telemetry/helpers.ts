// Helpers of the broker tests: a subscriber that collects what arrives, and a TCP relay that plays
// a network outage between a device and its broker.
import { once } from 'node:events';
import * as net from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface Collector {
  client: MqttClient;
  /** Payloads by topic, in arrival order. */
  byTopic: Map<string, string[]>;
  /** Resolves when `topic` has at least `count` payloads, or rejects after `timeoutMs`. */
  waitFor(topic: string, count: number, timeoutMs?: number): Promise<string[]>;
}

export async function collect(url: string, filters: string[], options: IClientOptions = {}): Promise<Collector> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...options });
  const byTopic = new Map<string, string[]>();
  const waiters: (() => void)[] = [];
  client.on('message', (topic, payload) => {
    const list = byTopic.get(topic) ?? [];
    list.push(payload.toString());
    byTopic.set(topic, list);
    for (const w of waiters.splice(0)) w();
  });
  await client.subscribeAsync(filters, { qos: 1 });
  const waitFor = (topic: string, count: number, timeoutMs = 15_000) => new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${topic}: ${byTopic.get(topic)?.length ?? 0} of ${count} messages within ${timeoutMs} ms`)), timeoutMs);
    const check = () => {
      const list = byTopic.get(topic) ?? [];
      if (list.length >= count) {
        clearTimeout(timer);
        resolve(list);
      } else waiters.push(check);
    };
    check();
  });
  return { client, byTopic, waitFor };
}

/** Relays 127.0.0.1:<port> to a broker; `down()` cuts every connection and refuses new ones until `up()`. */
export class Relay {
  private server: net.Server | undefined;
  private sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

export const seqs = (payloads: string[]) => payloads.map((p) => (JSON.parse(p) as { seq: number }).seq);
