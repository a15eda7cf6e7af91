// person_detect split in the middle: the tail served over TCP on 127.0.0.1, the head run here. Outputs
// byte-identical with the whole model, in input order; refusals (token, Program hash, a 4 GiB frame)
// clear and final; graceful shutdown finishes what was received.
import t from 'tap';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from '../../src/pipeline/runner';
import { SegmentServer } from '../../src/pipeline/serve';
import { FLAG_FATAL, type Frame, frameBytes, FrameType, HEADER_BYTES } from '../../src/wire/frame';
import { encode } from '../../src/codec';
import { connectTcp, listenTcp } from '../../src/transport/tcp';
import { decodeError, decodeReply, encodeHello, encodeTensors } from '../../src/wire/messages';
import { StreamFrameParser } from '../../src/wire/stream-parser';
import { bytesOf, personDetectCases, splitPersonDetect } from '../lib/pipeline';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-wire-tcp-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ready = (async () => {
  const plan = await splitPersonDetect(path.join(tmp, 'mid'));
  const other = await splitPersonDetect(path.join(tmp, 'other'), 12);
  const cases = await personDetectCases();
  return { plan, other, cases };
})();

async function serve(plan: string, extra: Partial<Parameters<typeof SegmentServer.start>[0]> = {}) {
  const server = await SegmentServer.start({ planPath: plan, segment: 1, listen: { host: '127.0.0.1', port: 0 }, session: { threads: 1 }, ...extra });
  return { server, address: `127.0.0.1:${server.port}` };
}

t.test('the served tail and the local head give the whole model\'s bytes, in input order', async (t) => {
  const { plan, cases } = await ready;
  const { server, address } = await serve(plan, { token: 's3cret' });
  t.teardown(() => server.close());
  t.match(server.statusLine(), /^serving segment 1 \(ops 10\.\.30, int8\[1x12x12x64\] -> int8\[1x2\]\) of .*plan\.json on tcp:\/\/127\.0\.0\.1:\d+, Program seg1\.cprog sha256 [0-9a-f]{64}, token, up to 4 requests in flight$/);
  for (const codec of ['raw', 'lossless'] as const) {
    const p = await pipeline(plan, { remotes: { 1: address }, token: 's3cret', window: 4, codec, session: { threads: 1 } });
    // Three rounds over every case, all started at once: 18 requests through a window of 4.
    const order = [...cases, ...cases, ...cases];
    const results = await Promise.all(order.map((c) => p.run(c.input)));
    await p.close();
    t.same(results.map((r) => bytesOf(r.outputs[0]!).toString('hex')), order.map((c) => c.expected.toString('hex')), `${codec}: every output byte-identical, in order`);
    const r = results[0]!;
    t.equal(r.stages[0]!.where, 'local');
    t.equal(r.stages[1]!.where, `tcp:${address}`);
    t.ok(r.stages[1]!.computeMs! > 0 && r.stages[1]!.wireMs! >= r.stages[1]!.computeMs!, 'wire time covers the remote compute');
    t.ok(r.bytesSent > 44 && r.bytesReceived > 44, `bytes on the wire: ${r.bytesSent} sent, ${r.bytesReceived} received`);
    if (codec === 'raw') t.equal(r.bytesSent, 20 + 4 + 4 + 44 + 9216 + 4, 'raw: frame header, count, length, codec header, 9,216 bytes, CRC');
  }
});

t.test('a wrong token is refused, finally and by name', async (t) => {
  const { plan } = await ready;
  const { server, address } = await serve(plan, { token: 'right' });
  t.teardown(() => server.close());
  const logs: string[] = [];
  server.on('log', (l) => logs.push(l));
  await t.rejects(pipeline(plan, { remotes: { 1: address }, token: 'wrong' }), { code: 'WIRE_AUTH', message: new RegExp(`^tcp:${address} refused: .*token refused`) });
  await t.rejects(pipeline(plan, { remotes: { 1: address } }), { code: 'WIRE_AUTH' }, 'no token at all');
  // The server logs every hello it refuses: one each, so neither refusal was retried.
  t.equal(logs.filter((l) => /wrong token/.test(l)).length, 2, `a refusal is not retried: ${logs.join('; ')}`);
});

t.test('a peer serving another Program is refused with both hashes named', async (t) => {
  const { plan, other } = await ready;
  const { server, address } = await serve(other);
  t.teardown(() => server.close());
  const err = await pipeline(plan, { remotes: { 1: address } }).then(() => null, (e: Error & { code: string }) => e);
  t.equal(err?.code, 'WIRE_PROGRAM_MISMATCH');
  const hashes = err?.message.match(/[0-9a-f]{64}/g) ?? [];
  t.equal(new Set(hashes).size, 2, err?.message);
  t.ok(hashes.includes(server.programSha256), 'the served Program\'s hash');
});

