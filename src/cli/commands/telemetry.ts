// `cleave telemetry tail --mqtt URL | --serial PATH[@BAUD]`: what devices report, as a live table.
// `cleave telemetry broker`: the embedded MQTT broker (aedes) for a single box.
import * as readline from 'node:readline';
import type { Command } from 'commander';
import { SerialLink } from '../../../hal/serial';
import { CleaveError } from '../../errors';
import {
  connectClient, parseLine, parseTelemetryMessage, parseTelemetryTarget, startEmbeddedBroker, TOPIC_KINDS,
  type SerialLine, type TelemetryMessage,
} from '../../telemetry';
import { parseInteger } from '../flags';

interface TailOptions {
  mqtt?: string;
  serial?: string;
  fleet?: string;
  device?: string;
  ca?: string;
  count?: string;
  json?: boolean;
}

/** A row of what arrived: a record, a summary, or a status change. */
type Row = { device: string; segment: number | ''; stage: string; latency: string; energy: string; source: string; bytes: number | ''; what: string };

const COLUMNS: [keyof Row, string, number][] = [
  ['device', 'device', 16], ['segment', 'seg', 3], ['stage', 'stage', 10], ['latency', 'latency µs', 22],
  ['energy', 'energy µJ', 10], ['source', 'energy source', 16], ['bytes', 'bytes', 7], ['what', 'outcome / summary', 0],
];

function formatRow(cells: Record<keyof Row, string | number>): string {
  return COLUMNS.map(([key, , width]) => {
    const text = String(cells[key]);
    return typeof cells[key] === 'number' ? text.padStart(width) : text.padEnd(width);
  }).join('  ').trimEnd();
}

const us = (v: number | null) => (v === null ? '-' : v.toFixed(1));

function rowOf(m: TelemetryMessage | SerialLine): Row {
  if (m.kind === 'record') {
    return { device: m.device, segment: m.segment, stage: m.stage, latency: us(m.latencyUs), energy: m.energyUj === null ? '-' : m.energyUj.toFixed(1), source: m.energySource ?? '-', bytes: m.bytes, what: m.outcome };
  }
  return {
    device: m.device, segment: m.segment, stage: m.stage, latency: `p50 ${us(m.p50Us)} p99 ${us(m.p99Us)}`,
    energy: m.meanEnergyUj === null ? '-' : m.meanEnergyUj.toFixed(1), source: 'mean', bytes: '',
    what: `summary of ${m.count}${m.dropped > 0 ? `, ${m.dropped} dropped by the spool` : ''}`,
  };
}

class TailPrinter {
  private seen = 0;
  constructor(private readonly json: boolean, private readonly limit: number, private readonly done: () => void) {}

  /** The table header, printed once subscribed: what arrives from then on is shown. */
  ready(): void {
    if (!this.json) process.stdout.write(`${formatRow(Object.fromEntries(COLUMNS.map(([k, title]) => [k, title])) as Record<keyof Row, string>)}\n`);
  }

  message(m: TelemetryMessage | SerialLine): void {
    process.stdout.write(this.json ? `${JSON.stringify(m)}\n` : `${formatRow(rowOf(m))}\n`);
    if (m.kind === 'record' && ++this.seen >= this.limit) this.done();
  }

  status(device: string, status: string): void {
    if (this.json) process.stdout.write(`${JSON.stringify({ kind: 'status', device, status })}\n`);
    else process.stdout.write(`${formatRow({ device, segment: '', stage: '', latency: '', energy: '', source: '', bytes: '', what: status })}\n`);
  }

