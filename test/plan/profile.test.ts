// Profiles: one record per op of the model, from the interpreter's own per-op timing, with the
// board, version, kernel set, threads and conditions recorded; energy labelled by how it was
// obtained. A profile file missing what the planner needs is refused, naming the file and field.
import t from 'tap';
import { readModelFile } from '../../src/model/reader';
import { opMacs } from '../../src/model/analysis';
import { packageVersion } from '../../src/paths';
import { profileModel, validateProfile } from '../../src/plan/profile';
import { shippedModels } from '../lib/models';

const kws = shippedModels().find((m) => m.name === 'mlperf_tiny_kws')!;

t.test('a profile times every op and records where and how it was measured', async (t) => {
  const graph = readModelFile(kws.file);
  const p = await profileModel(graph, kws.file, { board: 'host-x86_64', repeat: 2, inputSets: 1, energy: false });
  t.equal(p.board.id, 'host-x86_64');
  t.equal(p.cleaveVersion, packageVersion);
  t.equal(p.threads, 1);
  t.match(p.kernels, /^(reference|avx2|avx512-vnni|neon|neon-dotprod)$/);
  t.same(p.inputs, ['edge_all_127'], 'the first golden case beside the model');
  t.equal(p.ops.length, graph.ops.length);
  t.ok(p.ops.every((o, k) => o.opcode === graph.ops[k]!.opcode && o.micros >= 0 && o.macs === opMacs(graph, graph.ops[k]!)));
  t.ok(p.ops.some((o) => o.micros > 0));
  t.ok('governors' in p.conditions && 'temperatureC' in p.conditions && 'cpuMHz' in p.conditions);
  t.equal(p.energy.kind, 'none');
  t.ok(p.ops.every((o) => o.joules === undefined), 'no per-op energy without a meter reading');
  t.same(validateProfile('p.json', JSON.parse(JSON.stringify(p))), JSON.parse(JSON.stringify(p)));
});

t.test('malformed profiles are refused with the file and the field', async (t) => {
  t.throws(() => validateProfile('p.json', { format: 'other' }), { code: 'BAD_PROFILE', message: /p\.json: not a cleave profile/ });
  t.throws(() => validateProfile('p.json', { format: 'cleave-profile', version: 9 }), { code: 'BAD_PROFILE', message: /version 9/ });
  const base = { format: 'cleave-profile', version: 1, board: { id: 'x', cpu: {} } };
  t.throws(() => validateProfile('p.json', { ...base, ops: [] }), { code: 'BAD_PROFILE', message: /ops missing/ });
  t.throws(() => validateProfile('p.json', { ...base, ops: [{ opcode: 'ADD', micros: -1, macs: 0, bytes: 0 }] }), { code: 'BAD_PROFILE', message: /ops\[0\]/ });
});
