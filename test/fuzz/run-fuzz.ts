// `npm run fuzz -- [--mutants N] [--program-mutants M] [--seed S] [--help]`: a longer robustness run
// than the test suite's. N mutants of every shipped model go through parse, compile, load and run;
// M mutants of every shipped model's compiled Program (and of the version-1 fixtures), checksums
// re-signed, go through load and run. Each stage's pass count is printed, so mutants that all stop
// at the first check show. Every mutant must end in a result or a typed CleaveError; a crash ends
// this process, which is the failure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CleaveError } from '../../src/errors';
import { parseInteger } from '../../src/cli/flags';
import { startProgress } from '../../src/cli/progress';
import { compileGraph } from '../../src/compile/program';
import { readModelFile } from '../../src/model/reader';
import { MUTATIONS, PROGRAM_MUTATIONS, mutate, mutateProgram, prng } from './mutate';
import { addCounts, formatCounts, fuzzModelMutant, fuzzProgramMutant, kernelsFor, newCounts, settle } from './stages';

const USAGE = `usage: npm run fuzz -- [--mutants N] [--program-mutants M] [--seed S]

  --mutants N           mutants of every shipped model through parse, compile, load and run (default 1000)
  --program-mutants M   mutants of every compiled Program and fixture through load and run (default 10000)
  --seed S              seed of the mutations, to repeat a run (default: from the clock)
  -h, --help            print this and exit

Every mutant must end in a result or a typed CleaveError; an untyped error is printed and the run exits 1.
`;

/** The flags, strictly: an unknown flag or a value such as "1e3" is a usage error (exit 2), --help prints USAGE. */
function readFlags(): { modelMutants: number; programMutants: number; seed: number } | null {
  const { values } = parseArgs({
    options: { mutants: { type: 'string' }, 'program-mutants': { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) return null;
  const count = (flag: string, text: string | undefined, fallback: number) => (text === undefined ? fallback : parseInteger(flag, text, { min: 0 }));
  return {
    modelMutants: count('--mutants', values.mutants, 1000),
    programMutants: count('--program-mutants', values['program-mutants'], 10000),
    seed: count('--seed', values.seed, Date.now() % 1e9),
  };
}

let flags: ReturnType<typeof readFlags>;
try {
  flags = readFlags();
} catch (err) {
  process.stderr.write(`fuzz: ${err instanceof CleaveError ? err.message : (err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (flags === null) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const { modelMutants, programMutants, seed } = flags;
// Run from dist/test/fuzz: the repository root is three levels up.
const fixtures = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'programs');
const modelsRoot = path.resolve(__dirname, '..', '..', '..', 'models');
const models = [modelsRoot, path.join(modelsRoot, 'extra')].flatMap((dir) =>
  fs.readdirSync(dir).map((name) => ({ name, file: path.join(dir, name, 'model.tflite') })).filter((m) => fs.existsSync(m.file)));
const started = Date.now();

async function main(): Promise<void> {
  const modelTotal = newCounts();
  for (const model of models) {
    const original = fs.readFileSync(model.file);
    const rand = prng(seed);
    const counts = newCounts();
    const progress = startProgress(`${model.name} model`, modelMutants);
    for (let i = 0; i < modelMutants; i++) {
      const kind = MUTATIONS[i % MUTATIONS.length]!;
      if (i % 50 === 0) await settle();
      fuzzModelMutant(mutate(original, kind, rand), `${model.name} mutant ${i} (${kind}, seed ${seed})`, counts, { kernels: kernelsFor(i, MUTATIONS.length) });
      progress.advance();
    }
    progress.stop();
    console.log(`${model.name} model: ${formatCounts(counts)}`);
    addCounts(modelTotal, counts);
  }

  const programs: [string, Uint8Array][] = [
    ...models.map((m): [string, Uint8Array] => [m.name, compileGraph(readModelFile(m.file)).bytes]),
    ...fs.readdirSync(fixtures).filter((f) => f.endsWith('.cprog')).sort().map((f): [string, Uint8Array] => [f, fs.readFileSync(path.join(fixtures, f))]),
  ];
  const programTotal = newCounts();
  for (const [name, original] of programs) {
    const rand = prng(seed);
    const counts = newCounts();
    const progress = startProgress(`${name} Program`, programMutants);
    for (let i = 0; i < programMutants; i++) {
      const kind = PROGRAM_MUTATIONS[i % PROGRAM_MUTATIONS.length]!;
      if (i % 50 === 0) await settle();
      fuzzProgramMutant(mutateProgram(original, kind, rand), `${name} Program mutant ${i} (${kind}, seed ${seed})`, counts, { kernels: kernelsFor(i, PROGRAM_MUTATIONS.length) });
      progress.advance();
    }
    progress.stop();
    console.log(`${name} Program: ${formatCounts(counts, ['load', 'run'])}`);
    addCounts(programTotal, counts);
  }

  for (const failure of [...modelTotal.untyped, ...programTotal.untyped]) console.error(`UNTYPED ERROR ${failure}`);
  console.log(`models: ${formatCounts(modelTotal)}`);
  console.log(`Programs: ${formatCounts(programTotal, ['load', 'run'])}`);
  console.log(`seed ${seed}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exitCode = modelTotal.untyped.length + programTotal.untyped.length ? 1 : 0;
}

void main();