  problem(err: unknown): void {
    process.stderr.write(`cleave: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

async function tailMqtt(url: string, opts: TailOptions, printer: TailPrinter, stopped: Promise<void>): Promise<void> {
  const target = parseTelemetryTarget(url);
  if (target.kind !== 'mqtt') throw new CleaveError('BAD_ARGUMENT', `--mqtt must be an mqtt:// or mqtts:// URL, got "${url}"`);
  const fleet = opts.fleet ?? (new URL(url).pathname.replace(/^\/+|\/+$/g, '') || '+');
  const device = opts.device ?? '+';
  const { client, connected } = await connectClient({ url: target.url, username: target.username, password: target.password, tls: opts.ca ? { caFile: opts.ca } : undefined });
  if (!connected) {
    client.end(true);
    throw new CleaveError('BROKER_UNREACHABLE', `MQTT broker ${target.url}: no connection within 3 s`);
  }
  // The broker going away is MQTT.js's to retry; say so rather than die on an unhandled 'error'.
  client.on('error', (err) => printer.problem(new CleaveError('BROKER_UNREACHABLE', `MQTT broker ${target.url}: ${err.message}`)));
  client.on('message', (topic, payload) => {
    const level = topic.split('/');
    const kind = level[4];
    if (kind === 'status') printer.status(level[3] ?? '?', payload.toString());
    else if (kind === 'telemetry' || kind === 'summary') {
      try {
        printer.message(parseTelemetryMessage(payload.toString(), `topic ${topic}`));
      } catch (err) {
        printer.problem(err);
      }
    }
  });
  await client.subscribeAsync(TOPIC_KINDS.filter((k) => k !== 'cmd').map((k) => `cleave/v1/${fleet}/${device}/${k}`), { qos: 1 });
  printer.ready();
  await stopped;
  await client.endAsync();
}

async function tailSerial(spec: string, printer: TailPrinter, stopped: Promise<void>): Promise<void> {
  const target = parseTelemetryTarget(`serial:${spec}`);
  if (target.kind !== 'serial') throw new CleaveError('BAD_ARGUMENT', `--serial: expected PATH[@BAUD], got "${spec}"`);
  const link = await SerialLink.open({ path: target.path, baudRate: target.baud });
  const lines = readline.createInterface({ input: link.port });
  lines.on('line', (line) => {
    try {
      const m = parseLine(line, target.path);
      if (m) printer.message(m);
    } catch (err) {
      printer.problem(err);
    }
  });
  printer.ready();
  await stopped;
  lines.close();
  await link.close();
}

/** Resolves on SIGINT/SIGTERM, or when `stop` is called. */
function untilStopped(): { stopped: Promise<void>; stop: () => void } {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { stopped, stop };
}

export function register(program: Command): void {
  const telemetry = program.command('telemetry').description('watch the latency and energy telemetry devices publish');
  telemetry
    .command('tail')
    .description('print telemetry records and summaries as they arrive, as a live table')
    .option('--mqtt <url>', 'broker to subscribe to: mqtt://[USER:PASS@]HOST:PORT[/fleet] (mqtts:// for TLS)')
    .option('--serial <path>', 'serial port a board writes telemetry lines to: PATH[@BAUD]')
    .option('--fleet <name>', 'only this fleet (default: the URL path, else all)')
    .option('--device <name>', 'only this device (default: all)')
    .option('--ca <pem>', 'CA certificate of an mqtts:// broker')
    .option('-n, --count <n>', 'exit after N records')
    .option('--json', 'one JSON document per line instead of the table')
    .action(async (opts: TailOptions) => {
      if ((opts.mqtt === undefined) === (opts.serial === undefined)) throw new CleaveError('BAD_ARGUMENT', 'telemetry tail: give exactly one of --mqtt URL and --serial PATH');
      const limit = opts.count === undefined ? Infinity : parseInteger('--count', opts.count, { min: 1 });
      const { stopped, stop } = untilStopped();
      const printer = new TailPrinter(opts.json === true, limit, stop);
      if (opts.mqtt !== undefined) await tailMqtt(opts.mqtt, opts, printer, stopped);
      else await tailSerial(opts.serial!, printer, stopped);
    });
  telemetry
    .command('broker')
    .description('run the embedded MQTT broker (aedes) until SIGINT/SIGTERM: the default broker for a single box')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on', '1883')
    .option('--username <name>', 'require this username (with --password)')
    .option('--password <secret>', 'the password of --username')
    .action(async (opts: { host: string; port: string; username?: string; password?: string }) => {
      const port = parseInteger('--port', opts.port, { min: 0, max: 65535 });
      if ((opts.username === undefined) !== (opts.password === undefined)) throw new CleaveError('BAD_ARGUMENT', '--username and --password go together');
      const broker = await startEmbeddedBroker({ host: opts.host, port, username: opts.username, password: opts.password });
      process.stdout.write(`embedded MQTT broker listening on mqtt://${opts.host}:${broker.port}\n`);
      const { stopped } = untilStopped();
      await stopped;
      await broker.close();
    });
}
