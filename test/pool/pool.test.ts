// Tail worker pools behind a real Mosquitto on loopback: person_detect's tail served by `cleave serve
// --mqtt` workers sharing the segment's request topic, `cleave.pipeline(plan, { remotes: { 1:
// 'mqtt://…' } })` as the head. Skips without mosquitto unless CLEAVE_REQUIRE_TOOLS=1.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { decode, encode, type WireDType } from '../../src/codec';
import { pipeline, type PipelineResult } from '../../src/pipeline/runner';
import type { SegmentServer } from '../../src/pipeline/serve';
import { readPlan, readSegmentProgram } from '../../src/segments/plan';
import { frameBytes, FrameType, readFrame } from '../../src/wire/frame';
import { decodeReply, encodeReply, programSha256 } from '../../src/wire/messages';
import { cleave } from '../lib/cli';
import { bytesOf, personDetectCases, splitPersonDetect } from '../lib/pipeline';
import { makeCertificates, Mosquitto, mosquittoMissing, requireTools } from '../telemetry/mosquitto';
import { worker, workerChild, type WorkerChild } from './workers';

const missing = mosquittoMissing();
if (missing && !requireTools) {
  t.skip(`MQTT worker pool tests: ${missing}; set CLEAVE_REQUIRE_TOOLS=1 to make this a failure`);
} else {
  t.test('mosquitto is installed', async (t) => t.equal(missing, null, missing ?? ''));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-pool-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const ready = (async () => ({ plan: await splitPersonDetect(path.join(tmp, 'plan')), cases: await personDetectCases() }))();
  let n = 0;
  const dir = () => fs.mkdtempSync(path.join(tmp, `case${n++}-`));
  const hashOf = async (plan: string, segment: number) => programSha256((await readSegmentProgram(plan, (await readPlan(plan)).segments[segment]!)).bytes).toString('hex');
  const closeAll = (servers: SegmentServer[]) => Promise.all(servers.map((s) => s.close()));

  t.test('3 workers, one SIGKILLed mid-stream: every request answered once, in order, byte-identical with the whole model', { skip: missing ?? false }, async (t) => {
    const { plan, cases } = await ready;
    const broker = await Mosquitto.start(dir());
    t.teardown(() => broker.stop());
    const url = `mqtt://127.0.0.1:${broker.port}/lab`;
    const starting = Array.from({ length: 3 }, () => workerChild([plan, '--segment', '1', '--mqtt', url, '--username', 'fleet', '--password', 'secret', '--threads', '1']));
    t.teardown(() => Promise.allSettled(starting).then((all) => all.forEach((w) => w.status === 'fulfilled' && w.value.child.kill('SIGKILL'))));
    const workers: WorkerChild[] = await Promise.all(starting);
    t.match(workers[0]!.status, /on mqtt:\/\/127\.0\.0\.1:\d+\/lab\/seg1 \(share group cleave\)/);
    const p = await pipeline(plan, { remotes: { 1: `mqtt://fleet:secret@127.0.0.1:${broker.port}/lab` }, window: 6, timeoutMs: 1500, retries: 6, session: { threads: 1 } });
    const order = Array.from({ length: 60 }, (_, i) => cases[i % cases.length]!);
    // Killed the moment the twelfth result is in, not after a poll that a loaded machine may delay
    // until every request is done.
    let done = 0;
    const runs = order.map((c) => p.run(c.input).then((r) => {
      if (++done === 12) workers[0]!.child.kill('SIGKILL');
      return r;
    }));
    await workers[0]!.exited;
    t.ok(done < order.length, `killed with ${order.length - done} requests unfinished`);
    const results: PipelineResult[] = await Promise.all(runs);
    await p.close();
    t.equal(results.length, order.length, 'one result per request');
    t.same(results.map((r) => bytesOf(r.outputs[0]!).toString('hex')), order.map((c) => c.expected.toString('hex')), 'all 60 outputs byte-identical, in order');
    t.ok(results.some((r) => r.stages[1]!.attempts! > 1), 'requests the killed worker held were sent again and taken by another');
    const stage = results[0]!.stages[1]!;
    t.equal(stage.where, `mqtt://127.0.0.1:${broker.port}/lab/seg1`);
    for (const key of ['computeMs', 'encodeMs', 'wireMs', 'decodeMs', 'bytesSent', 'bytesReceived'] as const) t.ok(stage[key]! > 0, `stage timing ${key} on every result`);
  });

  t.test('cleave run --remote K=mqtt://… as a user runs it, against a worker started by cleave serve --mqtt', { skip: missing ?? false }, async (t) => {
    const { plan, cases } = await ready;
    const broker = await Mosquitto.start(dir());
    t.teardown(() => broker.stop());
    const passwordFile = path.join(dir(), 'password');
    fs.writeFileSync(passwordFile, 'secret\n');
    const w = await workerChild([plan, '--segment', '1', '--mqtt', `mqtt://127.0.0.1:${broker.port}/lab`, '--username', 'fleet', '--password-file', passwordFile, '--threads', '1']);
    t.teardown(() => w.child.kill('SIGKILL'));
    t.match(w.status, /the broker's authentication/);
    const input = path.join(dir(), 'in.bin');
    fs.writeFileSync(input, cases[0]!.input);
    const r = cleave(['run', plan, '-i', input, '-n', '3', '--remote', `1=mqtt://fleet:secret@127.0.0.1:${broker.port}/lab`, '--json'], { timeout: 60_000 });
    t.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { outputs: number[][]; results: { stages: { where: string }[] }[] };
    t.same(out.outputs[0], Array.from(new Int8Array(cases[0]!.expected.buffer, cases[0]!.expected.byteOffset, cases[0]!.expected.byteLength)));
    t.equal(out.results.length, 3);
    t.equal(out.results[0]!.stages[1]!.where, `mqtt://127.0.0.1:${broker.port}/lab/seg1`);
    w.child.kill('SIGTERM');
    t.equal(await w.exited, 0, 'a worker stops on SIGTERM');
  });

  t.test('wrong credentials are refused and said so, at the head and at a worker', { skip: missing ?? false }, async (t) => {
    const { plan } = await ready;
    const broker = await Mosquitto.start(dir());
    t.teardown(() => broker.stop());
    // A retry would first wait the 20 s reconnect delay: a refusal taken at once is far inside that,
    // however loaded the machine.
    const started = performance.now();
    await t.rejects(pipeline(plan, { remotes: { 1: `mqtt://fleet:guess@127.0.0.1:${broker.port}/lab` }, reconnectDelayMs: 20_000, session: { threads: 1 } }),
      { code: 'BROKER_AUTH', message: new RegExp(`^mqtt://127\\.0\\.0\\.1:${broker.port}/lab/seg1: the broker refused the credentials: .* \\(user "fleet"\\)`) });
    t.ok(performance.now() - started < 20_000, 'refused at once, not retried');
    await t.rejects(pipeline(plan, { remotes: { 1: `mqtt://127.0.0.1:${broker.port}/lab` }, session: { threads: 1 } }), { code: 'BROKER_AUTH', message: /no username was given/ });
    const passwordFile = path.join(dir(), 'password');
    fs.writeFileSync(passwordFile, 'guess\n');
    await t.rejects(workerChild([plan, '--segment', '1', '--mqtt', `mqtt://127.0.0.1:${broker.port}/lab`, '--username', 'fleet', '--password-file', passwordFile]),
      /exited with \d+ before serving: cleave: mqtt:\/\/127\.0\.0\.1:\d+\/lab\/seg1 \(share group cleave\): the broker refused the credentials: .*\(user "fleet"\)/s);
  });

  t.test('over TLS (mqtts://) with the broker\'s CA; a broker certificate from an unknown CA is refused', { skip: missing ?? false }, async (t) => {
    const { plan, cases } = await ready;
    const d = dir();
    const tls = makeCertificates(d);
    const broker = await Mosquitto.start(d, tls);
    t.teardown(() => broker.stop());
    const url = `mqtts://fleet:secret@127.0.0.1:${broker.tlsPort}/lab`;
    const ca = fs.readFileSync(tls.caFile);
    const servers = [await worker(plan, 1, url, ca)];
    t.teardown(() => closeAll(servers));
    const p = await pipeline(plan, { remotes: { 1: url }, tls: { ca }, session: { threads: 1 } });
    const results = await Promise.all(cases.map((c) => p.run(c.input)));
    await p.close();
    t.same(results.map((r) => bytesOf(r.outputs[0]!).toString('hex')), cases.map((c) => c.expected.toString('hex')), 'byte-identical through TLS');
    t.equal(results[0]!.stages[1]!.where, `mqtts://127.0.0.1:${broker.tlsPort}/lab/seg1`);
    const stranger = makeCertificates(dir());
    await t.rejects(pipeline(plan, { remotes: { 1: url }, tls: { ca: fs.readFileSync(stranger.caFile) }, session: { threads: 1 } }),
      { code: 'WIRE_TLS', message: /TLS handshake with the broker failed/ });
  });

  t.test('a worker serving another Program refuses with both hashes, at hello and on a request', { skip: missing ?? false }, async (t) => {
    const { plan, cases } = await ready;
    const other = await splitPersonDetect(path.join(tmp, 'other'), 12);
    const [mine, theirs] = [await hashOf(plan, 1), await hashOf(other, 1)];
    t.not(mine, theirs);
    const broker = await Mosquitto.start(dir());
    t.teardown(() => broker.stop());
    const url = `mqtt://fleet:secret@127.0.0.1:${broker.port}/lab`;
    const servers: SegmentServer[] = [];
    t.teardown(() => closeAll(servers));
    servers.push(await worker(other, 1, url));
    const both = new RegExp(`serves segment 1 as Program sha256 ${theirs}, .* expects segment 1 as Program sha256 ${mine}`);
    await t.rejects(pipeline(plan, { remotes: { 1: url }, session: { threads: 1 } }), { code: 'WIRE_PROGRAM_MISMATCH', message: both }, 'at hello');
    await servers.pop()!.close();

    // The hello goes to a right worker; a wrong one joins and gets requests that never came with a hello to it.
    servers.push(await worker(plan, 1, url));
    const observer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 5, username: 'fleet', password: 'secret' });
    t.teardown(() => observer.endAsync(true));
    let hellos = 0;
    observer.on('message', (_topic, payload) => (hellos += readFrame(payload, 1 << 20, 'test').type === FrameType.Hello ? 1 : 0));
    await observer.subscribeAsync('cleave/v1/lab/pool/seg1/req', { qos: 1 });
    const p = await pipeline(plan, { remotes: { 1: url }, timeoutMs: 5000, session: { threads: 1 } });
    servers.push(await worker(other, 1, url));
    const settled = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => p.run(cases[i % cases.length]!.input)));
    await p.close();
    const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    t.ok(refused.length > 0, `${refused.length} of 8 refused once the wrong worker took one`);
    t.match(refused[0]!.reason, { code: 'WIRE_PROGRAM_MISMATCH', message: both }, 'on a request');
    t.equal(hellos, 1, 'the request itself carried the hello that the wrong worker refused: the head did not reconnect to say it again');
  });

  t.test('duplicate replies are dropped by request id', { skip: missing ?? false }, async (t) => {
    const { plan, cases } = await ready;
    const broker = await Mosquitto.start(dir());
    t.teardown(() => broker.stop());
    const url = `mqtt://fleet:secret@127.0.0.1:${broker.port}/lab`;
    const servers = [await worker(plan, 1, url)];
    t.teardown(() => closeAll(servers));
    // Every reply comes twice: the second copy, a valid frame with other outputs, must change nothing.
    const echo = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 5, username: 'fleet', password: 'secret' });
    t.teardown(() => echo.endAsync(true));
    let copies = 0;
    echo.on('message', (topic, payload, packet) => {
      if (packet.properties?.userProperties?.copy) return;
      const frame = readFrame(payload, 1 << 20, 'test');
      if (frame.type !== FrameType.Reply) return;
      const reply = decodeReply(frame.payload, 'test');
      const tensors = reply.tensors.map((w) => {
        const d = decode(w);
        return encode('raw', { data: d.data.map((b) => b ^ 0xff), dtype: d.dtype as WireDType, shape: d.shape, scale: d.scale, zeroPoint: d.zeroPoint });
      });
      copies++;
      echo.publish(topic, frameBytes({ ...frame, payload: encodeReply({ computeMicros: reply.computeMicros, tensors }) }), { qos: 1, properties: { ...packet.properties, userProperties: { copy: '1' } } });
    });
    await echo.subscribeAsync('cleave/v1/lab/pool/reply/+', { qos: 1 });
    const p = await pipeline(plan, { remotes: { 1: url }, window: 1, session: { threads: 1 } });
    const order = Array.from({ length: 10 }, (_, i) => cases[i % cases.length]!);
    const results = await Promise.all(order.map((c) => p.run(c.input)));
    await new Promise((r) => setTimeout(r, 200)); // the last copies arrive too
    await p.close();
    t.ok(copies >= order.length, `${copies} duplicate replies sent`);
    t.same(results.map((r) => bytesOf(r.outputs[0]!).toString('hex')), order.map((c) => c.expected.toString('hex')), 'the first reply for each id stands');
  });
}
