// Op conformance with TensorFlow Lite Micro: every case of test/fixtures/conformance (one single-op
// int8 model each, with the outputs TFLM's reference kernels computed) gives the same bytes on the
// reference kernels and on every optimized set this CPU can run, with one and with two threads.
// Stateless cases: each input set on its own. Stateful cases (SVDF): the input sets in order on one
// session, so the state carries over as in TFLM.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from '../../src/session';
import { type KernelSet, runnableKernelSets } from '../lib/kernel-sets';
import { repoRoot } from '../lib/cli';

const root = path.join(repoRoot, 'test', 'fixtures', 'conformance');

interface CaseTensor { name: string; dtype: string; files: string[] }
interface CaseFile { op: string; runs: number; stateful: boolean; inputs: CaseTensor[]; outputs: CaseTensor[] }
interface IndexEntry { op: string; path: string; runs: number; stateful: boolean }

const cases = (JSON.parse(fs.readFileSync(path.join(root, 'index.json'), 'utf8')) as { cases: IndexEntry[] }).cases;

/** Runs one case; returns what differs from TFLM (empty when every output of every run is equal). */
async function differences(entry: IndexEntry, kernels: KernelSet, threads: number): Promise<string[]> {
  const dir = path.join(root, entry.path);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as CaseFile;
  const session = await load(path.join(dir, 'model.tflite'), { kernels, threads });
  const diffs: string[] = [];
  try {
    for (let k = 0; k < meta.runs; k++) {
      if (!meta.stateful) await session.resetState();
      const inputs = meta.inputs.map((x) => new Uint8Array(fs.readFileSync(path.join(dir, x.files[k]!))));
      const outputs = await session.run(inputs);
      meta.outputs.forEach((x, j) => {
        const want = fs.readFileSync(path.join(dir, x.files[k]!));
        const o = outputs[j]!;
        const got = Buffer.from(o.buffer, o.byteOffset, o.byteLength);
        if (!got.equals(want)) diffs.push(`run ${k} output ${j} (${x.dtype}): ${firstDifference(got, want)}`);
      });
    }
  } finally {
    session.dispose();
  }
  return diffs;
}

function firstDifference(got: Buffer, want: Buffer): string {
  if (got.length !== want.length) return `${got.length} bytes, expected ${want.length}`;
  const i = got.findIndex((b, k) => b !== want[k]);
  return `first differing byte ${i}: ${got[i]}, expected ${want[i]}`;
}

t.test('the fixture holds every case', async (t) => {
  t.equal(cases.length, 299);
  t.equal(cases.filter((c) => c.stateful).length, 11, 'SVDF cases are stateful');
});

for (const kernels of runnableKernelSets()) for (const threads of [1, 2]) {
  t.test(`${kernels} kernels, ${threads} thread${threads > 1 ? 's' : ''}`, async (t) => {
    for (const entry of cases) t.same(await differences(entry, kernels, threads), [], entry.path);
  });
}
