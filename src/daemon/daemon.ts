// `cleave daemon`: a head (a model or plan run on inputs from a source, results and telemetry
// published), a tail (one segment served, as `cleave serve`), or both, for as long as the service
// manager keeps it. Reload (SIGHUP) builds the new generation beside the running one and swaps it
// in only once it is ready, so a bad config or plan leaves the old one running, and work in flight
// finishes on the generation that took it. Stop (SIGTERM) drains: no new inputs, in-flight work
// finished, telemetry flushed.
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { CleaveError } from '../errors';
import { SegmentServer } from '../pipeline/serve';
import { telemetrySourceOf } from '../telemetry/cli-options';
import { deviceName, type Telemetry } from '../telemetry/telemetry';
import { parseEndpoint } from '../transport/endpoint';
import { type DaemonConfig, type HeadConfig, loadDaemonConfig, type TailConfig } from './config';
import { type Engine, openEngine, splitInput } from './engine';
import { Notifier } from './notify';
import { outputsOf, RESULT_VERSION, type ResultDocument, ResultWriter } from './results';
import { DirectorySource } from './sources/directory';
import { Ledger } from './sources/ledger';
import { MqttSource } from './sources/mqtt';
import { SerialSource } from './sources/serial';
import type { InputItem, InputSource } from './sources/source';
import { DaemonSinks } from './telemetry';

interface DaemonEvents {
  /** A line for the journal: a failed input, a refused reload, a source problem. */
  log: [string];
}

