// Builds cleave's Cortex-M firmware (native/firmware/) for one board with arm-none-eabi-g++: the
// runtime core (core-sources.ts, the same list the addon's tests link), the Cortex-M kernels, the
// board support and the MCU protocol server, into an ELF and a flat BIN, and reports flash and RAM
// use. Objects are cached in build-firmware/objects/ by what makes them (flags, source, every
// header), so an image with other firmware options reuses the core's objects; an image is relinked
// only when an object or linker script changed. `npm run build:firmware` runs it for every firmware board.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CleaveError } from '../errors';
import { packageRoot } from '../paths';
import { coreSources, cortexmSources } from './core-sources';
import { programSha256 } from './protocol';

/**
 * The boards with board support in native/firmware/boards/<id>/ (board.h, link.ld, any .cc of its
 * own): the compiler's target flags, and whether QEMU emulates the board (the tests and benchmarks
 * that run images use those).
 */
export const FIRMWARE_TARGETS: Readonly<Record<string, { cpu: string; flags: readonly string[]; emulated: boolean }>> = {
  'mps2-an385': { cpu: 'cortex-m3', flags: [], emulated: true },
  'mps2-an505': { cpu: 'cortex-m33', flags: [], emulated: true },
  // The L4R5's single-precision FPU, used with the hard-float ABI; startup.cc turns it on.
  'nucleo-l4r5zi': { cpu: 'cortex-m4', flags: ['-mfpu=fpv4-sp-d16', '-mfloat-abi=hard'], emulated: false },
  'rp2040-pico': { cpu: 'cortex-m0plus', flags: [], emulated: false },
};

/** The boards QEMU emulates, and their cores (-mcpu). */
export const FIRMWARE_BOARDS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(FIRMWARE_TARGETS).filter(([, t]) => t.emulated).map(([id, t]) => [id, t.cpu]));

/** The target flags of a board's firmware, for every object and the link (the float ABI must agree). */
export function targetFlags(board: string): string[] {
  const target = FIRMWARE_TARGETS[board];
  if (!target) {
    throw new CleaveError('BOARD_UNKNOWN', `no firmware board support for "${board}" (native/firmware/boards/ has ${Object.keys(FIRMWARE_TARGETS).join(', ')})`);
  }
  return [`-mcpu=${target.cpu}`, '-mthumb', ...target.flags];
}

// The drivers in board/ are all compiled; the linker keeps the ones the board's board.h names.
const ccFiles = (dir: string) => fs.readdirSync(path.join(packageRoot, dir)).filter((f) => f.endsWith('.cc')).sort().map((f) => path.join(dir, f));

const FIRMWARE_SOURCES = [
  ...ccFiles('native/firmware/board'),
  'native/firmware/frame_link.cc',
  'native/firmware/mcu_server.cc',
  'native/firmware/dut.cc',
  'native/firmware/main.cc',
];

export interface FirmwareBuildOptions {
  board: string;
  /** Where build outputs go; build-firmware/<board> by default. */
  outDir?: string;
  /** Preprocessor definitions (NAME=VALUE) for the firmware sources (not the core), e.g. another CLEAVE_MCU_FIRMWARE_VERSION for tests. */
  defines?: string[];
  /** A Program to embed: the image loads it at boot where it lies (`cleave flash --program`). */
  program?: Uint8Array;
}

export interface FirmwareImage {
  board: string;
  elf: string;
  bin: string;
  /** Bytes the image occupies in code memory (.text, .rodata, the .data initializers). */
  flashBytes: number;
  /** Bytes of RAM taken by .data and .bss (Program buffer and arena included); the rest is stack. */
  ramBytes: number;
  /** True when the cached image was reused. */
  cached: boolean;
}

export const COMPILE_FLAGS = ['-std=c++17', '-O2', '-ffunction-sections', '-fdata-sections', '-fno-exceptions', '-fno-rtti',
  '-fno-threadsafe-statics', '-fno-use-cxa-atexit', '-Wall', '-Wextra', '-Werror'];

