// `cleave flash` on real boards with stand-in flashers: a script named like the tool (st-flash,
// picotool, openocd, pyocd) first on PATH records its argv and keeps the image file it was given.
// Each gets the descriptor's command with {firmware} (and {port}) filled in, and the image format
// its driver takes: a .bin that starts with the vector table, a RAM-only UF2 that parses back to
// the .bin, an ELF, Intel HEX. A failing or missing flasher is an error naming board, tool and
// exit status or package.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave, repoRoot } from '../lib/cli';
import { toolsPresent } from './emulated';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-flash-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const fakeBin = path.join(tmp, 'bin');
const record = path.join(tmp, 'record');
fs.mkdirSync(fakeBin);
// Records argv (one per line) and copies every argument that is a file; fails when told to.
const FAKE = `#!/bin/sh
printf '%s\\n' "$(basename "$0")" "$@" > "$FAKE_FLASH_RECORD/argv"
for a in "$@"; do if [ -f "$a" ]; then cp "$a" "$FAKE_FLASH_RECORD/image"; fi; done
echo "writing the image"
if [ -n "$FAKE_FLASH_FAIL" ]; then echo "probe: connecting" >&2; echo "Error: no ST-LINK detected" >&2; exit "$FAKE_FLASH_FAIL"; fi
`;
for (const tool of ['st-flash', 'picotool', 'openocd', 'pyocd']) fs.writeFileSync(path.join(fakeBin, tool), FAKE, { mode: 0o755 });

