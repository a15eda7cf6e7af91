// One pipeline link to a served segment: hello, then tensor requests with up to `window` in flight.
// A request is sent again, with the same id, after a timeout or once the link has reconnected (with
// backoff); the server answers a repeated id from its cache, and the first reply for an id settles it,
// so a result is never lost or duplicated. Refusals (token, certificate, Program hash) are final. A
// link whose peer stays gone fails its requests, and every later one, with an error naming the peer.
import { randomInt } from 'node:crypto';
import { CleaveError } from '../errors';
import type { Connection } from '../transport/connection';
import { connect, describeEndpoint, type Endpoint } from '../transport/endpoint';
import type { TlsClientOptions } from '../transport/tcp';
import { DEFAULT_MAX_PAYLOAD, FLAG_FATAL, FLAG_RETRY, type Frame, FrameType, HEADER_BYTES, TRAILER_BYTES, WIRE_VERSION } from '../wire/frame';
import { decodeError, decodeHelloAck, decodeReply, encodeHello, errorFromFrame, type Reply } from '../wire/messages';

export interface LinkOptions {
  segment: number;
  /** SHA-256 of the Program the peer must serve for that segment. */
  programSha256: Buffer;
  window: number;
  token?: string;
  tls?: TlsClientOptions;
  /** How long one attempt of a request (and the hello) may take. */
  timeoutMs: number;
  /** Attempts after the first on timeouts, per request. */
  retries: number;
  /** Reconnection: attempts in a row before the peer counts as gone, and the backoff between them. */
  reconnectAttempts: number;
  reconnectDelayMs: number;
  reconnectMaxDelayMs: number;
  maxPayload?: number;
}

export interface Exchange {
  reply: Reply;
  /** From the first send to the reply: send, remote work, receive (and any retries). */
  wireMs: number;
  attempts: number;
  bytesSent: number;
  bytesReceived: number;
  /**
   * From when the link began to serve this request (its first send, or the link's previous reply if
   * that came later: requests are answered in turn) to its reply: the time this request itself took,
   * without waiting behind those ahead of it.
   */
  serviceMs: number;
  /** True when a reply to an earlier request was still outstanding when this one was sent. */
  queued: boolean;
}

interface Pending {
  seq: number;
  payload: Buffer;
  attempts: number;
  firstSentAt: number;
  bytesSent: number;
  timer: NodeJS.Timeout | null;
  resolve: (e: Exchange) => void;
  reject: (e: CleaveError) => void;
}

/** Codes the peer or the TLS layer uses to refuse us; reconnecting will not change its mind. */
const FINAL_CODES = new Set(['WIRE_AUTH', 'WIRE_PROGRAM_MISMATCH', 'WIRE_VERSION', 'WIRE_TLS', 'BROKER_AUTH']);

const frameSize = (payload: Uint8Array) => HEADER_BYTES + payload.byteLength + TRAILER_BYTES;

