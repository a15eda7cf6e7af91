// A plan names its segment files; every one of them (the .tflite and the Program) must be a plain
// file name inside the plan's directory. A plan is data that may come from elsewhere: a name that
// points outside the directory is refused when the plan is read, naming the segment and the field.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readModelFile } from '../../src/model/reader';
import { PlanRunner, writePlan } from '../../src/segments/plan';
import { shippedModels } from '../lib/models';

const helloWorld = shippedModels().find((m) => m.name === 'tflm_hello_world')!;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-plan-files-'));
const planPath = path.join(dir, 'plan.json');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

let written = '';
t.before(async () => {
  await writePlan(readModelFile(helloWorld.file), [1], dir);
  written = fs.readFileSync(planPath, 'utf8');
});

function withSegmentField(field: 'tflite' | 'program', value: unknown): void {
  const plan = JSON.parse(written);
  plan.segments[1][field] = value;
  fs.writeFileSync(planPath, JSON.stringify(plan));
}

t.test('a plan with plain file names loads', async (t) => {
  const runner = await PlanRunner.load(planPath);
  t.equal(runner.plan.segments.length, 2);
  runner.dispose();
});

for (const field of ['tflite', 'program'] as const) {
  t.test(`a segment's ${field} must be a file name inside the plan directory`, async (t) => {
    for (const bad of ['../../etc/passwd', '/etc/passwd', '..', '.', '', 'sub/seg1.tflite', '..\\seg1.tflite', 42, null]) {
      withSegmentField(field, bad);
      await t.rejects(PlanRunner.load(planPath), {
        code: 'BAD_PLAN',
        message: `${planPath}: segment 1 ${field} must be a file name inside the plan directory, got ${JSON.stringify(bad)}`,
      }, JSON.stringify(bad));
    }
  });
}
