// `npm run fuzz [-- --mutants N] [-- --program-mutants M] [-- --seed S]`: a longer robustness run
// than the test suite's. N mutants of every shipped model go through parse, compile, load and run;
// M mutants of every shipped model's compiled Program (and of the version-1 fixtures), checksums
// re-signed, go through load and run. Each stage's pass count is printed, so mutants that all stop
// at the first check show. Every mutant must end in a result or a typed CleaveError; a crash ends
// this process, which is the failure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileGraph } from '../../src/compile/program';
import { readModelFile } from '../../src/model/reader';
import { MUTATIONS, PROGRAM_MUTATIONS, mutate, mutateProgram, prng } from './mutate';
import { addCounts, formatCounts, fuzzModelMutant, fuzzProgramMutant, kernelsFor, newCounts, settle } from './stages';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const modelMutants = arg('mutants', 1000);
const programMutants = arg('program-mutants', 10000);
const seed = arg('seed', Date.now() % 1e9);
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
    for (let i = 0; i < modelMutants; i++) {
      const kind = MUTATIONS[i % MUTATIONS.length]!;
      if (i % 50 === 0) await settle();
      fuzzModelMutant(mutate(original, kind, rand), `${model.name} mutant ${i} (${kind}, seed ${seed})`, counts, { kernels: kernelsFor(i, MUTATIONS.length) });
    }
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
    for (let i = 0; i < programMutants; i++) {
      const kind = PROGRAM_MUTATIONS[i % PROGRAM_MUTATIONS.length]!;
      if (i % 50 === 0) await settle();
      fuzzProgramMutant(mutateProgram(original, kind, rand), `${name} Program mutant ${i} (${kind}, seed ${seed})`, counts, { kernels: kernelsFor(i, PROGRAM_MUTATIONS.length) });
    }
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