export class RemoteLink {
  readonly peer: string;
  /** Request ids are unique within this stream, which outlives reconnects. */
  private readonly stream = randomInt(1, 0xffffffff);
  private conn: Connection | null = null;
  private connecting: Promise<void> | null = null;
  private nextSeq = 1;
  private readonly pending = new Map<number, Pending>();
  private freeSlots: number;
  private readonly slotWaiters: (() => void)[] = [];
  /** Set once the link cannot work again (refused, gone, closed): every request fails with it. */
  private failure: CleaveError | null = null;
  /** What last went wrong on the link (a timeout, a broken connection), for the error of a request that gives up. */
  private lastFault = 'none';
  private nextPing = 1;
  /** When the latest reply arrived. */
  private lastReplyAt = 0;
  /** Pings waiting for their pong, by the number in their payload. */
  private readonly pings = new Map<number, { sentAt: number; resolve: (rttMs: number | null) => void }>();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly options: LinkOptions,
  ) {
    this.peer = describeEndpoint(endpoint, !!options.tls);
    this.freeSlots = options.window;
  }

  /** Connects and says hello, retrying with backoff while the peer is unreachable. */
  open(): Promise<void> {
    this.connecting ??= this.connectWithBackoff().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** Sends one request (a request payload) when a window slot is free; resolves with its reply. */
  async request(payload: Buffer): Promise<Exchange> {
    await this.acquire();
    try {
      if (this.failure) throw this.failure;
      return await new Promise<Exchange>((resolve, reject) => {
        const p: Pending = { seq: this.nextSeq, payload, attempts: 0, firstSentAt: 0, bytesSent: 0, timer: null, resolve, reject };
        this.nextSeq = this.nextSeq >= 0xffffffff ? 1 : this.nextSeq + 1;
        this.pending.set(p.seq, p);
        if (this.conn) this.transmit(p);
        else void this.open().catch(() => undefined); // open() failing fails `p` through failAll
      });
    } finally {
      this.release();
    }
  }

  /**
   * Round trip of a ping on the connection, ms; null when there is no connection or no pong within
   * the request timeout. The pong travels behind whatever the connection is carrying.
   */
  ping(): Promise<number | null> {
    const conn = this.conn;
    if (!conn || conn.closed) return Promise.resolve(null);
    const id = this.nextPing++;
    const payload = Buffer.alloc(8);
    payload.writeDoubleLE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pings.delete(id);
        resolve(null);
      }, this.options.timeoutMs);
      this.pings.set(id, {
        sentAt: performance.now(),
        resolve: (rtt) => {
          clearTimeout(timer);
          resolve(rtt);
        },
      });
      conn.send({ type: FrameType.Ping, flags: 0, stream: this.stream, seq: 0, payload });
    });
  }

  async close(): Promise<void> {
    for (const p of this.pings.values()) p.resolve(null);
    this.pings.clear();
    this.failAll(new CleaveError('WIRE_CLOSED', `${this.peer}: link closed`));
    const conn = this.conn;
    this.conn = null;
    if (conn && !conn.closed) {
      conn.send({ type: FrameType.Goodbye, flags: 0, stream: this.stream, seq: 0, payload: Buffer.alloc(0) });
      await conn.close();
    }
  }

  private acquire(): Promise<void> {
    if (this.freeSlots > 0) {
      this.freeSlots--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private release(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.freeSlots++;
  }

  private async connectWithBackoff(): Promise<void> {
    let lastError: CleaveError | null = null;
    const { reconnectAttempts, reconnectDelayMs, reconnectMaxDelayMs } = this.options;
    for (let attempt = 0; attempt < reconnectAttempts; attempt++) {
      if (this.failure) throw this.failure;
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(reconnectMaxDelayMs, reconnectDelayMs * 2 ** (attempt - 1))));
      try {
        const conn = await this.handshake();
        if (this.failure) {
          conn.destroy(); // closed while we were connecting
          throw this.failure;
        }
        this.attach(conn);
        return;
      } catch (err) {
        lastError = err as CleaveError;
        if (FINAL_CODES.has(lastError.code)) break;
      }
    }
    const gone = lastError && FINAL_CODES.has(lastError.code)
      ? lastError
      : new CleaveError('WIRE_UNREACHABLE', `${this.peer}: peer unreachable after ${reconnectAttempts} connection attempts (last: ${lastError?.message})`);
    this.failAll(gone);
    throw gone;
  }

  /** Opens a connection and exchanges hello / hello-ack; the connection is returned only if accepted. */
  private async handshake(): Promise<Connection> {
    const maxPayload = this.options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    const conn = await connect(this.endpoint, { maxPayload, tls: this.options.tls, timeoutMs: this.options.timeoutMs });
    const hello = encodeHello({ version: WIRE_VERSION, segment: this.options.segment, programSha256: this.options.programSha256, token: this.options.token ?? '' });
    try {
      const first = await new Promise<Frame>((resolve, reject) => {
        const timer = setTimeout(() => reject(new CleaveError('WIRE_TIMEOUT', `${this.peer}: no answer to hello within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
        const done = () => {
          clearTimeout(timer);
          conn.off('frame', onFrame);
          conn.off('error', onError);
          conn.off('close', onClose);
        };
        const onFrame = (f: Frame) => {
          done();
          resolve(f);
        };
        const onError = (e: CleaveError) => {
          done();
          reject(e);
        };
        const onClose = () => {
          done();
          const why = this.options.tls ? ' (as a TLS server does when it refuses the client certificate)' : '';
          reject(new CleaveError('WIRE_CLOSED', `${this.peer}: closed the connection during hello${why}`));
        };
        conn.on('frame', onFrame);
        conn.on('error', onError);
        conn.on('close', onClose);
        conn.send({ type: FrameType.Hello, flags: 0, stream: this.stream, seq: 0, payload: hello });
      });
      if (first.type === FrameType.Error) {
        const e = decodeError(first.payload, this.peer);
        throw errorFromFrame(e, `${this.peer} refused: `);
      }
      if (first.type !== FrameType.HelloAck) throw new CleaveError('WIRE_EXPECTED_HELLO', `${this.peer}: answered hello with a ${FrameType[first.type]} frame`);
      const ack = decodeHelloAck(first.payload, this.peer);
      if (!ack.programSha256.equals(this.options.programSha256) || ack.segment !== this.options.segment) {
        throw new CleaveError('WIRE_PROGRAM_MISMATCH', `${this.peer}: serves segment ${ack.segment} as Program sha256 ${ack.programSha256.toString('hex')}, ` +
          `this plan has segment ${this.options.segment} as sha256 ${this.options.programSha256.toString('hex')}`);
      }
      return conn;
    } catch (err) {
      conn.destroy();
      throw err;
    }
  }

  /** Makes `conn` the link's connection and (re)sends every request waiting for a reply, in id order. */
  private attach(conn: Connection): void {
    this.conn = conn;
    conn.on('frame', (f) => this.onFrame(conn, f));
    conn.on('error', (e) => (this.lastFault = e.message)); // 'close' follows and carries the consequences
    conn.on('close', () => this.onClose(conn));
    for (const p of [...this.pending.values()].sort((a, b) => a.seq - b.seq)) this.transmit(p);
  }

  private transmit(p: Pending): void {
    const conn = this.conn;
    if (!conn || conn.closed) return; // sent again once reconnected
    if (p.timer) clearTimeout(p.timer);
    // Bounded even when every send breaks the connection (and so never reaches a timeout).
    if (p.attempts > this.options.retries) {
      this.settle(p, new CleaveError('WIRE_RETRIES_EXHAUSTED', `${this.peer}: request #${p.seq} unanswered after ${p.attempts} attempts (last fault: ${this.lastFault})`));
      return;
    }
    p.attempts++;
    if (p.attempts === 1) p.firstSentAt = performance.now();
    p.bytesSent += frameSize(p.payload);
    conn.send({ type: FrameType.Request, flags: p.attempts > 1 ? FLAG_RETRY : 0, stream: this.stream, seq: p.seq, payload: p.payload });
    p.timer = setTimeout(() => this.onTimeout(p), this.options.timeoutMs);
  }

  private onTimeout(p: Pending): void {
    p.timer = null;
    if (!this.pending.has(p.seq)) return;
    this.lastFault = `request #${p.seq}: no answer within ${this.options.timeoutMs} ms`;
    this.transmit(p);
  }

  private onFrame(conn: Connection, f: Frame): void {
    if (f.type === FrameType.Goodbye) {
      this.lastFault = `${this.peer} said goodbye`;
      conn.destroy(); // the server drains; we reconnect (see onClose) and resend what it did not answer
      return;
    }
    if (f.type === FrameType.Error) {
      const e = decodeError(f.payload, this.peer);
      const error = errorFromFrame(e, `${this.peer}: `);
      if (f.flags & FLAG_FATAL) {
        // The connection is over. A refusal ends the link; anything else (a frame damaged on the way,
        // a server that restarted and no longer knows us) is mended by reconnecting (see onClose).
        if (FINAL_CODES.has(e.code)) this.failAll(error);
        this.lastFault = error.message;
        conn.destroy();
        return;
      }
      const p = this.pending.get(f.seq);
      if (p) this.settle(p, error);
      return;
    }
    if (f.type === FrameType.Pong && f.payload.byteLength === 8) {
      const id = new DataView(f.payload.buffer, f.payload.byteOffset, 8).getFloat64(0, true);
      const ping = this.pings.get(id);
      this.pings.delete(id);
      ping?.resolve(performance.now() - ping.sentAt);
      return;
    }
    if (f.type !== FrameType.Reply) return; // anything newer than us: nothing to do
    const p = this.pending.get(f.seq);
    if (!p) return; // a late answer to a request already settled by an earlier copy
    let reply: Reply;
    try {
      reply = decodeReply(f.payload, this.peer);
    } catch (err) {
      this.settle(p, err as CleaveError);
      return;
    }
    this.pending.delete(p.seq);
    if (p.timer) clearTimeout(p.timer);
    const now = performance.now();
    const queued = this.lastReplyAt > p.firstSentAt;
    const serviceMs = now - Math.max(p.firstSentAt, this.lastReplyAt);
    this.lastReplyAt = now;
    p.resolve({ reply, wireMs: now - p.firstSentAt, attempts: p.attempts, bytesSent: p.bytesSent, bytesReceived: frameSize(f.payload), serviceMs, queued });
  }

  private onClose(conn: Connection): void {
    if (this.conn !== conn) return;
    this.conn = null;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.timer = null;
    }
    if (this.pending.size > 0 && !this.failure) void this.open().catch(() => undefined);
  }

  private settle(p: Pending, error: CleaveError): void {
    this.pending.delete(p.seq);
    if (p.timer) clearTimeout(p.timer);
    p.reject(error);
  }

  private failAll(error: CleaveError): void {
    this.failure ??= error;
    for (const p of [...this.pending.values()]) this.settle(p, error);
  }
}
