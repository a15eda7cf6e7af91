// The daemon killed with SIGKILL while its broker (a real Mosquitto) is down: its records wait in
// the disk spool; restarted with the broker back, it drains the spool, and every record arrives once,
// in order; no input is processed again. Skips without mosquitto unless CLEAVE_REQUIRE_TOOLS=1.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collect, seqs } from '../telemetry/helpers';
import { Mosquitto, mosquittoMissing, requireTools } from '../telemetry/mosquitto';
import { daemonFolder, dropInputs, personDetect, startDaemon, until } from '../lib/daemon';

const missing = mosquittoMissing();
if (missing && !requireTools) {
  t.skip(`daemon spool test: ${missing}; set CLEAVE_REQUIRE_TOOLS=1 to make this a failure`);
} else {
  t.test('kill -9 of the daemon while the broker is down, then a restart: the spool drains, every record once, in order', async (t) => {
    t.equal(missing, null, missing ?? '');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-daemon-spool-'));
    t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
    fs.mkdirSync(path.join(tmp, 'broker'));
    const broker = await Mosquitto.start(path.join(tmp, 'broker'));
    t.teardown(() => broker.stop());
    const topic = 'cleave/v1/lab/daemon-7/telemetry';
    // A persistent session: Mosquitto keeps for the watcher what arrives while it is away.
    const watcher = await collect(broker.url, [topic], { username: 'fleet', password: 'secret', clientId: 'daemon-watcher', clean: false });
    t.teardown(() => watcher.client.endAsync(true));
    await broker.stop();

    const { dir, config } = daemonFolder(tmp, [
      'role: head',
      'stateDir: state',
      'head:',
      `  model: ${personDetect}`,
      '  source: { directory: { path: in, done: done } }',
      '  results: { dir: out }',
      'telemetry:',
      `  targets: ["mqtt://fleet:secret@127.0.0.1:${broker.port}/lab"]`,
      '  spoolDir: spool',
      '  summaryEverySec: 0',
    ]);
    fs.mkdirSync(path.join(dir, 'in'));
    const env = { CLEAVE_DEVICE: 'daemon-7' };
    const first = await startDaemon(t, config, env);
    const inputs = 20;
    dropInputs(path.join(dir, 'in'), inputs);
    await until(() => fs.existsSync(path.join(dir, 'done')) && fs.readdirSync(path.join(dir, 'done')).length === inputs, `${inputs} inputs done`);
    first.signal('SIGKILL');
    t.equal((await first.exited).signal, 'SIGKILL');
    t.equal(watcher.byTopic.get(topic)?.length ?? 0, 0, 'nothing delivered while the broker was down');
    const spooled = fs.readdirSync(path.join(dir, 'spool')).flatMap((d) => fs.readdirSync(path.join(dir, 'spool', d)).filter((f) => f.endsWith('.seg')));
    t.ok(spooled.length > 0, `records spooled on disk (${spooled.join(', ')})`);

    await broker.resume();
    const second = await startDaemon(t, config, env);
    // Two records per input: compute and end-to-end.
    const got = await watcher.waitFor(topic, 2 * inputs, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    t.same(seqs(watcher.byTopic.get(topic)!), [...Array(2 * inputs).keys()], 'every record of the killed daemon, once, in order');
    t.same(got.map((p) => (JSON.parse(p) as { stage: string }).stage), Array.from({ length: 2 * inputs }, (_, i) => (i % 2 === 0 ? 'compute' : 'end-to-end')));
    second.signal('SIGTERM');
    t.same(await second.exited, { code: 0, signal: null });
    t.match(second.stdout.at(-1), /^stopped: .*: 0 done, 0 failed/, 'the restarted daemon redid no input');
    t.equal(watcher.byTopic.get(topic)!.length, 2 * inputs, 'no duplicates');
  });
}
