// Builds the firmware-clean core alone with the host compiler (no addon, no optimized kernels) and
// runs test/native/interp_test.cc on Programs compiled here: op resolvers, kernel failures that
// reach the caller, recurrent state export/import.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileGraph } from '../../src/compile/program';
import { readModelFile } from '../../src/model/reader';
import { shippedModels } from '../lib/models';
import { coreSources, repoRoot } from '../lib/native-core';
import { withOpParam } from '../lib/program-edit';
import { averagePoolGraph, convGraph } from '../lib/synthetic';

t.test('core interpreter cases built with g++ -Werror all print ok', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-interp-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const conv = write('conv.cprog', compileGraph(convGraph({ height: 5, width: 5, inChannels: 3, outChannels: 4, kernel: 3 })).bytes);
  const pool = compileGraph(averagePoolGraph({ height: 4, width: 4, channels: 2, filter: 2, stride: 2 })).bytes;
  const padded = write('padded_pool.cprog', withOpParam(pool, 0, 4, 2)); // pad_top = the window height
  const scrambled = shippedModels().find((m) => m.name === 'tflm_keyword_scrambled')!;
  const svdf = write('svdf.cprog', compileGraph(readModelFile(scrambled.file)).bytes);

  const exe = path.join(dir, 'interp_test');
  try {
    execFileSync('g++', ['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', '-fno-exceptions', '-fno-rtti', '-Inative',
      ...coreSources, 'test/native/interp_test.cc', '-o', exe], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    t.fail(`g++ failed: ${err.stderr || err.message}`);
    return;
  }
  const run = spawnSync(exe, [conv, padded, svdf], { encoding: 'utf8', timeout: 60_000 });
  t.equal(run.status, 0, `interp_test exit status\n${run.stdout}${run.stderr}`);
  const lines = run.stdout.split('\n').filter((l) => /^(not )?ok \d+/.test(l));
  t.ok(lines.length >= 13, `every case reported (${lines.length})`);
  for (const l of lines) t.ok(l.startsWith('ok '), l);
});
