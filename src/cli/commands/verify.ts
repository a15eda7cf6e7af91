// `cleave verify [--models DIR]`: the golden check. Compiles every shipped model,
// runs every golden case through the native interpreter and checks the outputs byte for byte.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { summarize } from '../../model/analysis';
import { compileGraph } from '../../compile/program';
import { checkInputDir } from '../../io/files';
import { CleaveError } from '../../errors';
import { readModelFile } from '../../model/reader';
import { packageRoot } from '../../paths';
import { Session } from '../../session';
import { formatTable } from '../table';

function modelDirs(root: string): string[] {
  const dirs: string[] = [];
  for (const base of [root, path.join(root, 'extra')]) {
    if (!fs.existsSync(base)) continue;
    for (const name of fs.readdirSync(base).sort()) {
      if (fs.existsSync(path.join(base, name, 'model.tflite'))) dirs.push(path.join(base, name));
    }
  }
  return dirs;
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('compile and run every shipped model, checking outputs against the golden cases')
    .option('--models <dir>', 'models directory (default: the models/ shipped with cleave)')
    .action(async (opts: { models?: string }) => {
      const models = opts.models ?? path.join(packageRoot, 'models');
      if (opts.models !== undefined) await checkInputDir(models, '--models');
      const dirs = modelDirs(models);
      if (dirs.length === 0) throw new CleaveError('FILE_NOT_FOUND', `${models}: no models found (expected <model>/model.tflite)`);
      const rows: (string | number)[][] = [];
      let failures = 0;
      for (const dir of dirs) {
        const name = path.basename(dir);
        process.stderr.write(`running ${name}…\n`);
        const graph = readModelFile(path.join(dir, 'model.tflite'));
        const compiled = compileGraph(graph);
        const session = Session.fromBytes(compiled.bytes, name);
        const cases = fs.readdirSync(dir).filter((c) => fs.existsSync(path.join(dir, c, 'manifest.json'))).sort();
        let matched = 0;
        const micros: number[] = [];
        for (const c of cases) {
          session.resetState();
          const inputs = session.inputs.map((i) => new Uint8Array(fs.readFileSync(path.join(dir, c, `t${i.index}.bin`))));
          const r = await session.runDetailed(inputs);
          micros.push(r.micros);
          const want = fs.readFileSync(path.join(dir, c, `t${session.outputs[0]!.index}.bin`));
          const got = r.outputs[0]!;
          if (Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.byteLength), want) === 0) matched++;
          else failures++;
        }
        if (cases.length === 0) {
          const r = await session.runDetailed(session.inputs.map((i) => new Uint8Array(i.byteLength)));
          micros.push(r.micros);
        }
        const kernels = session.kernels;
        session.dispose();
        micros.sort((a, b) => a - b);
        rows.push([
          name, graph.ops.length, summarize(graph).macs, compiled.arenaBytes,
          cases.length ? `${matched}/${cases.length}` : 'no goldens (ran)',
          micros[Math.floor(micros.length / 2)]!.toFixed(1),
          kernels,
        ]);
      }
      process.stdout.write(`${formatTable(['model', 'ops', 'MACs', 'arena B', 'golden outputs equal', 'median µs', 'kernels'], rows)}\n`);
      if (failures) throw new CleaveError('GOLDEN_MISMATCH', `${failures} case(s) differ from the golden outputs`);
    });
}
