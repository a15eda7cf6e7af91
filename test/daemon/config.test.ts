// The daemon config: JSON or YAML, checked against its schema; every error names the field path and
// what was expected; relative paths are taken from the config's folder.
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDaemonConfig, loadDaemonConfig, writablePaths } from '../../src/daemon/config';
import { cleave } from '../lib/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-daemon-config-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const head = { model: 'm.tflite', source: { directory: { path: 'in' } }, results: { dir: 'out' } };

const refused = (t: Test, value: unknown, message: RegExp) => t.throws(() => checkDaemonConfig(value, '/etc/cleave/d.yaml'), { code: 'CONFIG_INVALID', message });

t.test('each error names the field and what was expected', async (t) => {
  refused(t, {}, /d\.yaml: role: missing \(required\)/);
  refused(t, { role: 'middle' }, /role: must be one of "head", "tail", "both", got string "middle"/);
  refused(t, { role: 'head' }, /head: missing \(required when role is "head"\)/);
  refused(t, { role: 'both', head }, /tail: missing \(required when role is "both"\)/);
  refused(t, { role: 'head', head: { ...head, source: { directory: { path: 7 } } } }, /head\.source\.directory\.path: must be string, got number 7/);
  refused(t, { role: 'head', head: { ...head, source: {} } }, /head\.source: must have exactly one of directory, serial, mqtt/);
  refused(t, { role: 'head', head: { ...head, source: { directory: { path: 'a' }, serial: { path: '/dev/ttyUSB0' } } } }, /head\.source: must have exactly one of/);
  refused(t, { role: 'head', head: { ...head, sorce: {} } }, /head\.sorce: unknown field in head/);
  refused(t, { role: 'head', head: { ...head, maxInFlight: 0 } }, /head\.maxInFlight: must be >= 1, got number 0/);
  refused(t, { role: 'head', head: { ...head, remotes: { one: 'h:1' } } }, /"one" must match \^\[0-9\]\+\$/);
  refused(t, { role: 'head', head: { ...head, source: { mqtt: { url: 'http://x', topic: 't' } } } }, /head\.source\.mqtt\.url: "http:\/\/x" must match \^mqtts\?:\/\//);
  refused(t, { role: 'tail', tail: { plan: 'p.json', segment: 1 } }, /tail\.listen: missing \(required\)/);
  refused(t, { role: 'head', head, telemetry: { targets: ['file:x', 3] } }, /telemetry\.targets\[1\]: must be string, got number 3/);
  refused(t, { role: 'head', head, telemetry: { sample: 2 } }, /telemetry\.sample: must be <= 1, got number 2/);
});

t.test('several errors are reported together', async (t) => {
  const err = t.throws(() => checkDaemonConfig({ role: 'head', head: { model: 1, source: { directory: {} }, results: {} } }, 'x.yaml')) as Error;
  t.match(err.message, /head\.model: must be string/);
  t.match(err.message, /head\.source\.directory\.path: missing/);
  t.match(err.message, /head\.results: must have at least one of its fields/);
});

t.test('YAML and JSON files; paths relative to the config folder', async (t) => {
  const dir = path.join(tmp, 'etc');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'd.yaml'), [
    'role: head',
    'stateDir: state',
    'head:',
    '  model: ../models/m.tflite',
    '  source: { directory: { path: in, done: done } }',
    '  results: { dir: /srv/out }',
    'telemetry:',
    '  targets: ["file:telemetry.jsonl", "mqtt://127.0.0.1:1883/lab"]',
  ].join('\n'));
  const c = await loadDaemonConfig(path.join(dir, 'd.yaml'));
  t.equal(c.head!.model, path.join(tmp, 'models', 'm.tflite'));
  t.same(c.head!.source, { directory: { path: path.join(dir, 'in'), done: path.join(dir, 'done') } });
  t.equal(c.stateDir, path.join(dir, 'state'));
  t.equal(c.spoolRoot, process.env.CLEAVE_SPOOL_DIR ?? path.join(dir, 'state', 'spool'));
  t.same(c.telemetry!.targets, [`file:${path.join(dir, 'telemetry.jsonl')}`, 'mqtt://127.0.0.1:1883/lab']);
  t.same(writablePaths(c).sort(), [path.join(dir, 'state'), '/srv/out', path.join(dir, 'done'), path.join(dir, 'in'), dir].sort());

  fs.writeFileSync(path.join(dir, 'd.json'), JSON.stringify({ role: 'tail', tail: { plan: 'p/plan.json', segment: 1, listen: '0.0.0.0:7000' } }));
  const j = await loadDaemonConfig(path.join(dir, 'd.json'));
  t.same(j.tail, { plan: path.join(dir, 'p', 'plan.json'), segment: 1, listen: '0.0.0.0:7000' });
  t.equal(j.head, undefined);

  fs.writeFileSync(path.join(dir, 'broken.yaml'), 'role: head\n  head: [\n');
  await t.rejects(loadDaemonConfig(path.join(dir, 'broken.yaml')), { code: 'CONFIG_INVALID', message: /broken\.yaml: not YAML \(/ });
  fs.writeFileSync(path.join(dir, 'broken.json'), '{"role": ');
  await t.rejects(loadDaemonConfig(path.join(dir, 'broken.json')), { code: 'CONFIG_INVALID', message: /broken\.json: not JSON \(/ });
  await t.rejects(loadDaemonConfig(path.join(dir, 'missing.yaml')), { code: 'FILE_NOT_FOUND', message: /missing\.yaml: cannot read daemon config: no such file or directory$/ });
});

t.test('cleave daemon --check: exit 1 and the field on a bad config, 0 on a good one', async (t) => {
  const bad = path.join(tmp, 'bad.yaml');
  fs.writeFileSync(bad, 'role: head\nhead:\n  model: m.tflite\n  source: { directory: { path: in, pollMs: 5 } }\n  results: { dir: out }\n');
  const r = cleave(['daemon', '--config', bad, '--check']);
  t.equal(r.status, 1, r.stderr);
  t.match(r.stderr, /^cleave: .*bad\.yaml: head\.source\.directory\.pollMs: must be >= 50, got number 5\n$/);
  const good = path.join(tmp, 'good.yaml');
  fs.writeFileSync(good, 'role: head\nhead:\n  model: m.tflite\n  source: { directory: { path: in } }\n  results: { dir: out }\n');
  const ok = cleave(['daemon', '--config', good, '--check']);
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /good\.yaml: valid \(role head\)/);
});
