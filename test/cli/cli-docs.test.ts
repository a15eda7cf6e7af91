// docs/cli.md is generated from the command tree (src/cli/reference.ts); a change to a command's
// flags or descriptions without `npm run gen:cli-docs` fails here.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { cliReference } from '../../src/cli/reference';
import { repoRoot } from '../lib/cli';

t.test('docs/cli.md is what the commands define (else: npm run gen:cli-docs)', async (t) => {
  const generated = cliReference(buildProgram());
  const onDisk = fs.readFileSync(path.join(repoRoot, 'docs', 'cli.md'), 'utf8');
  t.equal(onDisk, generated, 'docs/cli.md is stale: run `npm run gen:cli-docs`');
});

t.test('the reference covers every command and option, with fixed values listed', async (t) => {
  const program = buildProgram();
  const doc = cliReference(program);
  for (const cmd of program.commands) {
    t.match(doc, `## cleave ${cmd.name()}\n`, cmd.name());
    for (const o of cmd.options) if (!o.hidden) t.ok(doc.includes(`| \`${o.flags}\` |`), `${cmd.name()} ${o.flags}`);
  }
  t.match(doc, /`--kernels <set>` \| kernel set .*\(one of: auto, reference, avx512-vnni, avx2, neon, neon-dotprod\)/);
});

t.test('a changed description makes the reference differ', async (t) => {
  const program = buildProgram();
  const before = cliReference(program);
  program.commands.find((c) => c.name() === 'run')!.description('something else');
  t.not(cliReference(program), before);
});
