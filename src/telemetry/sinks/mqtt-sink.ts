// The MQTT sink: every message is appended to the disk spool first, then published with QoS 1 in
// spool order while the broker is connected; a record leaves the spool when the broker acknowledges
// it (PUBACK). While the broker is unreachable records stay spooled, and after reconnecting MQTT.js
// resends the unacknowledged in-flight ones first, then the spool drains on, so order holds. After
// a crash the records that were in flight are sent again (same `seq`): delivery is at least once,
// exactly once within a process lifetime.
import * as fs from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { CleaveError } from '../../errors';
import type { TelemetryMessage } from '../record';
import { Spool, type SpoolOptions, type SpoolPosition } from '../spool';
import { deviceTopic } from '../topics';
import type { TelemetrySink } from './sink';

export interface MqttTls {
  /** PEM file of the CA that signed the broker's certificate. */
  caFile?: string;
  /** PEM files of a client certificate and its key, for brokers that require one. */
  certFile?: string;
  keyFile?: string;
}

export interface MqttConnectOptions {
  /** mqtt://host:port or mqtts://host:port. */
  url: string;
  username?: string;
  password?: string;
  tls?: MqttTls;
  /** How long open() waits for the first connection before going on offline (spooling); default 3000 ms. */
  connectWaitMs?: number;
  /** Pause between reconnection attempts; default 1000 ms. */
  reconnectMs?: number;
}

export interface MqttSinkOptions extends MqttConnectOptions {
  fleet: string;
  device: string;
  spoolDir: string;
  spool?: SpoolOptions;
  /** Publishes awaiting PUBACK at once; default 64. */
  maxInFlight?: number;
  /** How long close() waits for the spool to drain; default 5000 ms. */
  flushMs?: number;
}

/** MQTT 3.1.1 CONNACK codes 4, 5 and MQTT 5 reason codes 0x86, 0x87: credentials refused. */
const AUTH_REFUSED = new Set([4, 5, 0x86, 0x87]);

export function isAuthRefusal(err: unknown): boolean {
  return AUTH_REFUSED.has((err as { code?: unknown }).code as number);
}

/** Node's TLS verification failures (an unknown CA, a name mismatch, an expired certificate): retrying will not help. */
export function isTlsRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_SSL|ERR_TLS/.test(code);
}

function readPem(file: string | undefined, what: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CleaveError('FILE_NOT_FOUND', `MQTT TLS ${what} ${file}: cannot read: ${(err as Error).message}`);
  }
}

/** MQTT.js options for a connection (credentials, TLS, timeouts), shared by the sink and `telemetry tail`. */
export function clientOptions(o: MqttConnectOptions, extra: IClientOptions = {}): IClientOptions {
  return {
    username: o.username,
    password: o.password,
    ca: readPem(o.tls?.caFile, 'CA'),
    cert: readPem(o.tls?.certFile, 'certificate'),
    key: readPem(o.tls?.keyFile, 'key'),
    rejectUnauthorized: true,
    reconnectPeriod: o.reconnectMs ?? 1000,
    connectTimeout: 5000,
    ...extra,
  };
}

/**
 * Connects and waits for the first CONNACK up to `waitMs`: resolves connected or not (the broker
 * may come up later); rejects with BROKER_AUTH when the broker refuses the credentials, and with
 * BROKER_UNREACHABLE when its TLS certificate does not verify: neither gets better by retrying.
 */
export function connectClient(o: MqttConnectOptions, extra: IClientOptions = {}): Promise<{ client: MqttClient; connected: boolean }> {
  const client = mqtt.connect(o.url, clientOptions(o, extra));
  return new Promise((resolve, reject) => {
    const done = (connected: boolean) => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      resolve({ client, connected });
    };
    const onConnect = () => done(true);
    const onError = (err: Error) => {
      const auth = isAuthRefusal(err);
      if (!auth && !isTlsRefusal(err)) return;
      clearTimeout(timer);
      client.end(true);
      reject(auth
        ? new CleaveError('BROKER_AUTH', `MQTT broker ${o.url} refused the connection: ${err.message}${o.username === undefined ? ' (no username was given)' : ` (user "${o.username}")`}`)
        : new CleaveError('BROKER_UNREACHABLE', `MQTT broker ${o.url}: TLS handshake failed: ${err.message} (${(err as { code?: string }).code}); give its CA certificate with --telemetry-ca`));
    };
    const timer = setTimeout(() => done(false), o.connectWaitMs ?? 3000);
    client.on('connect', onConnect);
    client.on('error', onError);
  });
}

