// The one op table (scripts/op-params/table.js) and what is generated from it: the generated C++
// views and TS layouts must be current, and the lowering's named values land at the declared words.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeParams } from '../../src/compile/op-params';
import { PARAM_LAYOUTS } from '../../src/compile/op-params.generated';

const repoRoot = path.resolve(__dirname, '..', '..');
const generator = path.join('scripts', 'op-params', 'generate.js');

t.test('the generated op parameter files are current', async (t) => {
  const r = spawnSync(process.execPath, [generator, '--check'], { cwd: repoRoot, encoding: 'utf8' });
  t.equal(r.status, 0, `generate.js --check: ${r.stderr}`);
});

t.test('a stale generated file fails the check, naming it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-op-params-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(repoRoot, 'scripts', 'op-params'), path.join(dir, 'scripts', 'op-params'), { recursive: true });
  for (const rel of ['native/interp/op_param_layout.h', 'src/compile/op-params.generated.ts']) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, rel), path.join(dir, rel));
  }
  fs.appendFileSync(path.join(dir, 'native/interp/op_param_layout.h'), '// edited by hand\n');
  const r = spawnSync(process.execPath, [generator, '--check'], { cwd: dir, encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, /stale generated files .*native\/interp\/op_param_layout\.h/);
  t.notMatch(r.stderr, /op-params\.generated\.ts/, 'the untouched file is not named');
});

t.test('named values are encoded at their declared words', async (t) => {
  const multiplier = { values: Int32Array.of(1) }, shift = { values: Int32Array.of(-1) };
  const words = encodeParams('DEPTHWISE_CONV_2D', {
    strideH: 1, strideW: 2, dilationH: 3, dilationW: 4, padTop: 5, padLeft: 6, inputOffset: 7, outputOffset: 8,
    actMin: -128, actMax: 127, multiplier, shift, depthMultiplier: 2,
  });
  t.same(words, [1, 2, 3, 4, 5, 6, 7, 8, -128, 127, multiplier, shift, 2], 'CONV_2D words first, then depth_multiplier');
  t.equal(words.length, PARAM_LAYOUTS.DEPTHWISE_CONV_2D.words);
  t.same(encodeParams('PAD', { before: [0, 1, 2, 3], after: [4, 5, 6, 7], value: -9 }), [0, 1, 2, 3, 4, 5, 6, 7, -9]);
  const dq = encodeParams('DEQUANTIZE', { scale: 0.5, zeroPoint: 3 });
  t.same(dq, Array.from(new Int32Array(new Float64Array([0.5]).buffer)).concat(3), 'float64 bits, low word first');
  t.same(encodeParams('QUANTIZE_FROM_FLOAT', { outputScale: 0.25, outputZeroPoint: -1 }), [new Int32Array(new Float32Array([0.25]).buffer)[0], -1]);
  t.throws(() => encodeParams('CONCATENATION', { axis: 1.5 }), { code: 'INTERNAL', message: /CONCATENATION parameter axis is 1\.5, not an int32/ });
});
