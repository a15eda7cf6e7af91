// Frames over an MQTT v5 broker, for pools of tail workers (docs/telemetry.md, "Tail worker pools").
// Every `cleave serve --mqtt` worker of a segment shares one subscription to the segment's request
// topic ($share/<group>/cleave/v1/<fleet>/pool/seg<K>/req), so the broker hands each request to one
// worker; a head (`cleave run --remote K=mqtt://…`) gets the replies on a topic of its own, named in
// each request as the MQTT v5 response topic, with the request id (stream, sequence) as correlation
// data. One message carries one wire frame, so frames, CRCs and size limits are those of TCP.
//
// The head side is a Connection like a TCP one: the pipeline link's window, timeouts, retries (with
// RETRY, to whichever worker the broker picks) and its reconnects all work unchanged. The worker side
// is a Listener whose connections are the head clients it has heard from. A head says hello once, to
// one worker; every request also carries that hello (user property `hello`), so a worker that has not
// greeted this head yet checks it (token, segment, Program hash) before it answers.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { CleaveError } from '../errors';
import { isAuthRefusal, isTlsRefusal } from '../telemetry/sinks/mqtt-sink';
import { type MqttUrl, parseMqttUrl } from '../telemetry/target';
import { checkTopic, poolReplyTopic, poolRequestTopic, sharedSubscription } from '../telemetry/topics';
import { FLAG_FATAL, type Frame, frameBytes, FrameType, readFrame } from '../wire/frame';
import { type ConnectionEvents, type Connection, describeError, iterateFrames } from './connection';
import type { Listener, ListenerEvents } from './listener';
import type { TlsClientOptions } from './tcp';

export interface MqttAddress extends MqttUrl {
  /** The segment whose pool this is: the pipeline sets it from `--remote K=…`. */
  segment?: number;
}

export const DEFAULT_SHARE_GROUP = 'cleave';
/** A worker forgets a head it has not heard from for this long (its answer cache goes with it). */
const IDLE_PEER_MS = 10 * 60_000;

export function parseMqttAddress(text: string, what = 'address'): MqttAddress {
  return parseMqttUrl(text, (why) => new CleaveError('BAD_ARGUMENT', `${what} "${text}": ${why} (expected mqtt://[USER:PASS@]HOST:PORT[/fleet] or mqtts://…)`));
}

/** "mqtt://127.0.0.1:1883/lab/seg1": the pool of one segment, as errors name it. */
export function describeMqtt(a: MqttAddress): string {
  return `${a.url}/${a.fleet}${a.segment === undefined ? '' : `/seg${a.segment}`}`;
}

function segmentOf(a: MqttAddress, what: string): number {
  if (a.segment === undefined || !Number.isInteger(a.segment) || a.segment < 0) throw new CleaveError('BAD_ARGUMENT', `${what}: an MQTT pool address needs the segment it serves`);
  return a.segment;
}

/** The request id as MQTT v5 correlation data: stream and sequence, u32 LE each. */
function correlationOf(frame: Pick<Frame, 'stream' | 'seq'>): Buffer {
  const id = Buffer.allocUnsafe(8);
  id.writeUInt32LE(frame.stream >>> 0, 0);
  id.writeUInt32LE(frame.seq >>> 0, 4);
  return id;
}

/**
 * Connects with MQTT v5 and waits for the CONNACK. Credentials the broker refuses are BROKER_AUTH,
 * a certificate that does not verify WIRE_TLS (both final for a pipeline link); anything else
 * (refused, reset, no answer within `timeoutMs`) WIRE_CONNECT.
 */