t.test('a frame announcing 4 GiB is refused from its header, without allocating', async (t) => {
  const { plan } = await ready;
  const { server } = await serve(plan);
  t.teardown(() => server.close());
  const socket = net.connect(server.port!, '127.0.0.1');
  const localPort = await new Promise<number>((resolve) => socket.once('connect', () => resolve(socket.localPort!)));
  const header = frameBytes({ type: FrameType.Hello, flags: 0, stream: 1, seq: 0, payload: Buffer.alloc(0) }).subarray(0, HEADER_BYTES);
  header.writeUInt32LE(0xffffffff, 16);
  const before = process.memoryUsage().arrayBuffers;
  socket.write(header);
  const parser = new StreamFrameParser(1 << 20, 'server');
  const frames = await new Promise<ReturnType<StreamFrameParser['push']>>((resolve) => {
    const got: ReturnType<StreamFrameParser['push']> = [];
    socket.on('data', (d) => got.push(...parser.push(d)));
    socket.on('close', () => resolve(got));
  });
  t.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'no buffer of the announced size');
  t.equal(frames.length, 1, 'one error frame, then the connection closes');
  t.equal(frames[0]!.type, FrameType.Error);
  t.equal(frames[0]!.flags & FLAG_FATAL, FLAG_FATAL);
  t.same(decodeError(frames[0]!.payload, 'server'), {
    code: 'WIRE_FRAME_TOO_LARGE',
    message: `tcp:127.0.0.1:${localPort}: frame announces a 4294967295-byte payload, the limit is 16777216 bytes`,
  });
});

t.test('backpressure: a burst is worked on a few at a time and the rest left unread in the socket', async (t) => {
  const { plan, cases } = await ready;
  const { server } = await serve(plan, { maxInFlight: 2 });
  t.teardown(() => server.close());
  const conn = await connectTcp({ host: '127.0.0.1', port: server.port! }, { maxPayload: 1 << 20 });
  const replies: Frame[] = [];
  conn.on('frame', (f) => replies.push(f));
  conn.send({ type: FrameType.Hello, flags: 0, stream: 7, seq: 0, payload: encodeHello({ version: 1, segment: 1, programSha256: Buffer.from(server.programSha256, 'hex'), token: '' }) });
  const [spec] = server.inputs;
  const request = encodeTensors([encode('raw', { data: cases[0]!.input, dtype: 'int8', shape: spec!.shape, scale: spec!.scale, zeroPoint: spec!.zeroPoint })]);
  const count = 300; // 2.8 MB sent at once, far more than the socket buffers hold
  for (let seq = 1; seq <= count; seq++) conn.send({ type: FrameType.Request, flags: 0, stream: 7, seq, payload: request });
  while (replies.length < count + 1) await new Promise((r) => setTimeout(r, 10));
  await conn.close();
  t.equal(replies[0]!.type, FrameType.HelloAck);
  t.same(replies.slice(1).map((f) => f.type === FrameType.Reply && decodeReply(f.payload, 'p').tensors.length === 1), Array(count).fill(true), 'every request answered');
  const stats = server.stats();
  t.equal(stats.served, count);
  t.ok(stats.peakInFlight <= 2, `at most 2 in flight (peak ${stats.peakInFlight})`);
  t.ok(stats.peakWaiting <= 16, `received but waiting bounded by one read, not the burst (peak ${stats.peakWaiting} of ${count})`);
});

t.test('graceful shutdown finishes the requests received; the rest fail naming the peer', async (t) => {
  const { plan, cases } = await ready;
  const { server, address } = await serve(plan, { maxInFlight: 2 });
  const p = await pipeline(plan, { remotes: { 1: address }, window: 4, reconnectAttempts: 2, reconnectDelayMs: 20 });
  const runs = Array.from({ length: 12 }, (_, i) => p.run(cases[i % cases.length]!.input));
  await runs[0];
  const closing = server.close();
  const settled = await Promise.allSettled(runs);
  const served = await closing;
  await p.close();
  const ok = settled.filter((s) => s.status === 'fulfilled');
  t.ok(ok.length >= 1 && ok.length === served, `${ok.length} completed = ${served} served`);
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') t.equal(bytesOf(s.value.outputs[0]!).toString('hex'), cases[i % cases.length]!.expected.toString('hex'));
    else t.match((s.reason as Error).message, new RegExp(`^tcp:${address}: `), 'names the peer');
  });
  const firstFailure = settled.findIndex((s) => s.status === 'rejected');
  t.ok(firstFailure < 0 || settled.slice(firstFailure).every((s) => s.status === 'rejected'), 'the completed inputs are the first ones sent');
});

t.test('a connection\'s frames() iterates in order until the peer closes', async (t) => {
  const listener = await listenTcp({ host: '127.0.0.1', port: 0 }, { maxPayload: 1024 });
  t.teardown(() => listener.close());
  const received = new Promise<number[]>((resolve) => listener.once('connection', async (conn) => {
    const seqs: number[] = [];
    for await (const f of conn.frames()) seqs.push(f.seq);
    resolve(seqs);
  }));
  const conn = await connectTcp({ host: '127.0.0.1', port: listener.port }, { maxPayload: 1024 });
  for (let seq = 1; seq <= 5; seq++) conn.send({ type: FrameType.Ping, flags: 0, stream: 0, seq, payload: Buffer.alloc(seq * 100) });
  await conn.close();
  t.same(await received, [1, 2, 3, 4, 5]);
});
