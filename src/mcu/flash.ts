// Putting a firmware image on a board, as its descriptor's `flash` section says. Each flasher
// driver (`flash.method`) names the image file its tool takes and where the tool comes from; the
// command line itself is the descriptor's, with {firmware} (and {port}) filled in. The emulated
// boards (`qemu-kernel`) have nothing to flash: `cleave flash` boots them instead (qemu.ts).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { BoardDescriptor, FlashDescriptor } from '../../hal/boards/descriptor';
import { findExecutable } from '../../hal/command';
import { halContext } from '../../hal/context';
import { CleaveError } from '../errors';
import type { FirmwareImage } from './firmware-build';
import { writeUf2 } from './uf2';

export type ImageFormat = 'elf' | 'bin' | 'hex' | 'uf2';

export interface FlashMethod {
  /** The image file the tool takes. */
  format: ImageFormat;
  /** Where the tool comes from, for the message when it is missing. */
  install: string;
  /** True when the board is emulated: booted, not flashed. */
  emulated?: boolean;
}

export const FLASH_METHODS: Readonly<Record<FlashDescriptor['method'], FlashMethod>> = {
  'qemu-kernel': { format: 'elf', install: 'Debian: qemu-system-arm', emulated: true },
  'st-flash': { format: 'bin', install: 'Debian: stlink-tools' },
  openocd: { format: 'elf', install: 'Debian: openocd' },
  pyocd: { format: 'hex', install: 'pip: pyocd' },
  picotool: { format: 'uf2', install: 'Debian: picotool' },
};

/** The board's flash section and its driver; refuses a board cleave cannot flash. */
export function flashMethodOf(board: BoardDescriptor): { flash: FlashDescriptor; method: FlashMethod } {
  const flash = board.flash;
  const method = flash ? FLASH_METHODS[flash.method] : undefined;
  if (board.runtime !== 'firmware' || !flash || !method) {
    throw new CleaveError('BOARD_UNKNOWN', `${board.id} has no firmware flash method in its descriptor (boards/${board.id}.json): cleave flash takes a board with "runtime": "firmware" and a "flash" section`);
  }
  return { flash, method };
}

/** The lowest address an ELF loads bytes to: where a flat image of it starts. */
export function elfLoadAddress(elf: Uint8Array, where: string): number {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const fail = (why: string): never => { throw new CleaveError('INTERNAL', `${where}: ${why}`); };
  if (elf.byteLength < 52 || view.getUint32(0, false) !== 0x7f454c46) fail('not an ELF file');
  if (elf[4] !== 1 || elf[5] !== 1) fail('not a 32-bit little-endian ELF (the Cortex-M images are)');
  const phoff = view.getUint32(28, true), phentsize = view.getUint16(42, true), phnum = view.getUint16(44, true);
  if (phoff + phnum * phentsize > elf.byteLength) fail('program headers run past the end');
  let lowest = Infinity;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const PT_LOAD = 1;
    if (view.getUint32(at, true) === PT_LOAD && view.getUint32(at + 16, true) > 0) lowest = Math.min(lowest, view.getUint32(at + 12, true));
  }
  if (lowest === Infinity) fail('no loadable segment');
  return lowest;
}

/** Writes the image file `format` needs beside the ELF and BIN, and returns its path. */
export function imageFile(image: FirmwareImage, format: ImageFormat, flash: FlashDescriptor, board: string): string {
  if (format === 'elf') return image.elf;
  if (format === 'bin') return image.bin;
  if (format === 'hex') {
    const hex = image.elf.replace(/\.elf$/, '.hex');
    const r = spawnSync('arm-none-eabi-objcopy', ['-O', 'ihex', image.elf, hex], { encoding: 'utf8' });
    if (r.status !== 0) throw new CleaveError('COMMAND_FAILED', `arm-none-eabi-objcopy -O ihex ${image.elf}: ${r.stderr || r.error?.message}`);
    return hex;
  }
  if (!flash.uf2FamilyId) {
    throw new CleaveError('BOARD_INVALID', `${board}: flash method ${flash.method} takes UF2, but the descriptor's flash section has no uf2FamilyId`);
  }
  const uf2 = image.elf.replace(/\.elf$/, '.uf2');
  const address = elfLoadAddress(fs.readFileSync(image.elf), image.elf);
  fs.writeFileSync(uf2, writeUf2(fs.readFileSync(image.bin), { address, familyId: parseInt(flash.uf2FamilyId, 16) }));
  return uf2;
}

/** The descriptor's flash command with its placeholders filled in. */
export function flashCommand(board: BoardDescriptor, flash: FlashDescriptor, firmware: string, port?: string): string[] {
  return flash.command.map((arg) => {
    if (arg.includes('{port}') && port === undefined) {
      throw new CleaveError('BAD_ARGUMENT', `${board.id}: its flash command (${flash.command.join(' ')}) needs the board's port: give --port`);
    }
    return arg.replace('{firmware}', firmware).replace('{port}', port ?? '');
  });
}

/** The last `count` non-empty lines of a tool's output, on one line. */
function lastLines(text: string, count: number): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-count).join(' | ');
}

/**
 * Runs the flasher, its stdout passed through to `echo` and its stderr to ours as they come; fails
 * naming the board, the tool, its exit status and its last stderr lines.
 */
export function runFlasher(board: BoardDescriptor, method: FlashMethod, argv: string[], echo: NodeJS.WritableStream): Promise<void> {
  const tool = argv[0]!;
  const executable = findExecutable(halContext(), tool);
  if (!executable) {
    throw new CleaveError('COMMAND_MISSING', `${tool}: not found on PATH, needed to flash ${board.id} (${method.install})`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(executable, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => echo.write(d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    child.on('error', (err) => reject(new CleaveError('COMMAND_FAILED', `${board.id}: ${tool}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const tail = lastLines(stderr, 5);
      reject(new CleaveError('COMMAND_FAILED', `${board.id}: ${tool} exited with ${code ?? signal}${tail ? `; its last stderr lines: ${tail}` : ' and printed nothing on stderr'}`));
    });
  });
}