async function connectBroker(a: MqttAddress, peer: string, o: { tls?: TlsClientOptions; timeoutMs?: number; reconnectMs?: number; clientId: string }): Promise<MqttClient> {
  const options: IClientOptions = {
    protocolVersion: 5, clientId: o.clientId, clean: true, username: a.username, password: a.password,
    ca: o.tls?.ca, cert: o.tls?.cert, key: o.tls?.key, rejectUnauthorized: true,
    reconnectPeriod: o.reconnectMs ?? 0, connectTimeout: o.timeoutMs ?? 5000,
  };
  const client = mqtt.connect(a.url, options);
  // One request or reply is one small write: Nagle's algorithm would hold it for the previous ACK.
  client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
  return new Promise((resolve, reject) => {
    const settle = (error: CleaveError | null) => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      if (!error) return resolve(client);
      client.end(true);
      reject(error);
    };
    const onConnect = () => {
      // From here on each connection listens for errors itself; this keeps a late one from throwing.
      client.on('error', () => undefined);
      settle(null);
    };
    const onError = (err: Error) => {
      if (isAuthRefusal(err)) {
        settle(new CleaveError('BROKER_AUTH', `${peer}: the broker refused the credentials: ${err.message}${a.username === undefined ? ' (no username was given)' : ` (user "${a.username}")`}`));
      } else if (isTlsRefusal(err)) {
        settle(new CleaveError('WIRE_TLS', `${peer}: TLS handshake with the broker failed: ${describeMqttError(err)}`));
      } else {
        settle(new CleaveError('WIRE_CONNECT', `${peer}: cannot connect to the broker: ${describeMqttError(err)}`));
      }
    };
    const onClose = () => settle(new CleaveError('WIRE_CONNECT', `${peer}: the broker closed the connection before accepting it`));
    const timer = setTimeout(() => settle(new CleaveError('WIRE_CONNECT', `${peer}: no answer from the broker within ${options.connectTimeout} ms`)), options.connectTimeout);
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

/** An MQTT.js error as a person reads it: OS errors by errno name, MQTT ones by reason code. */
function describeMqttError(err: Error & { code?: unknown }): string {
  if (typeof err.code === 'number') return `${err.message} (MQTT reason code ${err.code})`;
  return describeError(err as NodeJS.ErrnoException);
}

/** What both ends share: close once, frames as an iterator. */
abstract class MessageConnection extends EventEmitter<ConnectionEvents> implements Connection {
  protected ended = false;
  protected failed: CleaveError | null = null;
  abstract readonly peer: string;
  abstract readonly persistent: boolean;
  abstract send(frame: Frame): boolean;
  abstract close(): Promise<void>;
  abstract destroy(error?: CleaveError): void;
  abstract pause(): void;
  abstract resume(): void;

  get closed(): boolean {
    return this.ended;
  }

  frames(): AsyncIterableIterator<Frame> {
    return iterateFrames(this, () => this.failed, () => this.ended);
  }

  protected finish(error?: CleaveError): void {
    if (this.ended) return;
    if (error && !this.failed) {
      this.failed = error;
      if (this.listenerCount('error') > 0) this.emit('error', error);
    }
    this.ended = true;
    this.emit('close');
  }
}

/** The head's end: one MQTT client per pipeline link; it ends when the broker connection does (the link reconnects). */
class MqttHeadConnection extends MessageConnection {
  readonly persistent = false;
  private hello: string | undefined;

  constructor(
    private readonly client: MqttClient,
    readonly peer: string,
    private readonly requestTopic: string,
    private readonly replyTopic: string,
    private readonly maxPayload: number,
  ) {
    super();
    client.on('message', (topic, payload) => {
      if (topic !== replyTopic || this.ended) return;
      let frame: Frame;
      try {
        frame = readFrame(payload, maxPayload, peer);
      } catch (err) {
        this.emit('dropped', err as CleaveError); // the request's timeout sends it again
        return;
      }
      this.emit('frame', frame);
    });
    client.on('error', (err) => this.finish(new CleaveError('WIRE_LINK', `${peer}: ${describeMqttError(err)}`)));
    client.on('close', () => this.finish());
  }

  send(frame: Frame): boolean {
    if (this.ended) throw new CleaveError('WIRE_CLOSED', `${this.peer}: connection is closed`);
    const bytes = frameBytes(frame);
    if (frame.type === FrameType.Hello) this.hello = bytes.toString('base64');
    this.client.publish(this.requestTopic, bytes, {
      qos: 1,
      properties: {
        responseTopic: this.replyTopic,
        correlationData: correlationOf(frame),
        ...(this.hello && frame.type !== FrameType.Hello ? { userProperties: { hello: this.hello } } : {}),
      },
    });
    return true;
  }

  /** The broker gives each worker what it can take (QoS 1); nothing here to hold back. */
  pause(): void {}

  resume(): void {}

  async close(): Promise<void> {
    if (this.ended) return;
    await this.client.endAsync(false).catch(() => undefined);
    this.finish();
  }

  destroy(error?: CleaveError): void {
    this.client.end(true);
    this.finish(error);
  }
}

/** Opens the head end of a pool link: connects, subscribes to its reply topic, and resolves. */
export async function connectMqtt(address: MqttAddress, options: { maxPayload: number; tls?: TlsClientOptions; timeoutMs?: number }): Promise<Connection> {
  const peer = describeMqtt(address);
  const segment = segmentOf(address, peer);
  const clientId = `cleave-head-${randomBytes(6).toString('hex')}`;
  const requestTopic = poolRequestTopic(address.fleet, segment);
  const replyTopic = poolReplyTopic(address.fleet, clientId);
  const client = await connectBroker(address, peer, { tls: options.tls, timeoutMs: options.timeoutMs, clientId });
  try {
    const granted = await client.subscribeAsync(replyTopic, { qos: 1 });
    if (granted.some((g) => g.qos > 2)) throw new CleaveError('WIRE_CONNECT', `${peer}: the broker refused the subscription to ${replyTopic} (reason ${granted[0]?.qos})`);
  } catch (err) {
    client.end(true);
    throw err instanceof CleaveError ? err : new CleaveError('WIRE_CONNECT', `${peer}: cannot subscribe to ${replyTopic}: ${(err as Error).message}`);
  }
  return new MqttHeadConnection(client, peer, requestTopic, replyTopic, options.maxPayload);
}

/** A worker's view of one head client: frames it sent, replies go to its response topic. */
class MqttPeerConnection extends MessageConnection {
  /** A worker is one of many: a head keeps its own state between workers, and a new hello may come at any time. */
  readonly persistent = true;
  /** The hello (base64 frame) this worker last passed on for this head; requests carrying another get it passed on first. */
  hello: string | undefined;
  lastHeardAt = Date.now();
  private paused = false;
  private held: Frame[] = [];
  private unacked = 0;
  private onAcked: (() => void) | null = null;

  constructor(
    private readonly client: MqttClient,
    readonly peer: string,
    private readonly replyTopic: string,
  ) {
    super();
  }

  /** A frame from the head, held while the server is at its in-flight limit (the heads' windows bound what is held). */
  deliver(frame: Frame): void {
    this.lastHeardAt = Date.now();
    if (this.paused) this.held.push(frame);
    else this.emit('frame', frame);
  }

  send(frame: Frame): boolean {
    if (this.ended) throw new CleaveError('WIRE_CLOSED', `${this.peer}: connection is closed`);
    // A worker leaving is not the pool leaving: the head has no reason to reconnect.
    if (frame.type === FrameType.Goodbye) return true;
    // A refused hello is checked again with the next request, which then gets the refusal too.
    if (frame.type === FrameType.Error && frame.flags & FLAG_FATAL) this.hello = undefined;
    this.unacked++;
    this.client.publish(this.replyTopic, frameBytes(frame), { qos: 1, properties: { correlationData: correlationOf(frame) } }, () => {
      this.unacked--;
      if (this.unacked === 0) this.onAcked?.();
    });
    return true;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && !this.ended && this.held.length > 0) this.emit('frame', this.held.shift()!);
  }

  /** Once the broker has acknowledged every reply sent (or the client has ended). */
  async close(): Promise<void> {
    if (this.unacked > 0 && this.client.connected) await new Promise<void>((resolve) => (this.onAcked = resolve));
    this.finish();
  }

  destroy(error?: CleaveError): void {
    this.finish(error);
  }
}

class MqttPoolListener extends EventEmitter<ListenerEvents> implements Listener {
  private readonly peers = new Map<string, MqttPeerConnection>();
  private readonly sweeper: NodeJS.Timeout;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly client: MqttClient,
    readonly address: string,
    private readonly subscription: string,
    private readonly maxPayload: number,
  ) {
    super();
    client.on('message', (_topic, payload, packet) => this.onMessage(payload, packet));
    // Transport errors while serving: MQTT.js reconnects and subscribes again; the heads retry.
    client.on('error', (err) => this.emit('refused', new CleaveError('WIRE_LINK', `${address}: ${describeMqttError(err)}`)));
    this.sweeper = setInterval(() => this.forgetIdle(), 60_000);
    this.sweeper.unref();
  }

  /** Stops taking requests (unsubscribes); resolves once every head's connection has closed and the client has ended. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.sweeper);
      await this.client.unsubscribeAsync(this.subscription).catch(() => undefined);
      await Promise.all([...this.peers.values()].map((p) => (p.closed ? undefined : new Promise<void>((resolve) => p.once('close', resolve)))));
      await this.client.endAsync(false).catch(() => undefined);
    })();
    return this.closing;
  }

  private onMessage(payload: Buffer, packet: IPublishPacket): void {
    const replyTopic = packet.properties?.responseTopic;
    const where = `${this.address}: a message from ${replyTopic ?? 'a client without a response topic'}`;
    let frame: Frame;
    try {
      if (!replyTopic) throw new CleaveError('WIRE_BAD_FRAME', `${where}: no MQTT v5 response topic, so no one to answer`);
      checkTopic(replyTopic);
      frame = readFrame(payload, this.maxPayload, where);
    } catch (err) {
      this.emit('refused', err as CleaveError);
      return;
    }
    let peer = this.peers.get(replyTopic);
    if (!peer) {
      if (this.closing) return;
      peer = new MqttPeerConnection(this.client, `mqtt:${replyTopic.slice(replyTopic.lastIndexOf('/') + 1)}`, replyTopic);
      this.peers.set(replyTopic, peer);
      const known = peer;
      peer.once('close', () => this.peers.delete(replyTopic) && undefined);
      this.emit('connection', known);
    }
    if (frame.type === FrameType.Hello) {
      peer.hello = Buffer.from(payload).toString('base64');
    } else if (frame.type === FrameType.Request) {
      const hello = packet.properties?.userProperties?.hello;
      const text = Array.isArray(hello) ? hello[0] : hello;
      if (text !== undefined && text !== peer.hello) {
        try {
          const helloFrame = readFrame(Buffer.from(text, 'base64'), this.maxPayload, `${where}: hello property`);
          if (helloFrame.type !== FrameType.Hello) throw new CleaveError('WIRE_BAD_FRAME', `${where}: the hello property holds a ${FrameType[helloFrame.type]} frame`);
          peer.hello = text;
          peer.deliver(helloFrame);
        } catch (err) {
          peer.emit('dropped', err as CleaveError);
        }
      }
    }
    peer.deliver(frame);
    if (frame.type === FrameType.Goodbye) void peer.close();
  }

  private forgetIdle(): void {
    const before = Date.now() - IDLE_PEER_MS;
    for (const peer of this.peers.values()) if (peer.lastHeardAt < before) void peer.close();
  }
}

export interface MqttListenOptions {
  maxPayload: number;
  /** The share group: workers of one pool share one (default "cleave"). */
  group?: string;
  tls?: TlsClientOptions;
}

