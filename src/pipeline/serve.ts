// `cleave serve`: one segment of a plan behind a listener (TCP, TLS or a serial line). A peer says
// hello (protocol version, token, the Program hash it expects) and then sends tensor requests; each is
// decoded, run on the segment's Session and answered with the outputs in the request's codec.
// At most `maxInFlight` requests are worked on at once; beyond that the server stops reading (the
// peer's sends back up in TCP's buffers) instead of queueing without bound. Replies are kept by
// (stream, request id) for a while, so a request retried after a reconnect is answered, not recomputed.
// With candidate plans (other cuts of the same model, for a client that re-plans while running), the
// server holds segment K of each; a peer's hello picks one by its Program hash, for that connection.
import { EventEmitter } from 'node:events';
import { CleaveError } from '../errors';
import { decode, encode, type CodecName, codecInfo, type WireDType } from '../codec';
import { readPlan, readSegmentProgram, type PlanSegment } from '../segments/plan';
import { Session, type SessionOptions, type TensorData, type TensorSpec } from '../session';
import type { Connection } from '../transport/connection';
import type { Listener } from '../transport/listener';
import { listenMqtt, type MqttAddress, type MqttListenOptions } from '../transport/mqtt';
import { listenSerial, type SerialAddress } from '../transport/serial';
import { listenTcp, type TcpAddress, type TlsServerOptions } from '../transport/tcp';
import { DEFAULT_MAX_PAYLOAD, FLAG_FATAL, type Frame, FrameType, WIRE_VERSION } from '../wire/frame';
import { decodeHello, decodeTensors, encodeError, encodeHelloAck, encodeReply, programSha256, tokensEqual, type WireError } from '../wire/messages';

export interface ServeOptions {
  planPath: string;
  segment: number;
  /** Other plans (candidate cuts) whose segment `segment` is served too; a hello picks one by hash. */
  candidates?: string[];
  /** Where to listen for TCP (or TLS, with `tls`); port 0 picks a free port. */
  listen?: TcpAddress;
  /** Or a serial line to serve on. */
  serial?: SerialAddress;
  /** Or join the worker pool of this segment behind an MQTT broker (src/transport/mqtt.ts). */
  mqtt?: { address: MqttAddress } & Omit<MqttListenOptions, 'maxPayload'>;
  /** Peers must present this token in their hello. */
  token?: string;
  tls?: TlsServerOptions;
  /** Requests worked on at once (default 4). */
  maxInFlight?: number;
  maxPayload?: number;
  /** Replies remembered for retried requests (default 256). */
  replyCache?: number;
  /** A peer that has not said hello within this long is dropped (default 10 s). */
  helloTimeoutMs?: number;
  session?: SessionOptions;
  /**
   * Runs the segment elsewhere (an MCU behind its serial line: src/lab/mcu-keeper.ts) instead of on
   * this host's Session, which then only gives the tensors' specs. Called one request at a time.
   */
  runSegment?: (inputs: TensorData[]) => Promise<{ outputs: TensorData[]; micros: number }>;
}

interface ServerEvents {
  /** Something worth a line on stderr: a refused peer, a dropped frame. */
  log: [string];
}

interface Answer {
  type: FrameType.Reply | FrameType.Error;
  payload: Buffer;
}

interface Waiting {
  conn: Connection;
  frame: Frame;
  served: Served;
}

/** One Program the server holds: segment K of the plan, or of a candidate plan. */
interface Served {
  planPath: string;
  segment: PlanSegment;
  hash: Buffer;
  session: Session;
}

async function loadServed(planPath: string, segment: number, session: SessionOptions | undefined): Promise<Served> {
  const plan = await readPlan(planPath);
  const seg = plan.segments[segment];
  if (!Number.isInteger(segment) || !seg) {
    throw new CleaveError('BAD_ARGUMENT', `${planPath}: no segment ${segment} (the plan has segments 0..${plan.segments.length - 1})`);
  }
  const { file, bytes } = await readSegmentProgram(planPath, seg);
  return { planPath, segment: seg, hash: programSha256(bytes), session: Session.fromBytes(bytes, file, session) };
}

export class SegmentServer extends EventEmitter<ServerEvents> {
  private readonly answers = new Map<string, Promise<Answer>>();
  private readonly connections = new Set<Connection>();
  private readonly waiting: Waiting[] = [];
  /** Connections paused because the server is at its in-flight limit. */
  private readonly paused = new Set<Connection>();
  private inFlight = 0;
  private peakInFlight = 0;
  private peakWaiting = 0;
  private closing: Promise<number> | null = null;
  private idle: (() => void) | null = null;
  private listener!: Listener;
  private served = 0;

