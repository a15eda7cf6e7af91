// Acceptance: every tensor of every golden case in models/ equals TFLite Micro's
// reference interpreter byte for byte, on the reference kernels and on every optimized set this CPU
// can run, with one and two threads.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Session, type SessionOptions } from '../../src/session';
import { binding } from '../../src/native';
import { goldenCases, readManifest, shippedModels } from '../lib/models';

const features = binding.cpuFeatures();
const available = ([['avx2', features.avx2], ['avx512-vnni', features.avx512vnni], ['neon', features.neon], ['neon-dotprod', features.dotprod]] as const)
  .filter(([, has]) => has).map(([name]) => name);
// The reference kernels, every optimized set this CPU can run, and the default set on two threads.
const paths: SessionOptions[] = [
  { kernels: 'reference', threads: 1 },
  ...available.map((kernels) => ({ kernels, threads: 1 })),
  { kernels: 'auto', threads: 2 },
];

for (const m of shippedModels().filter((x) => x.hasGoldens)) for (const options of paths) {
  t.test(`${m.name} (${options.kernels}, ${options.threads} thread${options.threads! > 1 ? 's' : ''})`, async (t) => {
    const session = Session.fromBytes(fs.readFileSync(m.file), m.file, options);
    const cases = goldenCases(m);
    t.ok(cases.length >= 4, `${cases.length} cases`);
    for (const c of cases) {
      const manifest = readManifest(m, c);
      session.resetState();
      const inputs = session.inputs.map((i) => new Uint8Array(fs.readFileSync(path.join(m.dir, c, `t${i.index}.bin`))));
      const r = await session.runDetailed(inputs, { dump: true });
      const mismatched: string[] = [];
      for (const entry of manifest) {
        const want = fs.readFileSync(path.join(m.dir, c, entry.file));
        const got = r.dumps!.get(entry.index);
        if (!got || Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.byteLength), want) !== 0) {
          mismatched.push(`t${entry.index} (${entry.name})`);
        }
      }
      t.same(mismatched, [], `${c}: all ${manifest.length} tensors equal`);
      const out = session.outputs[0]!;
      t.same(Buffer.from(r.outputs[0]!.buffer, r.outputs[0]!.byteOffset, r.outputs[0]!.byteLength),
        fs.readFileSync(path.join(m.dir, c, `t${out.index}.bin`)), `${c}: returned output equals the golden output`);
    }
    session.dispose();
  });
}
