// `cleave verify`: the golden check of every shipped model (what `cleave demo` was before the demo became the main job).
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave } from '../lib/cli';
import { shippedModels } from '../lib/models';

const models = shippedModels();

t.test('cleave verify: every golden case of every shipped model matches', async (t) => {
  const r = cleave(['verify']);
  t.equal(r.status, 0, r.stderr);
  for (const m of models) t.match(r.stdout, new RegExp(`${m.name}\\s`));
  const ratios = [...r.stdout.matchAll(/\s(\d+)\/(\d+)\s/g)];
  t.equal(ratios.length, 6, 'six models with goldens');
  for (const [, a, b] of ratios) t.equal(a, b);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-nomodels-'));
  const e = cleave(['verify', '--models', empty]);
  t.equal(e.status, 1);
  t.match(e.stderr, /no models found/);
});