  /** SHA-256 of the served Program (the plan's own), hex. */
  readonly programSha256: string;
  readonly planSegment: PlanSegment;
  private readonly session: Session;

  private constructor(
    private readonly options: ServeOptions,
    /** The plan's segment first, then the candidates'. */
    private readonly programs: Served[],
  ) {
    super();
    this.planSegment = programs[0]!.segment;
    this.programSha256 = programs[0]!.hash.toString('hex');
    this.session = programs[0]!.session;
  }

  static async start(options: ServeOptions): Promise<SegmentServer> {
    if ([options.listen, options.serial, options.mqtt].filter(Boolean).length !== 1) throw new CleaveError('BAD_ARGUMENT', 'serve needs exactly one of a listen address, a serial port or an MQTT broker');
    const maxInFlight = options.maxInFlight ?? 4;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new CleaveError('BAD_ARGUMENT', `max in flight must be a positive integer, got ${maxInFlight}`);
    const programs: Served[] = [];
    const dispose = () => programs.forEach((p) => p.session.dispose());
    const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    let server: SegmentServer;
    try {
      for (const planPath of [options.planPath, ...(options.candidates ?? [])]) programs.push(await loadServed(planPath, options.segment, options.session));
      server = new SegmentServer({ ...options, maxInFlight }, programs);
      if (options.mqtt) server.listener = await listenMqtt({ ...options.mqtt.address, segment: options.segment }, { ...options.mqtt, maxPayload });
      else if (options.serial) server.listener = await listenSerial(options.serial, { maxPayload });
      else server.listener = await listenTcp(options.listen!, { maxPayload, tls: options.tls });
    } catch (err) {
      dispose();
      throw err;
    }
    server.listener.on('connection', (conn) => server.accept(conn));
    server.listener.on('refused', (err) => server.emit('log', `refused: ${err.message}`));
    return server;
  }

  /** "tcp://127.0.0.1:7000", "tls://…", "serial:/dev/ttyUSB0@115200". */
  get address(): string {
    return this.listener.address;
  }

  /** The TCP port listened on (useful with port 0); undefined on a serial line. */
  get port(): number | undefined {
    return (this.listener as { port?: number }).port;
  }

  get inputs(): TensorSpec[] {
    return this.session.inputs;
  }

  /**
   * Requests answered, and the most ever worked on at once (never above the limit) or received but
   * waiting (bounded by what one read of the socket held when the limit was reached).
   */
  stats(): { served: number; peakInFlight: number; peakWaiting: number } {
    return { served: this.served, peakInFlight: this.peakInFlight, peakWaiting: this.peakWaiting };
  }

  /** The one line `cleave serve` prints on start. */
  statusLine(): string {
    const seg = this.planSegment;
    const io = (ts: TensorSpec[]) => ts.map((t) => `${t.dtype}[${t.shape.join('x')}]`).join(', ');
    const auth = [this.options.mqtt ? 'the broker\'s authentication' : null, this.options.tls ? (this.options.tls.ca ? 'TLS with client certificates' : 'TLS') : null, this.options.token ? 'token' : null].filter(Boolean).join(' + ') || 'no authentication';
    const candidates = this.programs.slice(1).map((p) => `; candidate ${p.planPath} ops ${p.segment.ops[0]}..${p.segment.ops[1] - 1} sha256 ${p.hash.toString('hex')}`).join('');
    return `serving segment ${seg.index} (ops ${seg.ops[0]}..${seg.ops[1] - 1}, ${io(this.session.inputs)} -> ${io(this.session.outputs)}) of ${this.options.planPath} ` +
      `on ${this.address}, Program ${seg.program} sha256 ${this.programSha256}, ${auth}, up to ${this.options.maxInFlight} requests in flight${candidates}`;
  }