/** Joins the pool of `address.segment`: connects (reconnecting when the broker goes away) and shares its request topic. */
export async function listenMqtt(address: MqttAddress, options: MqttListenOptions): Promise<Listener> {
  const segment = segmentOf(address, describeMqtt(address));
  const group = options.group ?? DEFAULT_SHARE_GROUP;
  const subscription = sharedSubscription(group, poolRequestTopic(address.fleet, segment));
  const name = `${describeMqtt(address)} (share group ${group})`;
  const client = await connectBroker(address, name, { tls: options.tls, clientId: `cleave-worker-${randomBytes(6).toString('hex')}`, reconnectMs: 1000 });
  try {
    const granted = await client.subscribeAsync(subscription, { qos: 1 });
    if (granted.some((g) => g.qos > 2)) throw new CleaveError('WIRE_LISTEN', `${name}: the broker refused the shared subscription ${subscription} (reason ${granted[0]?.qos}; shared subscriptions need MQTT v5: Mosquitto 2, EMQX, HiveMQ)`);
  } catch (err) {
    client.end(true);
    throw err instanceof CleaveError ? err : new CleaveError('WIRE_LISTEN', `${name}: cannot subscribe to ${subscription}: ${(err as Error).message}`);
  }
  return new MqttPoolListener(client, name, subscription, options.maxPayload);
}
