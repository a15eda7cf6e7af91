// node dist/bench/wire.js [--plan DIR]: the wire protocol's own costs on this machine, on loopback.
//  1. Round trip of a 10 KB int8 tensor frame over TCP with no compute: encode (raw codec), frame,
//     send, receive, decode on an echo peer, and the same back; p50/p90/p99 over 2,000 sequential trips.
//  2. person_detect cut in the middle, the tail served here over TCP: throughput at window 1 and 4.
// What the targets also ask (a 100 Mbit/s tbf link, serial at 115200 baud) needs network
// namespaces or a real UART: see docs/wire-protocol.md.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

async function roundTrip10k(): Promise<{ p50Us: number; p90Us: number; p99Us: number }> {
  const shape = [1, 10, 32, 32];
  const tensor = { data: new Int8Array(10 * 1024).map((_, i) => (i * 37) & 0x7f), dtype: 'int8' as const, shape, scale: 0.05, zeroPoint: -3 };
  const listener = await listenTcp({ host: '127.0.0.1', port: 0 }, { maxPayload: 1 << 20 });
  listener.on('connection', (conn) => conn.on('frame', (f) => {
    const t = decode(decodeTensors(f.payload, conn.peer)[0]!);
    const back = encode('raw', { data: t.data, dtype: t.dtype, shape: t.shape, scale: t.scale, zeroPoint: t.zeroPoint });
    conn.send({ type: FrameType.Reply, flags: 0, stream: f.stream, seq: f.seq, payload: encodeTensors([back]) });
  }));
  const conn = await connectTcp({ host: '127.0.0.1', port: (listener as unknown as { port: number }).port }, { maxPayload: 1 << 20 });
  const times: number[] = [];
  for (let seq = 1; seq <= 2500; seq++) {
    const t0 = performance.now();
    const reply = new Promise<Frame>((resolve) => conn.once('frame', resolve));
    conn.send({ type: FrameType.Request, flags: 0, stream: 1, seq, payload: encodeTensors([encode('raw', tensor)]) });
    const f = await reply;
    decode(decodeTensors(f.payload, conn.peer)[0]!);
    if (seq > 500) times.push((performance.now() - t0) * 1000); // the first 500 warm up
  }
  await conn.close();
  await listener.close();
  times.sort((a, b) => a - b);
  return { p50Us: percentile(times, 0.5), p90Us: percentile(times, 0.9), p99Us: percentile(times, 0.99) };
}

async function pipelined(dir: string): Promise<{ window: number; perSecond: number }[]> {
  const model = path.resolve(packageRoot, '..', 'shared', 'models', 'tflm_person_detect');
  await writePlan(readModelFile(path.join(model, 'model.tflite')), [10], dir);
  const plan = path.join(dir, 'plan.json');
  const input = new Int8Array(fs.readFileSync(path.join(model, 'real_person', 't88.bin')));
  const server = await SegmentServer.start({ planPath: plan, segment: 1, listen: { host: '127.0.0.1', port: 0 }, session: { threads: 1 } });
  const rows = [];
  for (const window of [1, 4]) {
    const p = await pipeline(plan, { remotes: { 1: `127.0.0.1:${server.port}` }, window, session: { threads: 1 } });
    await Promise.all(Array.from({ length: 50 }, () => p.run(input)));
    const n = 400;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, () => p.run(input)));
    rows.push({ window, perSecond: n / ((performance.now() - t0) / 1000) });
    await p.close();
  }
  await server.close();
  return rows;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-bench-wire-'));
  try {
    const rt = await roundTrip10k();
    process.stdout.write(`10 KB tensor frame round trip over loopback TCP (raw codec, no compute): p50 ${rt.p50Us.toFixed(1)} µs, p90 ${rt.p90Us.toFixed(1)} µs, p99 ${rt.p99Us.toFixed(1)} µs\n`);
    for (const r of await pipelined(dir)) process.stdout.write(`person_detect, cut 10, tail served on loopback, window ${r.window}: ${r.perSecond.toFixed(0)} inferences/s\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`bench/wire: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
