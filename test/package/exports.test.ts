// The package as a user gets it: `require('cleave')` resolved by name through package.json's
// `exports` map (a symlink in a temporary node_modules, as npm links a dependency) exposes the API,
// its codecs and its plans; dist/ internals cannot be deep-imported. Needs the built dist/ (tsc).
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../lib/cli';

const app = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-user-'));
fs.mkdirSync(path.join(app, 'node_modules'));
fs.symlinkSync(repoRoot, path.join(app, 'node_modules', 'cleave'), 'dir');
t.teardown(() => fs.rmSync(app, { recursive: true, force: true }));

/** Runs `script` with node in the user's directory; returns its stdout parsed as JSON. */
function inApp(script: string): unknown {
  const r = spawnSync(process.execPath, ['-e', script], { cwd: app, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node -e failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

t.test('require("cleave") exposes sessions, codecs and plans', async (t) => {
  const kinds = inApp(`
    const cleave = require('cleave');
    console.log(JSON.stringify(Object.fromEntries(Object.entries(cleave).map(([k, v]) => [k, typeof v]))));
  `) as Record<string, string>;
  for (const name of ['load', 'Session', 'readModel', 'readModelFile', 'compileGraph', 'CleaveError', 'ModelError',
    'encode', 'decode', 'codecInfo', 'listCuts', 'writePlan', 'PlanRunner']) {
    t.equal(kinds[name], 'function', name);
  }
  t.equal(kinds.CODECS, 'object', 'CODECS');
});

t.test('the exported codecs and plans work through the package entry', async (t) => {
  const model = path.join(repoRoot, 'models', 'tflm_hello_world', 'model.tflite');
  const got = inApp(`
    const cleave = require('cleave');
    const fs = require('fs'), os = require('os'), path = require('path');
    const data = Buffer.from([1, 2, 3, 250, 0, 0, 7, 8]);
    const wire = cleave.encode('lossless', { data, dtype: 'int8', shape: [2, 4], scale: 0.5, zeroPoint: 0 });
    const back = cleave.decode(wire);
    const graph = cleave.readModelFile(${JSON.stringify(model)});
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-user-plan-'));
    (async () => {
      const cuts = cleave.listCuts(graph).map((c) => c.position);
      await cleave.writePlan(graph, [cuts[0]], dir);
      const runner = await cleave.PlanRunner.load(path.join(dir, 'plan.json'));
      const whole = await cleave.load(${JSON.stringify(model)});
      const input = new Int8Array([17]);
      const [split] = await runner.run(input);
      const [direct] = await whole.run(input);
      runner.dispose(); whole.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
      console.log(JSON.stringify({ roundTrip: Buffer.compare(back.data, data) === 0, segments: runner.plan.segments.length,
        same: Buffer.compare(Buffer.from(split.buffer, split.byteOffset, split.byteLength), Buffer.from(direct.buffer, direct.byteOffset, direct.byteLength)) === 0 }));
    })();
  `);
  t.same(got, { roundTrip: true, segments: 2, same: true });
});

t.test('package.json is exported; dist/ internals are not', async (t) => {
  const got = inApp(`
    const attempt = (spec) => { try { require.resolve(spec); return 'resolved'; } catch (e) { return e.code; } };
    console.log(JSON.stringify({
      packageJson: require('cleave/package.json').name,
      session: attempt('cleave/dist/src/session.js'),
      codec: attempt('cleave/dist/src/codec'),
      native: attempt('cleave/build/Release/cleave.node'),
    }));
  `);
  t.same(got, { packageJson: 'cleave', session: 'ERR_PACKAGE_PATH_NOT_EXPORTED', codec: 'ERR_PACKAGE_PATH_NOT_EXPORTED', native: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
});

t.test('the types entry is the declarations of the package entry', async (t) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const entry = pkg.exports['.'];
  t.equal(entry.default.replace(/\.js$/, '.d.ts'), entry.types);
  const declarations = fs.readFileSync(path.join(repoRoot, entry.types), 'utf8');
  for (const name of ['encode', 'decode', 'PlanRunner', 'writePlan', 'listCuts', 'PlanFile', 'CodecName']) t.match(declarations, new RegExp(`\\b${name}\\b`), name);
});
