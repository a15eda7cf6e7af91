import t from 'tap';
import { cleave, cleaveOnTerminal } from '../lib/cli';
import { shippedModels } from '../lib/models';

const models = shippedModels();
const vww = models.find((m) => m.name === 'mlperf_tiny_vww')!;
const sww = models.find((m) => m.name === 'mlperf_tiny_sww')!;

t.test('cleave codecs prints a row per codec with sizes, speeds, errors and output agreement', async (t) => {
  const r = cleave(['codecs', vww.file, '--at', '3', '--json']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '', 'no progress bar in a pipe');
  const report = JSON.parse(r.stdout);
  t.equal(report.cases, 6);
  t.same(report.crossing, [{ tensor: 60, shape: [1, 48, 48, 16], bytes: 36864 }]);
  const byName = Object.fromEntries(report.rows.map((row: { codec: string }) => [row.codec, row]));
  for (const name of ['raw', 'lossless', 'ts', 'tabq', 'ts+tabq', 'deflate-1 (reference)', 'deflate-6 (reference)']) t.ok(byName[name], name);
  for (const name of ['raw', 'lossless']) {
    t.equal(byName[name].maxAbsError, 0, `${name} is exact`);
    t.equal(byName[name].output.top1Agreement, 1);
    t.equal(byName[name].output.meanAbsDiff, 0, `${name} leaves the model output unchanged`);
  }
  t.ok(byName.lossless.ratioToInt8 > 1.5, `lossless ${byName.lossless.ratioToInt8}x smaller than raw int8`);
  t.ok(Math.abs(byName.raw.ratioToFp32 / byName.raw.ratioToInt8 - 4) < 0.01, 'fp32 is four times int8');
  t.ok(byName.tabq.maxAbsError <= 2, 'tabq stays inside its default error budget of 2');
  for (const row of report.rows) t.ok(row.encodeMBps > 0, `${row.codec} encode speed measured`);
  const table = cleave(['codecs', vww.file, '--at', '3']);
  t.match(table.stdout, /at cut 3: t60 \[1x48x48x16\] 36864 B; 6 golden case\(s\)/);
  t.match(table.stdout, /ts\+tabq\s+no\s+[\d,]+\s+[\d.]+x\s+[\d.]+x/);
});

t.test('a model without golden cases runs on a synthetic input and says so', async (t) => {
  const r = cleave(['codecs', sww.file, '--at', '2']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /1 synthetic input \(no golden cases found\)/);
});

t.test('bad arguments', async (t) => {
  t.match(cleave(['codecs', vww.file, '--at', '99']).stderr, /"99" is not a valid cut/);
  t.match(cleave(['codecs', vww.file, '--at', '3', '--error-budget', 'lots']).stderr, /--error-budget must be an integer/);
  const r = cleave(['codecs', vww.file, '--at', '3', '--error-budget', '500']);
  t.equal(r.status, 2, 'a usage error');
  t.match(r.stderr, /^cleave: --error-budget must be an integer from 0 to 127, got "500"\n$/, 'refused by the flag parser, naming the flag');
  const cases = cleave(['codecs', vww.file, '--at', '3', '--cases', '/nonexistent-cases']);
  t.equal(cases.status, 1);
  t.match(cases.stderr, /^cleave: \/nonexistent-cases: cannot read --cases directory: no such file or directory\n$/);
});

t.test('cleave codecs shows its progress on a terminal, and none in --json', async (t) => {
  const args = ['codecs', vww.file, '--at', '3'];
  const onTty = cleaveOnTerminal(args);
  if (!onTty) {
    t.skip('script (util-linux) is not installed: no pseudo-terminal to test on');
    return;
  }
  t.equal(onTty.status, 0, onTty.stdout);
  t.match(onTty.stdout, /codecs \[.*\] \d+\/42/, 'a bar over 7 codecs and yardsticks x 6 cases');
  const json = cleaveOnTerminal([...args, '--json'])!;
  t.equal(json.status, 0, json.stdout);
  t.notMatch(json.stdout, /\u001b/, 'no escape codes in --json, even on a terminal');
});
