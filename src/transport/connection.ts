// What every transport gives the pipeline: a connection that sends frames and delivers frames, with
// backpressure (send() says when to wait for 'drain', pause() stops reading) and errors that name the
// peer. A connection over a byte stream (TCP, TLS, a serial port) is a FrameConnection over a Duplex
// with a Framing; a message transport (MQTT, later) implements the same interface with readFrame().
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { CleaveError } from '../errors';
import { cobsFrameBytes, CobsFrameParser } from '../wire/cobs';
import { FLAG_FATAL, type Frame, framePieces, FrameType } from '../wire/frame';
import { encodeError } from '../wire/messages';
import { StreamFrameParser } from '../wire/stream-parser';

export interface ConnectionEvents {
  frame: [Frame];
  /** A frame dropped by a framing that can resynchronize (serial); the connection carries on. */
  dropped: [CleaveError];
  /** A fatal error; 'close' follows. */
  error: [CleaveError];
  close: [];
  drain: [];
}

export interface Connection extends EventEmitter<ConnectionEvents> {
  /** "tcp:HOST:PORT", "tls:HOST:PORT", "serial:PATH": named in every error. */
  readonly peer: string;
  readonly closed: boolean;
  /**
   * A line rather than a session (serial): it stays open from one peer to the next, so refusing a
   * peer does not close it and a new hello may come at any time.
   */
  readonly persistent: boolean;
  /** Queues a frame; false when the transport's buffer is full: wait for 'drain' before sending more. */
  send(frame: Frame): boolean;
  /** Stops reading (the peer's writes back up into its own buffers), until resume(). */
  pause(): void;
  resume(): void;
  /** Frames as an async iterator; ends on close, throws the fatal error if there was one. */
  frames(): AsyncIterableIterator<Frame>;
  /** Flushes what was sent, then closes. */
  close(): Promise<void>;
  /** Closes at once; pending writes are lost. */
  destroy(error?: CleaveError): void;
}

/** How frames become bytes on a stream and back. */
export interface Framing {
  /** The bytes of a frame: one buffer, or pieces written back to back in one writev. */
  encode(frame: Frame): Buffer | readonly Uint8Array[];
  /** Frames completed by `chunk`; throws when the stream cannot continue. */
  decode(chunk: Uint8Array): { frames: Frame[]; dropped: CleaveError[] };
}

/** Length-delimited frames on a reliable byte stream (TCP, TLS): the first bad frame is fatal. */
export function streamFraming(maxPayload: number, peer: string): Framing {
  const parser = new StreamFrameParser(maxPayload, peer);
  return { encode: framePieces, decode: (chunk) => ({ frames: parser.push(chunk), dropped: [] }) };
}

/** COBS packets between zero bytes on a lossy line (serial): bad packets are dropped, not fatal. */
export function cobsFraming(maxPayload: number, peer: string): Framing {
  const parser = new CobsFrameParser(maxPayload, peer);
  return { encode: cobsFrameBytes, decode: (chunk) => parser.push(chunk) };
}

/**
 * How a stream is ended and torn down. Sockets end with a FIN and are destroyed; a serial port must be
 * closed through its own close() (destroying the stream would leave the device open and locked).
 */
export interface StreamEnds {
  /** Flushes what was written (and `last`), then closes; 'close' follows. */
  end(stream: Duplex, last?: Buffer | readonly Uint8Array[]): void;
  /** Closes at once; 'close' follows. */
  destroy(stream: Duplex): void;
}

/** Writes a frame's bytes; pieces are corked so the stream hands them to the kernel in one writev. */
export function writeFrame(stream: Duplex, bytes: Buffer | readonly Uint8Array[]): boolean {
  if (bytes instanceof Uint8Array) return stream.write(bytes);
  stream.cork();
  let ok = true;
  for (const piece of bytes) ok = stream.write(piece);
  stream.uncork();
  return ok;
}

const SOCKET_ENDS: StreamEnds = {
  end: (stream, last) => {
    if (last) writeFrame(stream, last);
    stream.end();
  },
  destroy: (stream) => stream.destroy(),
};

