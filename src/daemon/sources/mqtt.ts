// An MQTT topic: each message's payload is one input (the raw bytes of the model's inputs). QoS 1
// subscription, renewed on every reconnection; a message is acknowledged when it arrives, so one
// that was queued when the daemon stopped is not redelivered.
import type { MqttClient } from 'mqtt';
import { connectClient } from '../../telemetry/sinks/mqtt-sink';
import type { MqttSourceConfig } from '../config';
import { InputQueue, type InputSource, type Log, type Take } from './source';

/** mqtt://USER:PASS@HOST:PORT -> the URL without credentials, and the credentials. */
export function splitCredentials(url: string): { url: string; username?: string; password?: string } {
  const u = new URL(url);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  return { url: `${u.protocol}//${u.host}`, username, password };
}

export class MqttSource implements InputSource {
  readonly description: string;
  private client: MqttClient | undefined;
  private readonly queue: InputQueue;
  private received = 0;

  constructor(private readonly config: MqttSourceConfig, private readonly log: Log) {
    this.description = `mqtt ${splitCredentials(config.url).url} ${config.topic}`;
    this.queue = new InputQueue(this.description, log);
  }

  async start(take: Take): Promise<void> {
    const { client, connected } = await connectClient({ ...splitCredentials(this.config.url), tls: this.config.ca ? { caFile: this.config.ca } : undefined });
    this.client = client;
    const subscribe = () => client.subscribe(this.config.topic, { qos: 1 }, (err) => {
      if (err) this.log(`${this.description}: subscribe failed: ${err.message}`);
    });
    client.on('connect', subscribe);
    client.on('error', (err) => this.log(`${this.description}: ${err.message}`));
    client.on('message', (topic, payload) => {
      this.queue.push({ id: `mqtt:${topic}#${++this.received}`, bytes: new Uint8Array(payload), settle: async () => undefined, retry: () => undefined });
    });
    if (connected) subscribe();
    else this.log(`${this.description}: broker not there yet, subscribing once it is`);
    this.queue.start(take);
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    await this.queue.stop();
  }
}
