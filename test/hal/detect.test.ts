// Board detection from device-tree model, nv_tegra_release and cpuinfo under the configured root.
import t from 'tap';
import * as fs from 'node:fs';
import { loadBoardCatalog } from '../../hal/boards/catalog';
import { chooseBoard, cpuinfoField, detectBoard, readDetectionEvidence } from '../../hal/boards/detect';
import { halContext } from '../../hal/context';
import { emptyRoot, fixtureBoards, fixtureContext, scratchCopy } from '../lib/board-fixtures';

const catalog = loadBoardCatalog();

t.test('every Linux board has a fixture tree, and each is detected as itself', async (t) => {
  t.same(fixtureBoards, catalog.filter((b) => b.runtime === 'linux').map((b) => b.id));
  for (const id of fixtureBoards) {
    const board = await detectBoard(fixtureContext(id), catalog);
    t.equal(board.descriptor.id, id, `fixture ${id}`);
    t.equal(board.matched.length, board.descriptor.detect!.all.length, `${id}: every rule matched`);
  }
});

t.test('evidence is read as sysfs shows it: NUL-terminated device-tree strings', async (t) => {
  const raw = fs.readFileSync(`${fixtureContext('rpi5').root}/proc/device-tree/model`, 'latin1');
  t.ok(raw.endsWith('\0'), 'fixture keeps the NUL the kernel writes');
  const e = await readDetectionEvidence(fixtureContext('rpi5'));
  t.equal(e.deviceTreeModel, 'Raspberry Pi 5 Model B Rev 1.0');
  t.equal(e.nvTegraRelease, undefined);
  t.same(cpuinfoField(e.cpuinfo!, 'Model'), ['Raspberry Pi 5 Model B Rev 1.0']);
  t.same(cpuinfoField(e.cpuinfo!, 'CPU part'), ['0xd0b', '0xd0b', '0xd0b', '0xd0b']);
});

t.test('the Orin Nano is not mistaken for the (older) Jetson Nano, nor the reverse', async (t) => {
  const orin = await detectBoard(fixtureContext('jetson-orin-nano'), catalog);
  t.equal(orin.descriptor.id, 'jetson-orin-nano');
  // A JetPack 4 release file with an Orin model string matches neither board fully.
  const { ctx, file } = scratchCopy(t, 'jetson-nano');
  fs.writeFileSync(file('proc/device-tree/model'), 'NVIDIA Jetson Orin Nano Developer Kit\0');
  await t.rejects(detectBoard(ctx, catalog), { code: 'BOARD_UNKNOWN' });
});

t.test('firmware boards have no detection rules: cleave never runs on them', async (t) => {
  for (const b of catalog.filter((b) => b.runtime === 'firmware')) t.equal(b.detect, undefined, b.id);
});

t.test('this machine (x86-64 Linux, no device tree) is host-x86_64', { skip: process.arch !== 'x64' && 'not an x86-64 machine' }, async (t) => {
  const board = await detectBoard(halContext({ root: '/' }), catalog);
  t.equal(board.descriptor.id, 'host-x86_64');
});

t.test('an unrecognised machine is an error that shows what was read', async (t) => {
  await t.rejects(detectBoard(emptyRoot(t), catalog), {
    code: 'BOARD_UNKNOWN',
    message: /no board descriptor matches this machine \(root .*: device-tree model absent, nv_tegra_release absent, cpuinfo absent\)/,
  });
  const { ctx, file } = scratchCopy(t, 'rpi4');
  fs.writeFileSync(file('proc/device-tree/model'), 'Pine64 RockPro64 v2.1\0');
  await t.rejects(detectBoard(ctx, catalog), { message: /device-tree model "Pine64 RockPro64 v2\.1"/ });
});

t.test('two descriptors matching equally is an error naming both', async (t) => {
  const evidence = await readDetectionEvidence(fixtureContext('rpi4'));
  const rpi4 = catalog.find((b) => b.id === 'rpi4')!;
  const twin = { ...rpi4, id: 'rpi4-twin' };
  t.throws(() => chooseBoard([rpi4, twin], evidence, '/x'), { code: 'BOARD_AMBIGUOUS', message: /rpi4 and rpi4-twin both match/ });
  // A descriptor with more matching rules is more specific and wins.
  const specific = { ...rpi4, id: 'rpi4-specific', detect: { all: [...rpi4.detect!.all, { source: 'cpuinfo' as const, field: 'CPU part', pattern: '^0xd08$' }] } };
  t.equal(chooseBoard([rpi4, specific], evidence, '/x').descriptor.id, 'rpi4-specific');
});
