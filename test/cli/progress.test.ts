// The shared progress bar of src/cli/progress.ts on a pseudo-terminal: the delayed one (the plan
// search's) draws only once the work has lasted its delay, and report lines print above a bar.
import t from 'tap';
import * as path from 'node:path';
import { nodeOnTerminal, repoRoot } from '../lib/cli';

const progress = JSON.stringify(path.join(repoRoot, 'dist', 'src', 'cli', 'progress.js'));

/** Three steps of a delayed bar that waits `afterMs` before it draws. */
const delayed = (afterMs: number) => [
  '-e',
  `const { startDelayedProgress } = require(${progress}); const p = startDelayedProgress("search", { afterMs: ${afterMs} });` +
    ' for (let i = 1; i <= 3; i++) p.update(i, 3); p.stop();',
];

t.test('a delayed bar draws once the work has lasted its delay, and not before', async (t) => {
  const drawn = nodeOnTerminal(delayed(0));
  if (!drawn) {
    t.skip('script (util-linux) is not installed: no pseudo-terminal to test on');
    return;
  }
  t.equal(drawn.status, 0, drawn.stdout);
  t.match(drawn.stdout, /search \[.*\] 3\/3/, 'drawn at once with no delay');
  const quick = nodeOnTerminal(delayed(60_000))!;
  t.equal(quick.status, 0, quick.stdout);
  t.notMatch(quick.stdout, /search \[/, 'work shorter than the delay draws nothing');
});

t.test('print() puts a report line above the bar, on a line of its own', async (t) => {
  const r = nodeOnTerminal(['-e', `const { startProgress } = require(${progress}); const p = startProgress("rows", 2);` +
    ' p.advance(); p.print("row one\\n"); p.advance(); p.stop();']);
  if (!r) {
    t.skip('script (util-linux) is not installed: no pseudo-terminal to test on');
    return;
  }
  t.equal(r.status, 0, r.stdout);
  t.match(r.stdout, /\r\u001b\[2Krow one\r?\n/, 'the bar\'s line cleared, then the row');
});
