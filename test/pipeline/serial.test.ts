// The tail of person_detect served over a serial line: two socat pty pairs joined by a relay in this
// process that injects garbage and flips bytes in both directions. COBS framing resynchronizes, the
// CRC drops what was damaged, the runner retries by request id: every output is the whole model's.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SerialLink } from '../../hal/serial';
import { pipeline } from '../../src/pipeline/runner';
import { SegmentServer } from '../../src/pipeline/serve';
import { bytesOf, personDetectCases, splitPersonDetect } from '../lib/pipeline';

const hasSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
if (!hasSocat && process.env.CLEAVE_REQUIRE_TOOLS === '1') t.fail('socat is required (CLEAVE_REQUIRE_TOOLS=1)');
const skip = !hasSocat && 'socat is needed for pty pairs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-wire-serial-'));
const socats: ChildProcess[] = [];
t.teardown(() => {
  for (const s of socats) s.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A pty pair from socat: what one end writes, the other reads. */
async function ptyPair(a: string, b: string): Promise<[string, string]> {
  const [pa, pb] = [path.join(tmp, a), path.join(tmp, b)];
  socats.push(spawn('socat', [`pty,raw,echo=0,link=${pa}`, `pty,raw,echo=0,link=${pb}`], { stdio: 'ignore' }));
  for (let i = 0; i < 100 && !(fs.existsSync(pa) && fs.existsSync(pb)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!fs.existsSync(pa) || !fs.existsSync(pb)) throw new Error('socat made no pty pair within 5 s');
  return [pa, pb];
}

/** Forwards `from` to `to`, damaging the chunks whose numbers are listed. */
function relay(from: SerialLink, to: SerialLink, damage: { garbageAt: number[]; flipAt: number[] }): { damaged: () => number } {
  let chunk = 0;
  let damaged = 0;
  from.port.on('data', (d: Buffer) => {
    chunk++;
    let out = Buffer.from(d);
    if (damage.flipAt.includes(chunk)) {
      out[out.byteLength >> 1]! ^= 0x24;
      damaged++;
    }
    if (damage.garbageAt.includes(chunk)) {
      out = Buffer.concat([Buffer.from([0x00, 0x43, 0x4c, 0x56, 0x57, 0x01, 0x03, 0x9c, 0x00, 0xff, 0x13]), out]);
      damaged++;
    }
    to.port.write(out);
  });
  return { damaged: () => damaged };
}

t.test('garbage and flipped bytes on a serial line: resynchronized, retried, never a wrong output', { skip }, async (t) => {
  const plan = await splitPersonDetect(path.join(tmp, 'plan'));
  const cases = await personDetectCases();
  const [serverEnd, serverRelay] = await ptyPair('server', 'server-relay');
  const [clientEnd, clientRelay] = await ptyPair('client', 'client-relay');
  const a = await SerialLink.open({ path: serverRelay, baudRate: 115200 });
  const b = await SerialLink.open({ path: clientRelay, baudRate: 115200 });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const toServer = relay(b, a, { garbageAt: [2, 5, 9], flipAt: [7, 12] });
  const toClient = relay(a, b, { garbageAt: [3], flipAt: [2, 6] });

  const server = await SegmentServer.start({ planPath: plan, segment: 1, serial: { path: serverEnd, baudRate: 115200 }, token: 'line', session: { threads: 1 } });
  const logs: string[] = [];
  server.on('log', (l) => logs.push(l));
  t.match(server.statusLine(), new RegExp(`on serial:${serverEnd}@115200,`));

  const p = await pipeline(plan, { remotes: { 1: `serial:${clientEnd}@115200` }, token: 'line', window: 2, codec: 'raw', timeoutMs: 400, retries: 8, session: { threads: 1 } });
  const order = [...cases, ...cases];
  const results = await Promise.all(order.map((c) => p.run(c.input)));
  await p.close();

  // The line outlives its peers: a wrong token is refused without closing it, and the next peer is served.
  // One exchange each, so a wide timeout costs nothing (above, 400 ms with 8 retries recover damaged
  // frames quickly, and a loaded machine would have to miss it nine times in a row).
  await t.rejects(pipeline(plan, { remotes: { 1: `serial:${clientEnd}` }, token: 'x', timeoutMs: 5000 }), { code: 'WIRE_AUTH', message: new RegExp(`^serial:${clientEnd} refused: .*token refused`) });
  const again = await pipeline(plan, { remotes: { 1: `serial:${clientEnd}` }, token: 'line', codec: 'lossless', timeoutMs: 5000, retries: 8, session: { threads: 1 } });
  t.same(bytesOf((await again.run(cases[0]!.input)).outputs[0]!), cases[0]!.expected, 'a second peer on the same line');
  await again.close();
  await server.close();

  t.same(results.map((r) => bytesOf(r.outputs[0]!).toString('hex')), order.map((c) => c.expected.toString('hex')), 'every output byte-identical, in order');
  t.ok(toServer.damaged() + toClient.damaged() >= 5, `${toServer.damaged()} + ${toClient.damaged()} chunks damaged`);
  t.ok(logs.some((l) => /dropped a frame: serial:.*(CRC-32|COBS|shorter|magic|limit)/.test(l)), `the server dropped damaged frames:\n${logs.join('\n')}`);
  t.ok(results.some((r) => r.stages[1]!.attempts! > 1), 'some requests needed another attempt');
  t.equal(results[0]!.stages[1]!.where, `serial:${clientEnd}`);
});
