// Robustness: 2,000 mutants of every shipped model each end in a parsed model or a typed
// ModelError; nothing else escapes, and the process survives. `npm run fuzz` runs more.
import t from 'tap';
import * as fs from 'node:fs';
import { readModel } from '../../src/model/reader';
import { ModelError } from '../../src/model/errors';
import { buildReport } from '../../src/inspect';
import { MUTATIONS, mutate, prng } from '../fuzz/mutate';
import { shippedModels } from '../lib/models';

const MUTANTS = 2000;
const SEED = 20261123;

for (const m of shippedModels()) {
  t.test(`${m.name}: ${MUTANTS} mutants`, async (t) => {
    const original = fs.readFileSync(m.file);
    const rand = prng(SEED);
    const seen = { parsed: 0, rejected: 0 };
    const untyped: string[] = [];
    for (let i = 0; i < MUTANTS; i++) {
      const kind = MUTATIONS[i % MUTATIONS.length]!;
      const bytes = mutate(original, kind, rand);
      try {
        buildReport(readModel(bytes, 'mutant.tflite'));
        seen.parsed++;
      } catch (err) {
        if (err instanceof ModelError && /^mutant\.tflite: /.test(err.message)) seen.rejected++;
        else untyped.push(`mutant ${i} (${kind}): ${(err as Error).stack}`);
      }
    }
    t.same(untyped, [], 'every failure is a ModelError naming the file');
    // The mutators must actually break things, or this test proves nothing.
    t.ok(seen.rejected > MUTANTS / 10, `${seen.rejected} of ${MUTANTS} rejected`);
    t.equal(seen.parsed + seen.rejected, MUTANTS);
  });
}
