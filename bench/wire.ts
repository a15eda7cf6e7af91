// The wire protocol's costs on this machine (issue 10's targets), run by `npm run bench` (bench/run.ts,
// the `wire` section of its JSON) or alone: `node dist/bench/wire.js [--quick]` prints the JSON.
//  1. Round trip of a 10 KB int8 tensor frame over loopback TCP with no compute: encode (raw codec),
//     frame, send, receive, decode on an echo peer, and the same back; p50/p90/p99 of sequential trips,
//     in several rounds (the machine is shared: the range over rounds is the figure to quote).
//  2. person_detect cut in the middle (9,216 bytes cross), the tail served on loopback: throughput at
//     window 1 and 4.
//  3. The same over a tbf-shaped 100 Mbit/s veth link to another network namespace with 5 ms each way
//     (the fault proxy's delay): window 4 against window 1 (target at least 1.8x). Needs root and
//     iproute2; skipped with the reason otherwise.
//  4. Serial at 115200 baud: ptys do not pace at a baud rate, so a relay between two socat pty pairs
//     forwards at exactly baud/10 bytes per second (8N1), each way, with a token bucket one UART FIFO
//     (16 bytes) deep; a stream of tensor requests to `cleave serve --serial` (the same tail, in this
//     process): payload bytes (the tensors) per second against the line's byte rate (target 90%).
//     Needs socat; skipped with the reason otherwise.
// The shaped link and the proxy are the test harness's (test/lib), so bench and tests measure the same links.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SerialLink } from '../hal/serial';
import { decode, encode } from '../src/codec';
import { readModelFile } from '../src/model/reader';
import { pipeline } from '../src/pipeline/runner';
import { SegmentServer } from '../src/pipeline/serve';
import { writePlan } from '../src/segments/plan';
import { connectTcp, listenTcp } from '../src/transport/tcp';
import { type Frame, FrameType } from '../src/wire/frame';
import { decodeTensors, encodeTensors } from '../src/wire/messages';
import { packageRoot } from '../src/paths';
import { percentile } from '../src/stats';
import { faultProxy } from '../test/lib/fault-proxy';
import { canShape, shapedLink } from '../test/lib/netns';
import { serveChild } from '../test/lib/pipeline';

export interface Percentiles {
  p50Us: number;
  p90Us: number;
  p99Us: number;
  /** CPU time of this process (both ends, every thread) per trip: what load on a shared machine inflates least. */
  cpuUsPerTrip: number;
}

export interface WireBenchResult {
  loadAverage: number[];
  roundTrip10k: { rounds: Percentiles[]; p50UsRange: [number, number]; p90UsRange: [number, number]; cpuUsPerTripRange: [number, number]; tripsPerRound: number; targetP50Us: number };
  loopback: { window: number; perSecond: number }[];
  shaped: { skipped: string } | { link: string; window1PerSecond: number; window4PerSecond: number; ratio: number; target: number };
  serial: { skipped: string } | { baud: number; lineBytesPerSecond: number; requests: number; payloadBytes: number; seconds: number; payloadBytesPerSecond: number; shareOfLine: number; target: number };
}

const round1 = (v: number) => Math.round(v * 10) / 10;

async function roundTrip10k(trips: number): Promise<Percentiles> {
  const shape = [1, 10, 32, 32];
  const tensor = { data: new Int8Array(10 * 1024).map((_, i) => (i * 37) & 0x7f), dtype: 'int8' as const, shape, scale: 0.05, zeroPoint: -3 };
  const listener = await listenTcp({ host: '127.0.0.1', port: 0 }, { maxPayload: 1 << 20 });
  listener.on('connection', (conn) => conn.on('frame', (f) => {
    const t = decode(decodeTensors(f.payload, conn.peer)[0]!);
    const back = encode('raw', { data: t.data, dtype: t.dtype, shape: t.shape, scale: t.scale, zeroPoint: t.zeroPoint });
    conn.send({ type: FrameType.Reply, flags: 0, stream: f.stream, seq: f.seq, payload: encodeTensors([back]) });
  }));
  const conn = await connectTcp({ host: '127.0.0.1', port: listener.port }, { maxPayload: 1 << 20 });
  const times: number[] = [];
  const warmup = Math.min(500, trips >> 2);
  let cpu = process.cpuUsage();
  for (let seq = 1; seq <= trips + warmup; seq++) {
    if (seq === warmup + 1) cpu = process.cpuUsage();
    const t0 = performance.now();
    const reply = new Promise<Frame>((resolve) => conn.once('frame', resolve));
    conn.send({ type: FrameType.Request, flags: 0, stream: 1, seq, payload: encodeTensors([encode('raw', tensor)]) });
    const f = await reply;
    decode(decodeTensors(f.payload, conn.peer)[0]!);
    if (seq > warmup) times.push((performance.now() - t0) * 1000);
  }
  const used = process.cpuUsage(cpu);
  await conn.close();
  await listener.close();
  times.sort((a, b) => a - b);
  return { p50Us: round1(percentile(times, 0.5)), p90Us: round1(percentile(times, 0.9)), p99Us: round1(percentile(times, 0.99)), cpuUsPerTrip: round1((used.user + used.system) / trips) };
}