  /**
   * Graceful shutdown: stops accepting and reading, finishes every request already received, says
   * goodbye and closes. Resolves with the number of requests served in all.
   */
  close(): Promise<number> {
    this.closing ??= (async () => {
      const listenerClosed = this.listener.close();
      for (const conn of this.connections) conn.pause();
      if (this.inFlight > 0 || this.waiting.length > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      await Promise.all([...this.connections].map(async (conn) => {
        this.trySend(conn, { type: FrameType.Goodbye, flags: 0, stream: 0, seq: 0, payload: Buffer.from('server shutting down') });
        await conn.close();
      }));
      await listenerClosed;
      for (const p of this.programs) p.session.dispose();
      return this.served;
    })();
    return this.closing;
  }

  private accept(conn: Connection): void {
    if (this.closing) {
      conn.destroy();
      return;
    }
    this.connections.add(conn);
    let greeted: Served | null = null;
    // A line (serial) waits for whoever comes; a socket that never says hello is closed.
    const helloTimer = conn.persistent ? undefined : setTimeout(() => {
      if (!greeted) this.refuse(conn, 0, { code: 'WIRE_HELLO_TIMEOUT', message: `${this.address}: no hello from ${conn.peer} within ${this.options.helloTimeoutMs ?? 10000} ms` });
    }, this.options.helloTimeoutMs ?? 10000);
    conn.on('close', () => {
      clearTimeout(helloTimer);
      this.connections.delete(conn);
      this.paused.delete(conn);
    });
    conn.on('error', (err) => this.emit('log', `${err.message}`));
    conn.on('dropped', (err) => this.emit('log', `dropped a frame: ${err.message}`));
    conn.on('drain', () => this.resumeIfFree(conn));
    conn.on('frame', (frame) => {
      // On a line a new peer (or the same one, restarted) may say hello again at any time.
      if (!greeted || (conn.persistent && frame.type === FrameType.Hello)) {
        if (frame.type !== FrameType.Hello) {
          this.refuse(conn, frame.stream, { code: 'WIRE_EXPECTED_HELLO', message: `${this.address}: ${conn.peer} sent a ${FrameType[frame.type]} frame before its hello` });
          return;
        }
        greeted = this.greet(conn, frame);
        if (greeted) clearTimeout(helloTimer);
        return;
      }
      switch (frame.type) {
        case FrameType.Request:
          if (this.closing) return; // answered after the reconnect it will make once we say goodbye
          if (this.inFlight >= this.options.maxInFlight!) {
            this.waiting.push({ conn, frame, served: greeted });
            this.peakWaiting = Math.max(this.peakWaiting, this.waiting.length);
            this.pause(conn);
          } else {
            this.start(conn, frame, greeted);
          }
          return;
        case FrameType.Ping:
          this.trySend(conn, { ...frame, type: FrameType.Pong });
          return;
        case FrameType.Goodbye:
          if (conn.persistent) greeted = null; // the line stays, for the next peer's hello
          else void conn.close();
          return;
        default:
          this.refuse(conn, frame.stream, { code: 'WIRE_UNEXPECTED_FRAME', message: `${this.address}: ${conn.peer} sent an unexpected ${FrameType[frame.type]} frame` });
      }
    });
  }

  /** Checks a hello; answers hello-ack (and returns the Program it asked for) or refuses (and closes) with an error that says why. */
  private greet(conn: Connection, frame: Frame): Served | null {
    let hello;
    try {
      hello = decodeHello(frame.payload, conn.peer);
    } catch (err) {
      this.refuse(conn, frame.stream, { code: (err as CleaveError).code, message: (err as Error).message });
      return null;
    }
    const here = `${this.address} (segment ${this.planSegment.index})`;
    if (hello.version !== WIRE_VERSION) {
      this.refuse(conn, frame.stream, { code: 'WIRE_VERSION', message: `${here}: speaks wire protocol version ${WIRE_VERSION}, ${conn.peer} speaks ${hello.version}` });
      return null;
    }
    if (this.options.token !== undefined && !tokensEqual(hello.token, this.options.token)) {
      this.refuse(conn, frame.stream, { code: 'WIRE_AUTH', message: `${here}: token refused for ${conn.peer}` });
      this.emit('log', `refused ${conn.peer}: wrong token`);
      return null;
    }
    const served = this.programs.find((p) => p.segment.index === hello.segment && p.hash.equals(hello.programSha256));
    if (!served) {
      this.refuse(conn, frame.stream, {
        code: 'WIRE_PROGRAM_MISMATCH',
        message: `${here}: serves segment ${this.planSegment.index} as Program sha256 ${this.programs.map((p) => p.hash.toString('hex')).join(' or ')}, ` +
          `${conn.peer} expects segment ${hello.segment} as Program sha256 ${hello.programSha256.toString('hex')}`,
      });
      this.emit('log', `refused ${conn.peer}: Program mismatch`);
      return null;
    }
    const ack = encodeHelloAck({
      version: WIRE_VERSION, segment: served.segment.index, programSha256: served.hash,
      maxPayload: this.options.maxPayload ?? DEFAULT_MAX_PAYLOAD, maxInFlight: this.options.maxInFlight!,
    });
    this.trySend(conn, { type: FrameType.HelloAck, flags: 0, stream: frame.stream, seq: 0, payload: ack });
    return served;
  }

  /** Sends a final error; closes the connection unless it is a line that outlives its peers. */
  private refuse(conn: Connection, stream: number, error: WireError): void {
    this.trySend(conn, { type: FrameType.Error, flags: FLAG_FATAL, stream, seq: 0, payload: encodeError(error) });
    if (!conn.persistent) void conn.close();
  }

  private trySend(conn: Connection, frame: Frame): void {
    if (conn.closed) return;
    if (!conn.send(frame)) this.pause(conn);
  }

  private pause(conn: Connection): void {
    this.paused.add(conn);
    conn.pause();
  }

  private resumeIfFree(conn: Connection): void {
    if (this.closing || this.waiting.length > 0 || !this.paused.has(conn)) return;
    this.paused.delete(conn);
    conn.resume();
  }

  private start(conn: Connection, frame: Frame, served: Served): void {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    const key = `${frame.stream}:${frame.seq}`;
    let answer = this.answers.get(key);
    if (!answer) {
      answer = this.compute(frame, conn.peer, served);
      this.remember(key, answer);
    }
    void answer.then((a) => {
      this.served++;
      this.trySend(conn, { type: a.type, flags: 0, stream: frame.stream, seq: frame.seq, payload: a.payload });
    }).finally(() => this.finish());
  }

  private finish(): void {
    this.inFlight--;
    const next = this.waiting.shift();
    if (next) {
      this.start(next.conn, next.frame, next.served);
    } else {
      for (const conn of [...this.paused]) this.resumeIfFree(conn);
    }
    if (this.inFlight === 0 && this.waiting.length === 0) this.idle?.();
  }

  /** Keeps the latest answers, dropping the oldest beyond the cache size. */
  private remember(key: string, answer: Promise<Answer>): void {
    this.answers.set(key, answer);
    const limit = this.options.replyCache ?? 256;
    for (const oldest of this.answers.keys()) {
      if (this.answers.size <= limit) break;
      this.answers.delete(oldest);
    }
  }

  private runQueue: Promise<unknown> = Promise.resolve();

  /** One request at a time through `runSegment`, however many are in flight. */
  private runElsewhere(runSegment: NonNullable<ServeOptions['runSegment']>, inputs: TensorData[]): Promise<{ outputs: TensorData[]; micros: number }> {
    const run = this.runQueue.then(() => runSegment(inputs));
    this.runQueue = run.catch(() => undefined);
    return run;
  }

  /** Decodes, runs, encodes; a bad request becomes an error frame about that request, never a crash. */
  private async compute(frame: Frame, peer: string, served: Served): Promise<Answer> {
    const session = served.session;
    try {
      const wires = decodeTensors(frame.payload, peer);
      const specs = session.inputs;
      if (wires.length !== specs.length) {
        throw new CleaveError('BAD_INPUT', `segment ${served.segment.index} takes ${specs.length} tensor(s), request #${frame.seq} from ${peer} carries ${wires.length}`);
      }
      const inputs = wires.map((w, i) => decode(w, { maxBytes: specs[i]!.byteLength, expect: { dtype: specs[i]!.dtype as WireDType, shape: specs[i]!.shape } }));
      const data = inputs.map((t) => t.data);
      const run = this.options.runSegment ? await this.runElsewhere(this.options.runSegment, data) : await session.runDetailed(data);
      const requested = inputs[0]?.codec.name ?? 'raw';
      const tensors = run.outputs.map((data, i) => {
        const spec = session.outputs[i]!;
        const dtype = spec.dtype as WireDType;
        // The reply uses the request's codec where that codec takes the output's dtype.
        const codec: CodecName = codecInfo(requested).dtypes.includes(dtype) ? requested : 'lossless';
        return encode(codec, { data, dtype, shape: spec.shape, scale: spec.scale, zeroPoint: spec.zeroPoint });
      });
      return { type: FrameType.Reply, payload: encodeReply({ computeMicros: run.micros, tensors }) };
    } catch (err) {
      const e = err instanceof CleaveError ? err : new CleaveError('INTERNAL', (err as Error).message);
      return { type: FrameType.Error, payload: encodeError({ code: e.code, message: `${this.address}: request #${frame.seq}: ${e.message}` }) };
    }
  }
}
