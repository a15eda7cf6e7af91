// The README's JavaScript snippets run as written against the built package, required and
// imported by its name ("cleave") the way a user's project would: a ```js block as CommonJS, an
// ```mjs block as an ES module.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../lib/cli';

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```(js|mjs|cjs)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));

// A user's project: the package installed under node_modules, and the shipped models the snippets name.
const project = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-readme-'));
t.teardown(() => fs.rmSync(project, { recursive: true, force: true }));
fs.mkdirSync(path.join(project, 'node_modules'));
fs.symlinkSync(repoRoot, path.join(project, 'node_modules', 'cleave'), 'dir');
fs.symlinkSync(path.join(repoRoot, 'models'), path.join(project, 'models'), 'dir');

t.test('the README shows both require and import', async (t) => {
  t.ok(blocks.some((b) => b.lang === 'js' && /require\('cleave'\)/.test(b.code)), 'a CommonJS block');
  t.ok(blocks.some((b) => b.lang === 'mjs' && /from 'cleave'/.test(b.code)), 'an ES module block');
});

for (const [i, block] of blocks.entries()) {
  t.test(`README ${block.lang} snippet ${i + 1} runs as written`, async (t) => {
    const file = path.join(project, `snippet${i}.${block.lang === 'mjs' ? 'mjs' : 'cjs'}`);
    fs.writeFileSync(file, block.code);
    const r = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    t.equal(r.signal, null, 'not killed');
    t.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    t.equal(r.stderr, '', 'nothing on stderr');
    if (/thread: 2/.test(block.code)) t.match(r.stdout, /true BAD_ARGUMENT load: unknown option "thread"/);
  });
}