const personDetect = path.resolve(packageRoot, 'models', 'tflm_person_detect');

async function splitPlan(dir: string): Promise<{ plan: string; input: Int8Array }> {
  await writePlan(readModelFile(path.join(personDetect, 'model.tflite')), [10], dir);
  return { plan: path.join(dir, 'plan.json'), input: new Int8Array(fs.readFileSync(path.join(personDetect, 'real_person', 't88.bin'))) };
}

/** Inferences per second through a pipeline at `window`, after a warm-up. */
async function throughput(plan: string, input: Int8Array, address: string, window: number, n: number): Promise<number> {
  const p = await pipeline(plan, { remotes: { 1: address }, window, session: { threads: 1 } });
  try {
    await Promise.all(Array.from({ length: Math.max(4, n >> 3) }, () => p.run(input)));
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, () => p.run(input)));
    return round1(n / ((performance.now() - t0) / 1000));
  } finally {
    await p.close();
  }
}

async function loopback(plan: string, input: Int8Array, n: number): Promise<WireBenchResult['loopback']> {
  const server = await SegmentServer.start({ planPath: plan, segment: 1, listen: { host: '127.0.0.1', port: 0 }, session: { threads: 1 } });
  try {
    const rows = [];
    for (const window of [1, 4]) rows.push({ window, perSecond: await throughput(plan, input, `127.0.0.1:${server.port}`, window, n) });
    return rows;
  } finally {
    await server.close();
  }
}

async function shaped(plan: string, input: Int8Array, n: number): Promise<WireBenchResult['shaped']> {
  if (!canShape) return { skipped: 'needs root and iproute2 (ip, tc) for a tbf-shaped veth link to another namespace' };
  const link = shapedLink(100);
  let server: Awaited<ReturnType<typeof serveChild>> | undefined;
  try {
    server = await serveChild([plan, '--segment', '1', '--threads', '1'], 0, link.nsIp, link.exec);
    const proxy = await faultProxy(server.port, { delayMs: 5, maxFaults: 0 }, link.nsIp);
    try {
      const one = await throughput(plan, input, `127.0.0.1:${proxy.port}`, 1, n);
      const four = await throughput(plan, input, `127.0.0.1:${proxy.port}`, 4, n);
      return { link: 'tbf 100 Mbit/s each way + 5 ms each way (fault proxy)', window1PerSecond: one, window4PerSecond: four, ratio: Math.round((four / one) * 100) / 100, target: 1.8 };
    } finally {
      await proxy.close();
    }
  } finally {
    server?.child.kill('SIGKILL');
    link.destroy();
  }
}

/**
 * Forwards `from` to `to` at `bytesPerSecond`: a token bucket refilled by the clock, holding at most
 * one UART FIFO's worth (16 bytes), so the line never runs faster than its rate, even after idling.
 */
function pacedRelay(from: SerialLink, to: SerialLink, bytesPerSecond: number): () => void {
  const queue: Buffer[] = [];
  let tokens = 0;
  let last = performance.now();
  from.port.on('data', (d: Buffer) => queue.push(d));
  const timer = setInterval(() => {
    const now = performance.now();
    tokens = Math.min(tokens + ((now - last) / 1000) * bytesPerSecond, queue.length ? Infinity : 16);
    last = now;
    while (queue.length && tokens >= 1) {
      const head = queue[0]!;
      const n = Math.min(head.byteLength, Math.floor(tokens));
      to.port.write(head.subarray(0, n));
      tokens -= n;
      if (n === head.byteLength) queue.shift();
      else queue[0] = head.subarray(n);
    }
  }, 1);
  return () => clearInterval(timer);
}