export class FrameConnection extends EventEmitter<ConnectionEvents> implements Connection {
  private failed: CleaveError | null = null;
  private ended = false;
  private ending = false;

  constructor(
    private readonly stream: Duplex,
    private readonly framing: Framing,
    readonly peer: string,
    readonly persistent = false,
    private readonly ends: StreamEnds = SOCKET_ENDS,
  ) {
    super();
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('drain', () => this.emit('drain'));
    // TLS alerts after the handshake (a client certificate refused) are as final as a refused handshake.
    stream.on('error', (err: NodeJS.ErrnoException) => this.fail(new CleaveError(/SSL|CERT/.test(err.code ?? '') ? 'WIRE_TLS' : 'WIRE_LINK', `${peer}: ${describeError(err)}`)));
    stream.on('close', () => this.onClose());
    stream.on('end', () => stream.end());
  }

  /** True once nothing more can be sent (closing, closed, or failed). */
  get closed(): boolean {
    return this.ended || this.ending || this.stream.destroyed || this.stream.writableEnded;
  }

  send(frame: Frame): boolean {
    if (this.closed) throw new CleaveError('WIRE_CLOSED', `${this.peer}: connection is closed`);
    return writeFrame(this.stream, this.framing.encode(frame));
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  close(): Promise<void> {
    if (this.ended) return Promise.resolve();
    if (this.ending || this.stream.destroyed) return new Promise((resolve) => this.once('close', resolve));
    this.ending = true;
    return new Promise((resolve) => {
      // A peer that never answers the FIN must not hold the close forever.
      const timer = setTimeout(() => this.ends.destroy(this.stream), 2000);
      this.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.stream.resume(); // a paused stream would never read the peer's FIN
      this.ends.end(this.stream);
    });
  }

  destroy(error?: CleaveError): void {
    if (error) this.fail(error);
    else this.teardown();
  }

  frames(): AsyncIterableIterator<Frame> {
    return iterateFrames(this, () => this.failed, () => this.ended);
  }

  private onData(chunk: Buffer): void {
    let decoded;
    try {
      decoded = this.framing.decode(chunk);
    } catch (err) {
      // The peer learns why before the connection closes: a fatal error frame, then FIN.
      const e = err as CleaveError;
      this.ending = true;
      this.ends.end(this.stream, this.framing.encode({ type: FrameType.Error, flags: FLAG_FATAL, stream: 0, seq: 0, payload: encodeError({ code: e.code, message: e.message }) }));
      this.fail(e);
      return;
    }
    for (const e of decoded.dropped) this.emit('dropped', e);
    for (const f of decoded.frames) {
      if (this.ended) return;
      this.emit('frame', f);
    }
  }

  private fail(error: CleaveError): void {
    if (this.failed || this.ended) return;
    this.failed = error;
    if (this.listenerCount('error') > 0) this.emit('error', error);
    if (this.ending) setTimeout(() => this.teardown(), 2000).unref();
    else this.teardown();
  }

  private teardown(): void {
    this.ending = true;
    this.ends.destroy(this.stream);
  }

  private onClose(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('close');
  }
}

/** Frames of `conn` as an async iterator: ends once `ended()`, throws `failed()` when there is one. */
export async function* iterateFrames(conn: EventEmitter<ConnectionEvents>, failed: () => CleaveError | null, ended: () => boolean): AsyncIterableIterator<Frame> {
  const queue: Frame[] = [];
  let wake: (() => void) | null = null;
  const onFrame = (f: Frame) => {
    queue.push(f);
    wake?.();
  };
  const onEnd = () => wake?.();
  conn.on('frame', onFrame);
  conn.on('close', onEnd);
  try {
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      const failure = failed();
      if (failure) throw failure;
      if (ended()) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  } finally {
    conn.off('frame', onFrame);
    conn.off('close', onEnd);
  }
}

/** An OS error as a person reads it: the errno name and Node's text. */
export function describeError(err: NodeJS.ErrnoException): string {
  return err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message;
}
