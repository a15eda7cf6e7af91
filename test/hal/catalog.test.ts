// Board descriptors: every shipped one validates; broken ones are rejected naming the file and field.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { boardsDir, findBoard, loadBoardCatalog, validateDescriptor } from '../../hal/boards/catalog';
import type { BoardDescriptor } from '../../hal/boards/descriptor';

const EXPECTED = [
  'host-x86_64', 'jetson-agx-orin', 'jetson-nano', 'jetson-orin-nano', 'jetson-orin-nx',
  'mps2-an385', 'mps2-an505', 'nucleo-l4r5zi', 'rp2040-pico', 'rpi4', 'rpi5',
];

const catalog = loadBoardCatalog();
const rpi5 = (): BoardDescriptor => JSON.parse(fs.readFileSync(path.join(boardsDir(), 'rpi5.json'), 'utf8'));

t.test('the catalog holds every board the issue names, each valid', async (t) => {
  t.same(catalog.map((b) => b.id), EXPECTED);
  for (const b of catalog) t.equal(b.id, path.basename(b.id), `${b.id} id is a file name`);
});

t.test('firmware boards say how to flash and talk to them; emulated ones how to start', async (t) => {
  for (const b of catalog.filter((b) => b.runtime === 'firmware')) {
    t.ok(b.flash?.command.includes('{firmware}'), `${b.id} flash command takes the firmware`);
    t.ok(b.serial, `${b.id} has serial settings`);
    t.ok(b.memory.flashBytes && b.memory.ramBytes, `${b.id} has RAM and flash sizes`);
  }
  const mps2 = findBoard(catalog, 'mps2-an385');
  t.equal(mps2.emulation?.kind, 'system');
  t.same(mps2.emulation?.command.slice(0, 3), ['qemu-system-arm', '-M', 'mps2-an385']);
  t.match(mps2.emulation?.note, /0x40004000/);
  t.equal(new RegExp(mps2.emulation!.serialPtyPattern!).exec('char device redirected to /dev/pts/7 (label serial0)')?.[1], '/dev/pts/7');
});

t.test('power drivers are chosen by descriptor fields, e.g. the Jetsons', async (t) => {
  t.equal(findBoard(catalog, 'jetson-nano').power.sources[0]!.driver, 'ina3221-iio');
  t.equal(findBoard(catalog, 'jetson-orin-nano').power.sources[0]!.driver, 'ina3221-hwmon');
  t.equal(findBoard(catalog, 'rpi5').power.sources[0]!.driver, 'rpi-pmic');
  t.equal(findBoard(catalog, 'host-x86_64').power.sources[0]!.driver, 'rapl');
});

t.test('schema violations name the file and the field as a JSON pointer', async (t) => {
  const cases: [string, (b: Record<string, any>) => void, RegExp][] = [
    ['wrong type', (b) => (b.cpu.cores = 'four'), /^boards\/rpi5\.json: \/cpu\/cores: must be integer$/m],
    ['missing field', (b) => delete b.vendor, /^boards\/rpi5\.json: \/vendor: is required$/m],
    ['unknown field', (b) => (b.cpu.cache = '2MB'), /^boards\/rpi5\.json: \/cpu\/cache: is not a known field$/m],
    ['unknown driver', (b) => (b.power.sources[0].driver = 'magic'), /\/power\/sources\/0\/driver: must be one of "ina3221-hwmon"/],
    ['driver field missing', (b) => b.power.sources.push({ driver: 'rapl' }), /\/power\/sources\/2\/domains: is required/],
    ['field of another driver', (b) => (b.power.sources[0].rails = ['X']), /\/power\/sources\/0\/rails: is not a known field/],
    ['bad I2C address', (b) => (b.power.sources[1].address = '64'), /\/power\/sources\/1\/address: must match pattern/],
    ['negative idle watts', (b) => (b.power.model.idleWatts = -1), /\/power\/model\/idleWatts: must be >= 0/],
    ['unknown GPIO role', (b) => (b.gpio[0].role = 'blink'), /\/gpio\/0\/role: must be one of/],
    ['bad regular expression', (b) => (b.detect.all[0].pattern = '(Raspberry'), /\/detect\/all\/0\/pattern: not a regular expression/],
    ['firmware without flash', (b) => (b.runtime = 'firmware'), /\/flash: is required/],
    ['id unlike the file name', (b) => (b.id = 'rpi-five'), /\/id: is "rpi-five" but the file is named rpi5\.json/],
  ];
  for (const [what, breakIt, expected] of cases) {
    const broken = rpi5();
    breakIt(broken as Record<string, any>);
    t.throws(() => validateDescriptor(broken, 'boards/rpi5.json'), { code: 'BOARD_INVALID', message: expected }, what);
  }
});

t.test('totalRails must name rails the source lists', async (t) => {
  const b = JSON.parse(fs.readFileSync(path.join(boardsDir(), 'jetson-orin-nano.json'), 'utf8'));
  b.power.sources[0].totalRails = ['VDD_TOTAL'];
  t.throws(() => validateDescriptor(b, 'x/jetson-orin-nano.json'), { message: /\/power\/sources\/0\/totalRails: "VDD_TOTAL" is not in rails/ });
});

t.test('loading a folder with a broken file names that file; adding a file adds a board', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-boards-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const board = rpi5();
  board.id = 'my-board';
  fs.writeFileSync(path.join(dir, 'my-board.json'), JSON.stringify(board));
  t.same(loadBoardCatalog(dir).map((b) => b.id), ['my-board']);
  fs.writeFileSync(path.join(dir, 'broken.json'), '{ "id": "broken", ');
  t.throws(() => loadBoardCatalog(dir), { code: 'BOARD_INVALID', message: new RegExp(`${dir}/broken\\.json: not JSON`) });
  fs.writeFileSync(path.join(dir, 'broken.json'), JSON.stringify({ ...board, id: 'broken', memory: { ramBytes: 0 } }));
  t.throws(() => loadBoardCatalog(dir), { message: new RegExp(`${dir}/broken\\.json: /memory/ramBytes: must be >= 1`) });
});

t.test('an unknown board id lists the known ones', async (t) => {
  t.throws(() => findBoard(catalog, 'rpi6'), { code: 'BOARD_UNKNOWN', message: /no board "rpi6"; known boards: host-x86_64, .*rpi5/ });
});