async function serial(plan: string, input: Int8Array, requests: number, dir: string): Promise<WireBenchResult['serial']> {
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0) return { skipped: 'needs socat for pty pairs' };
  const baud = 115200;
  const socats: ChildProcess[] = [];
  const ptyPair = async (a: string, b: string): Promise<[string, string]> => {
    const [pa, pb] = [path.join(dir, a), path.join(dir, b)];
    socats.push(spawn('socat', [`pty,raw,echo=0,link=${pa}`, `pty,raw,echo=0,link=${pb}`], { stdio: 'ignore' }));
    for (let i = 0; i < 100 && !(fs.existsSync(pa) && fs.existsSync(pb)); i++) await new Promise((r) => setTimeout(r, 50));
    return [pa, pb];
  };
  const links: SerialLink[] = [];
  const stops: (() => void)[] = [];
  try {
    const [serverEnd, serverRelay] = await ptyPair('server', 'server-relay');
    const [clientEnd, clientRelay] = await ptyPair('client', 'client-relay');
    const a = await SerialLink.open({ path: serverRelay, baudRate: baud });
    const b = await SerialLink.open({ path: clientRelay, baudRate: baud });
    links.push(a, b);
    const line = baud / 10; // 8N1: a start bit, 8 data bits, a stop bit
    stops.push(pacedRelay(b, a, line), pacedRelay(a, b, line));
    const server = await SegmentServer.start({ planPath: plan, segment: 1, serial: { path: serverEnd, baudRate: baud }, session: { threads: 1 } });
    try {
      const p = await pipeline(plan, { remotes: { 1: `serial:${clientEnd}@${baud}` }, window: 4, codec: 'raw', timeoutMs: 60_000, session: { threads: 1 } });
      try {
        await p.run(input); // the hello and one request: the line is known to work
        const t0 = performance.now();
        const results = await Promise.all(Array.from({ length: requests }, () => p.run(input)));
        const seconds = (performance.now() - t0) / 1000;
        const payloadBytes = results.length * input.byteLength;
        return {
          baud, lineBytesPerSecond: line, requests, payloadBytes, seconds: round1(seconds * 1000) / 1000,
          payloadBytesPerSecond: round1(payloadBytes / seconds), shareOfLine: Math.round((payloadBytes / seconds / line) * 1000) / 1000, target: 0.9,
        };
      } finally {
        await p.close();
      }
    } finally {
      await server.close();
    }
  } finally {
    for (const stop of stops) stop();
    for (const l of links) await l.close();
    for (const s of socats) s.kill();
  }
}

/** Every wire measurement; `quick` shortens each (a CI smoke run). */
export async function wireBench(options: { quick: boolean }): Promise<WireBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-bench-wire-'));
  try {
    const trips = options.quick ? 400 : 2000;
    const rounds: Percentiles[] = [];
    for (let i = 0; i < (options.quick ? 2 : 5); i++) rounds.push(await roundTrip10k(trips));
    const range = (f: (p: Percentiles) => number): [number, number] => [Math.min(...rounds.map(f)), Math.max(...rounds.map(f))];
    const { plan, input } = await splitPlan(path.join(dir, 'plan'));
    return {
      loadAverage: os.loadavg().map(round1),
      roundTrip10k: { rounds, p50UsRange: range((p) => p.p50Us), p90UsRange: range((p) => p.p90Us), cpuUsPerTripRange: range((p) => p.cpuUsPerTrip), tripsPerRound: trips, targetP50Us: 60 },
      loopback: await loopback(plan, input, options.quick ? 40 : 300),
      shaped: await shaped(plan, input, options.quick ? 20 : 80),
      serial: await serial(plan, input, options.quick ? 3 : 8, dir),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines `npm run bench` prints for the wire section. */
export function describeWireBench(r: WireBenchResult): string[] {
  const rt = r.roundTrip10k;
  const lines = [
    `10 KB tensor frame round trip, loopback TCP (raw codec, no compute), ${rt.rounds.length} rounds of ${rt.tripsPerRound}: p50 ${rt.p50UsRange[0]}-${rt.p50UsRange[1]} µs, p90 ${rt.p90UsRange[0]}-${rt.p90UsRange[1]} µs, CPU ${rt.cpuUsPerTripRange[0]}-${rt.cpuUsPerTripRange[1]} µs per trip (target p50 < ${rt.targetP50Us} µs)`,
    ...r.loopback.map((l) => `person_detect cut 10, tail on loopback, window ${l.window}: ${l.perSecond} inferences/s`),
  ];
  const s = r.shaped;
  lines.push('skipped' in s ? `shaped link: skipped (${s.skipped})` : `person_detect cut 10 over ${s.link}: window 4 ${s.window4PerSecond}/s, window 1 ${s.window1PerSecond}/s: ${s.ratio}x (target ${s.target}x)`);
  const l = r.serial;
  lines.push('skipped' in l ? `serial: skipped (${l.skipped})` : `serial ${l.baud} baud (paced relay, 8N1 ${l.lineBytesPerSecond} B/s): ${l.requests} requests of 9,216-byte tensors, ${l.payloadBytesPerSecond} payload B/s = ${(l.shareOfLine * 100).toFixed(1)}% of the line (target ${l.target * 100}%)`);
  return lines;
}

if (require.main === module) {
  wireBench({ quick: process.argv.includes('--quick') }).then(
    (r) => {
      for (const line of describeWireBench(r)) process.stderr.write(`${line}\n`);
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`bench/wire: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