/** Throws COMMAND_MISSING (naming the Debian package) when the cross toolchain is absent. */
export function requireToolchain(): void {
  const probe = spawnSync('arm-none-eabi-g++', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new CleaveError('COMMAND_MISSING', 'arm-none-eabi-g++ is not on PATH: install the Arm cross toolchain (Debian: gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib libnewlib-arm-none-eabi)');
  }
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(new CleaveError('COMMAND_FAILED', `${command}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new CleaveError('COMMAND_FAILED', `${command} ${args.join(' ')} exited with ${code}:\n${stderr}`));
    });
  });
}

/** Runs `jobs` at a time (the machine's cores), failing with the first failure. */
async function runAll(tasks: (() => Promise<void>)[], jobs: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
}

/** Every file whose change changes the image: the sources and every header and script they may include. */
function inputFiles(boardDir: string): string[] {
  const files = new Set<string>([...coreSources, ...cortexmSources, ...FIRMWARE_SOURCES]);
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(packageRoot, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (rel !== path.join('native', 'firmware', 'boards') && rel !== path.join('native', 'firmware', 'bench')) walk(rel);
      } else if (/\.(h|ld)$/.test(entry.name)) {
        files.add(rel);
      }
    }
  };
  for (const dir of ['native/common', 'native/interp', 'native/kernels', 'native/firmware']) walk(dir);
  for (const f of fs.readdirSync(path.join(packageRoot, boardDir))) files.add(path.join(boardDir, f));
  return [...files].sort();
}

function sectionSizes(elf: string): { flashBytes: number; ramBytes: number } {
  const out = spawnSync('arm-none-eabi-size', ['-A', elf], { encoding: 'utf8' });
  if (out.status !== 0) throw new CleaveError('COMMAND_FAILED', `arm-none-eabi-size ${elf}: ${out.stderr}`);
  const size: Record<string, number> = {};
  for (const line of out.stdout.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+/.exec(line);
    if (m) size[m[1]!] = Number(m[2]);
  }
  // Code memory holds every loaded section but .data (whose initializers it also holds) and .bss;
  // debugging sections (from the libraries) are not loaded.
  const text = Object.entries(size).filter(([name]) => !/^\.(data|bss|debug|comment|ARM\.attributes)/.test(name)).reduce((sum, [, n]) => sum + n, 0);
  const data = size['.data'] ?? 0;
  return { flashBytes: text + data, ramBytes: data + (size['.bss'] ?? 0) };
}

const byteList = (bytes: Uint8Array) => {
  const lines: string[] = [];
  for (let i = 0; i < bytes.byteLength; i += 32) {
    lines.push(Array.from(bytes.subarray(i, i + 32), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(','));
  }
  return lines.join(',\n') || '0';
};

function embeddedProgramSource(program: Uint8Array): string {
  return [
    '// Generated by src/mcu/firmware-build.ts: the Program resident in the image, loaded at boot.',
    '#include <cstdint>',
    'extern "C" {',
    `alignas(16) extern const uint8_t cleave_embedded_program[${Math.max(program.byteLength, 1)}] = {`,
    byteList(program),
    '};',
    `extern const uint32_t cleave_embedded_program_size = ${program.byteLength};`,
    'extern const uint8_t cleave_embedded_program_sha256[32] = {',
    byteList(programSha256(program)),
    '};',
    '}',
    '',
  ].join('\n');
}

export async function buildFirmware(options: FirmwareBuildOptions): Promise<FirmwareImage> {
  const target = targetFlags(options.board);
  requireToolchain();
  const boardDir = path.join('native', 'firmware', 'boards', options.board);
  const outDir = options.outDir ?? path.join(packageRoot, 'build-firmware', options.board);
  const coreFlags = [...target, ...COMPILE_FLAGS, '-Inative'];
  const firmwareFlags = [...coreFlags, ...(options.defines ?? []).map((d) => `-D${d}`), '-Inative/firmware', `-I${boardDir}`];

  const headers = createHash('sha256');
  for (const f of inputFiles(boardDir)) headers.update(f).update(fs.readFileSync(path.join(packageRoot, f)));
  const headersDigest = headers.digest('hex');
  const objectDir = path.join(packageRoot, 'build-firmware', 'objects');
  fs.mkdirSync(objectDir, { recursive: true });
  fs.mkdirSync(outDir, { recursive: true });

  const sources = [...[...coreSources, ...cortexmSources].map((src) => ({ src, flags: coreFlags })), ...[...FIRMWARE_SOURCES, ...ccFiles(boardDir)].map((src) => ({ src, flags: firmwareFlags }))];
  if (options.program) {
    const embedded = path.join(outDir, 'embedded_program.cc');
    fs.writeFileSync(embedded, embeddedProgramSource(options.program));
    sources.push({ src: embedded, flags: firmwareFlags });
  }
  const objects = sources.map(({ src, flags }) => {
    const key = createHash('sha256').update(JSON.stringify(flags)).update(headersDigest).update(src).update(fs.readFileSync(path.resolve(packageRoot, src))).digest('hex');
    return path.join(objectDir, `${path.basename(src, '.cc')}-${key.slice(0, 24)}.o`);
  });
  const compile = sources.map(({ src, flags }, i) => ({ src, flags, object: objects[i]! })).filter(({ object }) => !fs.existsSync(object));
  await runAll(compile.map(({ src, flags, object }) => async () => {
    // Compiled to a name of its own and renamed: an interrupted build leaves no broken object, and
    // builds running at once (test files in parallel) do not write over each other.
    const tmp = `${object}.${process.pid}.tmp`;
    await run('arm-none-eabi-g++', [...flags, '-c', src, '-o', tmp], packageRoot);
    fs.renameSync(tmp, object);
  }), os.availableParallelism());

  const elf = path.join(outDir, 'cleave-firmware.elf');
  const bin = path.join(outDir, 'cleave-firmware.bin');
  const stampFile = path.join(outDir, 'stamp');
  const stamp = createHash('sha256').update(objects.join('\n')).update(headersDigest).digest('hex');
  if (compile.length === 0 && fs.existsSync(elf) && fs.existsSync(bin) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    return { board: options.board, elf, bin, ...sectionSizes(elf), cached: true };
  }
  const tmpElf = `${elf}.${process.pid}.tmp`, tmpBin = `${bin}.${process.pid}.tmp`;
  await run('arm-none-eabi-g++', [...target, '-nostartfiles', '--specs=nano.specs', '-Wl,--gc-sections',
    `-Wl,-Map=${path.join(outDir, 'cleave-firmware.map')}`, `-L${path.join(packageRoot, 'native', 'firmware', 'board')}`,
    '-T', path.join(packageRoot, boardDir, 'link.ld'), ...objects, '-lm', '-o', tmpElf], packageRoot);
  await run('arm-none-eabi-objcopy', ['-O', 'binary', tmpElf, tmpBin], packageRoot);
  fs.renameSync(tmpBin, bin);
  fs.renameSync(tmpElf, elf);
  fs.writeFileSync(stampFile, stamp);
  return { board: options.board, elf, bin, ...sectionSizes(elf), cached: false };
}

/** `npm run build:firmware [BOARD...]`: builds each board (all by default) and prints its sizes. */
async function main(argv: string[]): Promise<void> {
  const boards = argv.length ? argv : Object.keys(FIRMWARE_TARGETS);
  for (const board of boards) {
    const image = await buildFirmware({ board });
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(`${board}: ${path.relative(process.cwd(), image.elf)} (+ .bin)  flash ${image.flashBytes} B (${kb(image.flashBytes)})  RAM ${image.ramBytes} B (${kb(image.ramBytes)})${image.cached ? '  [up to date]' : ''}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
