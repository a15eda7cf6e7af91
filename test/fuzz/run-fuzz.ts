// `npm run fuzz [-- --mutants N] [-- --seed S]`: a longer robustness run than the test suite's. Every
// mutant of every shipped model must end in a parsed model or a typed ModelError; every
// checksum-valid mutant of every compiled Program must be refused or run without crashing (a crash
// ends this process, which is the failure).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readModel } from '../../src/model/reader';
import { ModelError } from '../../src/model/errors';
import { buildReport } from '../../src/inspect';
import { compileGraph } from '../../src/compile/program';
import { crc32 } from '../../src/compile/crc32';
import { readModelFile } from '../../src/model/reader';
import { Session } from '../../src/session';
import { CleaveError } from '../../src/errors';
import { MUTATIONS, mutate, prng } from './mutate';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const mutants = arg('mutants', 20000);
const seed = arg('seed', Date.now() % 1e9);
const root = path.resolve(__dirname, '..', '..', '..', 'models');  // dist/test/fuzz -> the repository's models/
const files = [root, path.join(root, 'extra')].flatMap((dir) =>
  fs.readdirSync(dir).map((m) => path.join(dir, m, 'model.tflite')).filter((f) => fs.existsSync(f)));

let failures = 0;
for (const file of files) {
  const original = fs.readFileSync(file);
  const rand = prng(seed);
  const counts = { parsed: 0, rejected: 0 };
  for (let i = 0; i < mutants; i++) {
    const kind = MUTATIONS[i % MUTATIONS.length]!;
    const bytes = mutate(original, kind, rand);
    try {
      buildReport(readModel(bytes, `${file}#${i}`));
      counts.parsed++;
    } catch (err) {
      if (err instanceof ModelError) counts.rejected++;
      else {
        failures++;
        console.error(`UNTYPED ERROR ${file} mutant ${i} (${kind}, seed ${seed}): ${(err as Error).stack}`);
      }
    }
  }
  console.log(`${path.basename(path.dirname(file))}: ${mutants} mutants, ${counts.parsed} parsed, ${counts.rejected} rejected`);
}
for (const file of files) {
  const program = compileGraph(readModelFile(file)).bytes;
  const rand = prng(seed);
  const counts = { ran: 0, rejected: 0 };
  for (let i = 0; i < mutants / 4; i++) {
    const kind = MUTATIONS[i % MUTATIONS.length]!;
    const bytes = mutate(program, kind, rand);
    if (bytes.length >= 16) new DataView(bytes.buffer, bytes.byteOffset).setUint32(12, crc32(bytes.subarray(16)), true);
    let session: Session;
    try {
      session = Session.fromBytes(bytes, `${file}.cprog#${i}`, { threads: 1, kernels: i % 2 ? 'reference' : 'auto' });
    } catch (err) {
      if (err instanceof CleaveError) counts.rejected++;
      else {
        failures++;
        console.error(`UNTYPED ERROR ${file} program mutant ${i} (${kind}, seed ${seed}): ${(err as Error).stack}`);
      }
      continue;
    }
    session.runSync(session.inputs.map((x) => new Uint8Array(x.byteLength)));
    session.dispose();
    counts.ran++;
  }
  console.log(`${path.basename(path.dirname(file))} Program: ${mutants / 4} mutants, ${counts.ran} ran, ${counts.rejected} rejected`);
}
console.log(`seed ${seed}: ${failures} untyped failures`);
process.exitCode = failures ? 1 : 0;