// Catalog copies where nucleo-l4r5zi is flashed by openocd or by pyocd (no shipped board uses them yet).
function catalogWith(name: string, flashSection: object): string {
  const dir = path.join(tmp, name);
  fs.cpSync(path.join(repoRoot, 'boards'), dir, { recursive: true });
  const file = path.join(dir, 'nucleo-l4r5zi.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), flash: flashSection }));
  return dir;
}
const boards = path.join(repoRoot, 'boards');
const openocdBoards = catalogWith('boards-openocd', { method: 'openocd', command: ['openocd', '-f', 'board/st_nucleo_l4.cfg', '-c', 'program {firmware} verify reset exit'] });
const pyocdBoards = catalogWith('boards-pyocd', { method: 'pyocd', command: ['pyocd', 'flash', '--uid', '{port}', '{firmware}'] });

function flash(args: string[], env: NodeJS.ProcessEnv = {}) {
  fs.rmSync(record, { recursive: true, force: true });
  fs.mkdirSync(record);
  return cleave(['flash', ...args], { env: { PATH: `${fakeBin}${path.delimiter}${process.env.PATH}`, FAKE_FLASH_RECORD: record, CLEAVE_BOARDS_DIR: boards, ...env }, timeout: 5 * 60_000 });
}
const recorded = () => fs.readFileSync(path.join(record, 'argv'), 'utf8').trimEnd().split('\n');
const image = () => fs.readFileSync(path.join(record, 'image'));

t.test('nucleo-l4r5zi: st-flash writes a .bin that starts with the vector table at 0x08000000', async (t) => {
  if (!toolsPresent(t)) return;
  const out = path.join(tmp, 'nucleo');
  const kws = path.join(repoRoot, 'models', 'mlperf_tiny_kws', 'model.tflite');
  const r = flash(['--board', 'nucleo-l4r5zi', '--program', kws, '--out', out]);
  t.equal(r.status, 0, r.stderr);
  const bin = path.join(out, 'cleave-firmware.bin');
  t.same(recorded(), ['st-flash', '--reset', 'write', bin, '0x08000000'], 'the descriptor command, {firmware} = the .bin');
  const firmware = image();
  t.same(firmware, fs.readFileSync(bin), 'the flasher got the .bin');
  const stackTop = firmware.readUInt32LE(0), reset = firmware.readUInt32LE(4);
  t.ok(stackTop > 0x20000000 && stackTop <= 0x20000000 + 640 * 1024, `initial SP 0x${stackTop.toString(16)} is in the SRAM`);
  t.ok(reset & 1 && reset > 0x08000000 && reset < 0x08000000 + firmware.length, `reset vector 0x${reset.toString(16)}: Thumb code inside the image`);
  t.match(r.stdout, /writing the image/, "the flasher's output is shown");
  t.match(r.stdout, /nucleo-l4r5zi: flashed .*cleave-firmware\.bin .*with resident Program .*model\.tflite \(sha256 [0-9a-f]{16}/);
});

t.test('rp2040-pico: picotool loads a RAM-only UF2 whose blocks hold the image from 0x20000000', async (t) => {
  if (!toolsPresent(t)) return;
  const out = path.join(tmp, 'pico');
  const r = flash(['--board', 'rp2040-pico', '--out', out, '--json']);
  t.equal(r.status, 0, r.stderr);
  const uf2 = path.join(out, 'cleave-firmware.uf2');
  t.same(recorded(), ['picotool', 'load', '-x', uf2]);
  t.match(JSON.parse(r.stdout), { board: 'rp2040-pico', method: 'picotool', firmware: uf2, program: null, command: ['picotool', 'load', '-x', uf2], flashBytes: Number, ramBytes: Number }, '--json summary');
  const file = image();
  const bin = fs.readFileSync(path.join(out, 'cleave-firmware.bin'));
  const blocks = file.length / 512;
  t.equal(blocks, Math.ceil(bin.length / 256), 'one 512-byte block per 256 bytes of the image');
  const payloads: Buffer[] = [];
  for (let i = 0; i < blocks; i++) {
    const b = file.subarray(512 * i, 512 * (i + 1));
    t.ok(b.readUInt32LE(0) === 0x0a324655 && b.readUInt32LE(4) === 0x9e5d5157 && b.readUInt32LE(508) === 0x0ab16f30 &&
      b.readUInt32LE(8) === 0x2000 && b.readUInt32LE(28) === 0xe48bff56 && b.readUInt32LE(16) === 256 &&
      b.readUInt32LE(20) === i && b.readUInt32LE(24) === blocks && b.readUInt32LE(12) === 0x20000000 + 256 * i, `block ${i}`);
    payloads.push(b.subarray(32, 32 + 256));
  }
  t.same(Buffer.concat(payloads).subarray(0, bin.length), bin, 'the payloads are the image');
});

t.test('openocd gets the ELF; pyocd gets Intel HEX and the --port', async (t) => {
  if (!toolsPresent(t)) return;
  const openocd = flash(['--board', 'nucleo-l4r5zi', '--out', path.join(tmp, 'openocd')], { CLEAVE_BOARDS_DIR: openocdBoards });
  t.equal(openocd.status, 0, openocd.stderr);
  const elf = path.join(tmp, 'openocd', 'cleave-firmware.elf');
  t.same(recorded(), ['openocd', '-f', 'board/st_nucleo_l4.cfg', '-c', `program ${elf} verify reset exit`], '{firmware} inside an argument');
  const out = path.join(tmp, 'pyocd');
  const pyocd = flash(['--board', 'nucleo-l4r5zi', '--out', out, '--port', '0670FF3632'], { CLEAVE_BOARDS_DIR: pyocdBoards });
  t.equal(pyocd.status, 0, pyocd.stderr);
  const hex = path.join(out, 'cleave-firmware.hex');
  t.same(recorded(), ['pyocd', 'flash', '--uid', '0670FF3632', hex]);
  const lines = image().toString('ascii').trimEnd().split(/\r?\n/);
  t.ok(lines.every((l) => /^:[0-9A-F]{10,}$/.test(l)), 'Intel HEX records');
  t.equal(lines.at(-1), ':00000001FF', 'ends with the end-of-file record');
  const noPort = flash(['--board', 'nucleo-l4r5zi', '--out', out], { CLEAVE_BOARDS_DIR: pyocdBoards });
  t.equal(noPort.status, 2, noPort.stderr);
  t.match(noPort.stderr, /nucleo-l4r5zi: its flash command \(pyocd flash --uid \{port\} \{firmware\}\) needs the board's port: give --port/);
});

t.test('--dry-run prints the flash command and runs nothing', async (t) => {
  if (!toolsPresent(t)) return;
  const out = path.join(tmp, 'dry');
  const r = flash(['--board', 'nucleo-l4r5zi', '--out', out, '--dry-run']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, `st-flash --reset write ${path.join(out, 'cleave-firmware.bin')} 0x08000000\n`);
  t.notOk(fs.existsSync(path.join(record, 'argv')), 'the flasher did not run');
});

t.test('a failing flasher: the board, the tool, its exit status and its last stderr lines', async (t) => {
  if (!toolsPresent(t)) return;
  const r = flash(['--board', 'nucleo-l4r5zi', '--out', path.join(tmp, 'fail')], { FAKE_FLASH_FAIL: '3' });
  t.equal(r.status, 69, r.stderr);
  t.equal(r.stderr.trimEnd().split('\n').at(-1), 'cleave: nucleo-l4r5zi: st-flash exited with 3; its last stderr lines: probe: connecting | Error: no ST-LINK detected');
});

t.test('a missing flasher is named with its package', async (t) => {
  if (!toolsPresent(t)) return;
  const withoutFlashers = (process.env.PATH ?? '').split(path.delimiter).filter((d) => !fs.existsSync(path.join(d, 'picotool'))).join(path.delimiter);
  fs.rmSync(record, { recursive: true, force: true });
  fs.mkdirSync(record);
  const r = cleave(['flash', '--board', 'rp2040-pico', '--out', path.join(tmp, 'missing')], { env: { PATH: withoutFlashers, CLEAVE_BOARDS_DIR: boards }, timeout: 5 * 60_000 });
  t.equal(r.status, 69, r.stderr);
  t.match(r.stderr, /^cleave: picotool: not found on PATH, needed to flash rp2040-pico \(Debian: picotool\)\n$/);
});

t.test('a board without a firmware flash method is refused, naming it', async (t) => {
  const r = flash(['--board', 'rpi5']);
  t.equal(r.status, 1, r.stderr);
  t.match(r.stderr, /rpi5 has no firmware flash method in its descriptor/);
});

t.test('a resident Program the board has no room for is refused before the build, naming the numbers', async (t) => {
  // Catalog copies where nucleo-l4r5zi has 30,000 bytes of flash (kws's Program is 37 KB), or
  // 10,000 bytes of RAM (its arena is 16 KB; the Program itself lies in flash, so RAM holds only that).
  const kws = path.join(repoRoot, 'models', 'mlperf_tiny_kws', 'model.tflite');
  const withMemory = (name: string, memory: object) => {
    const dir = path.join(tmp, name);
    fs.cpSync(path.join(repoRoot, 'boards'), dir, { recursive: true });
    const file = path.join(dir, 'nucleo-l4r5zi.json');
    const descriptor = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...descriptor, memory: { ...descriptor.memory, ...memory } }));
    return dir;
  };
  const small = flash(['--board', 'nucleo-l4r5zi', '--program', kws, '--dry-run'], { CLEAVE_BOARDS_DIR: withMemory('boards-small-flash', { flashBytes: 30_000 }) });
  t.equal(small.status, 1, small.stderr);
  t.match(small.stderr, /: \d+ Program bytes, nucleo-l4r5zi has 30000 bytes of flash/);
  const tight = flash(['--board', 'nucleo-l4r5zi', '--program', kws, '--dry-run'], { CLEAVE_BOARDS_DIR: withMemory('boards-small-ram', { ramBytes: 10_000 }) });
  t.equal(tight.status, 1, tight.stderr);
  t.match(tight.stderr, /: a 16000-byte arena, nucleo-l4r5zi has 10000 bytes of RAM/);
  // 40,000 bytes of RAM hold kws's arena, though not its Program with it: resident, it is not refused.
  const roomy = flash(['--board', 'nucleo-l4r5zi', '--program', kws, '--dry-run'], { CLEAVE_BOARDS_DIR: withMemory('boards-40k-ram', { ramBytes: 40_000 }) });
  t.notMatch(roomy.stderr, /MCU_DOES_NOT_FIT|bytes of RAM/, 'the Program does not count against RAM');
});
