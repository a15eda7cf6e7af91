// Sessions on more than one thread share the process's thread pool (native/interp/thread_pool.cc),
// whose workers spin briefly after each op and then park: an idle session burns no CPU, and closing
// one whose workers are parked returns (and lets the process exit). Bounds are far from both
// outcomes: a worker that never parked would burn most of a core over the idle second.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session } from '../../src/session';
import { shippedModels } from '../lib/models';
import { repoRoot } from '../lib/cli';

const vww = shippedModels().find((m) => m.name === 'mlperf_tiny_vww')!;

t.test('a session on 2 threads that is idle uses no CPU', async (t) => {
  const s = Session.fromBytes(fs.readFileSync(vww.file), vww.file, { threads: 2 });
  t.teardown(() => s.dispose());
  t.equal(s.threads, 2, 'the session runs on 2 threads');
  const input = new Int8Array(s.inputs[0]!.byteLength).fill(3);
  for (let i = 0; i < 50; i++) s.runSync(input);
  await sleep(100); // past the workers' spin window
  const before = process.cpuUsage();
  await sleep(1000);
  const used = process.cpuUsage(before);
  const seconds = (used.user + used.system) / 1e6;
  t.ok(seconds < 0.3, `idle second used ${seconds.toFixed(3)} s of CPU (a spinning worker would use up to 1 s)`);
});

t.test('closing a 2-thread session whose workers are parked returns, and the process exits', async (t) => {
  // In a child process: a hang at dispose() or at exit meets the timeout instead of stalling tap.
  const script = `
    const { Session } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'src', 'session.js'))});
    const fs = require('node:fs');
    const s = Session.fromBytes(fs.readFileSync(${JSON.stringify(vww.file)}), 'vww', { threads: 2 });
    const input = new Int8Array(s.inputs[0].byteLength).fill(3);
    for (let i = 0; i < 20; i++) s.runSync(input);
    const threads = s.threads;
    setTimeout(() => { s.dispose(); console.log('closed on ' + threads + ' threads'); }, 100);
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) t.comment(run.stderr);
  t.equal(run.signal, null, 'not ended by a signal (a hang meets the 60 s timeout)');
  t.equal(run.status, 0, 'exit status');
  t.equal(run.stdout.trim(), 'closed on 2 threads', 'the session closed');
});