interface InFlight {
  end: SpoolPosition;
  acked: boolean;
}

export class MqttSink implements TelemetrySink {
  readonly name: string;
  private inFlight: InFlight[] = [];
  private drainWaiters: (() => void)[] = [];
  private readonly topics: { telemetry: string; summary: string; status: string };

  private constructor(
    private readonly client: MqttClient,
    private readonly spool: Spool,
    private readonly options: MqttSinkOptions,
  ) {
    this.name = `${options.url}/${options.fleet}`;
    this.topics = {
      telemetry: deviceTopic(options.fleet, options.device, 'telemetry'),
      summary: deviceTopic(options.fleet, options.device, 'summary'),
      status: deviceTopic(options.fleet, options.device, 'status'),
    };
    client.on('connect', () => {
      client.publish(this.topics.status, 'online', { qos: 1, retain: true });
      this.pump();
    });
    // Transport errors (refused, reset) are the reconnect loop's business; records wait in the spool.
    client.on('error', () => undefined);
  }

  /** Opens the spool, connects (waiting briefly), and publishes the retained `online` status. */
  static async open(options: MqttSinkOptions): Promise<MqttSink> {
    const status = deviceTopic(options.fleet, options.device, 'status');
    const spool = Spool.open(options.spoolDir, options.spool);
    let connection: { client: MqttClient; connected: boolean };
    try {
      // Publishing keeps the connection alive: re-arming the keep-alive timer on every packet costs more than a record.
      connection = await connectClient(options, { will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true }, reschedulePings: false });
    } catch (err) {
      spool.close();
      throw err;
    }
    const sink = new MqttSink(connection.client, spool, options);
    if (connection.connected) {
      connection.client.publish(status, 'online', { qos: 1, retain: true });
      sink.pump();
    }
    return sink;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Records spooled and not yet acknowledged by the broker. */
  get pending(): number {
    return this.spool.pending;
  }

  write(message: TelemetryMessage): void {
    this.spool.append(Buffer.from(`${message.kind === 'record' ? 't' : 's'}${JSON.stringify(message)}`));
    this.pump();
  }

  takeDropped(): number {
    return this.spool.takeDropped();
  }

  /** Resolves once every spooled record is acknowledged, or after `timeoutMs` (false). */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.spool.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.drainWaiters = this.drainWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.drainWaiters.push(waiter);
    });
  }

  /** Waits for the spool to drain (flushMs), marks the device offline (retained) and disconnects; what did not drain stays spooled. */
  async close(): Promise<void> {
    await this.drained(this.options.flushMs ?? 5000);
    if (this.client.connected) {
      await new Promise<void>((resolve) => this.client.publish(this.topics.status, 'offline', { qos: 1, retain: true }, () => resolve()));
    }
    await this.client.endAsync(!this.client.connected);
    this.spool.close();
  }

  private pump(): void {
    const max = this.options.maxInFlight ?? 64;
    while (this.client.connected && this.inFlight.length < max) {
      const entry = this.spool.next();
      if (!entry) break;
      const flight: InFlight = { end: entry.end, acked: false };
      this.inFlight.push(flight);
      const topic = entry.payload[0] === 0x74 /* 't' */ ? this.topics.telemetry : this.topics.summary;
      this.client.publish(topic, entry.payload.subarray(1), { qos: 1 }, (err) => {
        // An error here means the client was ended: the record stays spooled for the next process.
        if (err) return;
        flight.acked = true;
        while (this.inFlight[0]?.acked) this.spool.ack(this.inFlight.shift()!.end);
        if (this.spool.pending === 0) for (const w of this.drainWaiters.splice(0)) w();
        this.pump();
      });
    }
  }
}