/** One generation of the head: what a config's `head` section opened. */
interface Head {
  config: HeadConfig;
  engine: Engine;
  telemetry: Telemetry;
  results: ResultWriter;
  source: InputSource;
  inFlight: number;
  idle: (() => void)[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class Daemon extends EventEmitter<DaemonEvents> {
  private head: Head | undefined;
  private tail: SegmentServer | undefined;
  private inFlight = 0;
  private slotWaiters: (() => void)[] = [];
  /** Directory inputs taken and not settled, across generations (see DirectorySource). */
  private readonly claimed = new Set<string>();
  private readonly ledgers = new Map<string, Ledger>();
  /** Generations replaced by a reload and still finishing their inputs. */
  private readonly retiring = new Set<Promise<void>>();
  private counts = { done: 0, failed: 0 };
  /** Reloads and the stop run one after the other, in the order the signals came. */
  private operations: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private statusTimer: NodeJS.Timeout | undefined;
  private lastStatusAt = 0;
  readonly notifier: Notifier;

  private constructor(private config: DaemonConfig, private readonly sinks: DaemonSinks, notifier?: Notifier) {
    super();
    this.notifier = notifier ?? new Notifier((err) => this.emit('log', err.message));
  }

  /** Opens everything the config names and tells the service manager READY=1. */
  static async start(configFile: string, options: { notifier?: Notifier; onLog?: (line: string) => void } = {}): Promise<Daemon> {
    const config = await loadDaemonConfig(configFile);
    const sinks = await DaemonSinks.open(config.telemetry, config.spoolRoot);
    const daemon = new Daemon(config, sinks, options.notifier);
    if (options.onLog) daemon.on('log', options.onLog);
    try {
      if (config.tail) daemon.tail = await daemon.startTail(config.tail);
      if (config.head) {
        daemon.head = await daemon.openHead(config.head, config, undefined);
        await daemon.head.source.start((item) => daemon.take(item));
      }
    } catch (err) {
      await daemon.closeAll();
      throw err;
    }
    daemon.notifier.ready();
    daemon.notifier.status(daemon.statusLine());
    daemon.notifier.startWatchdog();
    return daemon;
  }

  /** What it serves and how far it got: the STATUS= line and the CLI's ready line. */
  statusLine(): string {
    const parts: string[] = [];
    if (this.head) {
      parts.push(`head ${path.basename(this.head.engine.description)} on ${this.head.source.description}: ` +
        `${this.counts.done} done, ${this.counts.failed} failed, ${this.inFlight} in flight`);
    }
    if (this.tail) parts.push(`tail segment ${this.tail.planSegment.index} on ${this.tail.address}: ${this.tail.stats().served} served`);
    return parts.join('; ');
  }

  /**
   * SIGHUP: RELOADING=1, the config read again and the new generation opened beside the old; on
   * success the new one takes the next inputs and the old one finishes its own before closing. A
   * bad config or plan is refused (logged, STATUS says so) and the old generation runs on. Either
   * way READY=1 follows. Resolves true when the new config took over.
   */
  reload(): Promise<boolean> {
    const run = this.operations.then(() => (this.stopping ? false : this.reloadNow()));
    this.operations = run.catch(() => undefined);
    return run;
  }

  /** SIGTERM/SIGINT: STOPPING=1, no new inputs, in-flight work finished, telemetry flushed. */
  stop(): Promise<void> {
    this.stopping ??= this.operations.then(async () => {
      this.notifier.stopping();
      clearTimeout(this.statusTimer);
      await this.closeAll();
    });
    return this.stopping;
  }

  private async reloadNow(): Promise<boolean> {
    this.notifier.reloading();
    let next: DaemonConfig;
    let newHead: Head | undefined;
    try {
      next = await loadDaemonConfig(this.config.file);
      if (DaemonSinks.keyOf(next.telemetry) !== this.sinks.key) {
        this.emit('log', `reload: telemetry targets, broker, CA or spool changed: they take effect at the next restart; the rest is reloaded`);
      }
      // Always a new engine: the plan or model file may have changed even where the config did not.
      if (next.head) newHead = await this.openHead(next.head, next, this.head);
    } catch (err) {
      this.emit('log', `reload refused, the running config stays: ${(err as Error).message}`);
      this.notifier.ready();
      this.notifier.status(`reload refused (${(err as Error).message.split('\n')[0]}); ${this.statusLine()}`);
      return false;
    }
    if (newHead) await this.swapHead(newHead);
    else if (!next.head && this.head) await this.retireHead(this.head, true);
    if (!next.head) this.head = undefined;
    if (!same(this.config.tail, next.tail)) await this.replaceTail(next.tail);
    this.config = next;
    this.notifier.ready();
    this.notifier.status(this.statusLine());
    return true;
  }

  /** The new head takes over: the old source stops (unless the new one is the same and is kept), the old generation drains in the background. */
  private async swapHead(next: Head): Promise<void> {
    const old = this.head;
    const keepSource = old !== undefined && old.source === next.source;
    if (old && !keepSource) await old.source.stop();
    this.head = next;
    if (!keepSource) {
      try {
        await next.source.start((item) => this.take(item));
      } catch (err) {
        this.emit('log', `reload: ${next.source.description}: ${(err as Error).message}; no inputs are taken until the next reload`);
      }
    }
    if (old) {
      // Tracked, so that a stop waits for it before closing the sinks its hub writes to.
      const retiring = this.retireHead(old, false).finally(() => this.retiring.delete(retiring));
      this.retiring.add(retiring);
    }
  }

  /**
   * Waits for a generation's in-flight inputs, then closes it. `last`: no generation follows (stop,
   * or a reload without a head), so its source and results go too; otherwise only what the current
   * head does not share.
   */
  private async retireHead(old: Head, last: boolean): Promise<void> {
    if (last) await old.source.stop();
    if (old.inFlight > 0) await new Promise<void>((resolve) => old.idle.push(resolve));
    await Promise.allSettled([
      old.engine.close(),
      old.telemetry.close(),
      last || this.head?.results !== old.results ? old.results.close() : undefined,
    ]);
  }

  /**
   * Opens a head generation. Parts whose config did not change are reused from `previous` (the
   * source, so a serial port or subscription is not reopened, and the results writer); the engine
   * and its telemetry hub are always new, so the plan file is read again.
   */
  private async openHead(config: HeadConfig, whole: DaemonConfig, previous: Head | undefined): Promise<Head> {
    const engine = await openEngine(config);
    let telemetry: Telemetry | undefined;
    let results: ResultWriter | undefined;
    try {
      telemetry = this.sinks.telemetryFor(await telemetrySourceOf(config.model), whole.telemetry);
      results = previous && same(previous.config.results, config.results) ? previous.results : await ResultWriter.open(config.results);
      const source = previous && same(previous.config.source, config.source) ? previous.source : await this.sourceFor(config, whole);
      return { config, engine, telemetry, results, source, inFlight: 0, idle: [] };
    } catch (err) {
      // A refused reload leaves nothing of the new generation behind (a hub's timer, a client).
      await Promise.allSettled([engine.close(), telemetry?.close(), results === previous?.results ? undefined : results?.close()]);
      throw err;
    }
  }

  private async sourceFor(config: HeadConfig, whole: DaemonConfig): Promise<InputSource> {
    const log = (line: string) => this.emit('log', line);
    const s = config.source;
    if ('directory' in s) {
      let ledger: Ledger | null = null;
      if (s.directory.done === undefined) {
        const file = path.join(whole.stateDir, 'processed.txt');
        ledger = this.ledgers.get(file) ?? await Ledger.open(file);
        this.ledgers.set(file, ledger);
      }
      return new DirectorySource(s.directory, ledger, this.claimed, log);
    }
    if ('serial' in s) return new SerialSource(s.serial, log);
    return new MqttSource(s.mqtt, log);
  }

  /** A source's hand-off: waits for room under the in-flight limit, then starts the input on the current head. */
  private async take(item: InputItem): Promise<void> {
    while (this.inFlight >= (this.head?.config.maxInFlight ?? 1)) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    const head = this.head;
    if (!head) return; // the head was removed by a reload while this input waited
    this.inFlight++;
    head.inFlight++;
    void this.process(head, item).finally(() => {
      this.inFlight--;
      if (--head.inFlight === 0) for (const w of head.idle.splice(0)) w();
      this.slotWaiters.shift()?.();
      this.statusSoon();
    });
  }

  /** Runs one input: result written, telemetry recorded (each stage and end-to-end), then the source told it is done. */
  private async process(head: Head, item: InputItem): Promise<void> {
    const started = performance.now();
    const doc: ResultDocument = { v: RESULT_VERSION, input: item.id, model: path.basename(head.config.model), device: deviceName(), latencyUs: 0, wallMs: 0 };
    let bytes = 0;
    try {
      const result = await head.engine.run(splitInput(item.bytes, head.engine.inputs, item.id));
      for (const stage of result.stages) head.telemetry.record(stage);
      doc.outputs = outputsOf(result);
      bytes = result.outputs.reduce((n, o) => n + o.data.byteLength, 0);
    } catch (err) {
      const e = err instanceof CleaveError ? err : new CleaveError('INTERNAL', (err as Error).message);
      doc.error = { code: e.code, message: e.message };
      this.emit('log', e.message.startsWith(item.id) ? e.message : `${item.id}: ${e.message}`);
    }
    doc.latencyUs = (performance.now() - started) * 1000;
    doc.wallMs = Date.now();
    try {
      await head.results.write(doc);
    } catch (err) {
      // Not settled: the input stays where it is and is taken again (a directory's next scan).
      this.emit('log', `${(err as Error).message}; ${item.id} will be taken again`);
      this.counts.failed++;
      head.telemetry.record({ stage: 'end-to-end', latencyUs: doc.latencyUs, bytes, outcome: 'error' });
      item.retry();
      return;
    }
    head.telemetry.record({ stage: 'end-to-end', latencyUs: doc.latencyUs, bytes, outcome: doc.error ? 'error' : 'ok' });
    if (doc.error) this.counts.failed++;
    else this.counts.done++;
    await item.settle().catch((err: Error) => this.emit('log', `${item.id}: ${err.message}`));
  }

  private async startTail(config: TailConfig): Promise<SegmentServer> {
    const where = parseEndpoint(config.listen, 'tail.listen');
    if (where.kind === 'mqtt') throw new CleaveError('BAD_ARGUMENT', `tail.listen: ${config.listen}: a tail listens on HOST:PORT or serial:PATH[@BAUD]`);
    const server = await SegmentServer.start({
      planPath: config.plan,
      segment: config.segment,
      ...(where.kind === 'tcp' ? { listen: { host: where.host, port: where.port } } : { serial: { path: where.path, baudRate: where.baudRate } }),
      token: config.token,
      maxInFlight: config.maxInFlight,
      session: { threads: config.threads },
    });
    server.on('log', (line) => this.emit('log', `tail: ${line}`));
    return server;
  }

  /**
   * A changed tail: the old server finishes its requests and says goodbye (its peers reconnect and
   * retry), then the new one listens. If the new one cannot start, the old config is served again.
   */
  private async replaceTail(next: TailConfig | undefined): Promise<void> {
    const old = this.tail;
    this.tail = undefined;
    await old?.close();
    if (!next) return;
    try {
      this.tail = await this.startTail(next);
    } catch (err) {
      this.emit('log', `reload: tail: ${(err as Error).message}; serving the previous tail config again`);
      if (this.config.tail) this.tail = await this.startTail(this.config.tail).catch((e: Error) => {
        this.emit('log', `tail: cannot serve the previous config either: ${e.message}`);
        return undefined;
      });
    }
  }

  /** STATUS= at most once a second while inputs complete. */
  private statusSoon(): void {
    if (this.statusTimer || this.stopping) return;
    const wait = Math.max(0, this.lastStatusAt + 1000 - Date.now());
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.lastStatusAt = Date.now();
      this.notifier.status(this.statusLine());
    }, wait);
    this.statusTimer.unref();
  }

  private async closeAll(): Promise<void> {
    const head = this.head;
    if (head) await this.retireHead(head, true);
    await Promise.all(this.retiring);
    await this.tail?.close();
    try {
      await this.sinks.close();
    } catch (err) {
      this.emit('log', `telemetry: ${(err as Error).message}`);
    }
  }
}
