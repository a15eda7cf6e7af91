// `cleave flash --board BOARD [--program FILE.cprog|MODEL.tflite] [--out DIR] [--port PATH] [--dry-run] [--json]`:
// builds the firmware image for the board with the Program resident in it (none: protocol-only
// firmware) and puts it on the board with the descriptor's flash command (src/mcu/flash.ts). An
// emulated board is booted under QEMU instead; its serial pty is printed and it runs until
// SIGINT/SIGTERM.
import * as path from 'node:path';
import type { Command } from 'commander';
import type { BoardDescriptor } from '../../../hal/boards/descriptor';
import { findBoard, loadBoardCatalog } from '../../../hal/boards/catalog';
import { shellQuote } from '../../deploy/ssh';
import { CleaveError } from '../../errors';
import { McuDevice } from '../../mcu/device';
import { buildFirmware, type FirmwareImage } from '../../mcu/firmware-build';
import { flashCommand, flashMethodOf, imageFile, runFlasher } from '../../mcu/flash';
import { checkFitsBoard, readProgramOrModel } from '../../mcu/program-source';
import { programSha256 } from '../../mcu/protocol';
import { startEmulatedBoard } from '../../mcu/qemu';
import { packageRoot } from '../../paths';
import { formatBytes } from '../table';

interface FlashOptions {
  board: string;
  program?: string;
  out?: string;
  port?: string;
  dryRun?: boolean;
  json?: boolean;
}

interface ResidentProgram {
  file: string;
  bytes: number;
  sha256: string;
}

/** Boots the emulated board, checks over hello that it runs the resident Program, and waits for a signal. */
async function bootEmulated(board: BoardDescriptor, image: FirmwareImage, resident: ResidentProgram | null, opts: FlashOptions): Promise<void> {
  const emulator = await startEmulatedBoard(board, image.elf);
  try {
    // The pty is open before the CPU starts (QEMU drops UART output nobody reads), asked once, then let go for the user.
    const device = await McuDevice.open(emulator.serialPath, board.serial?.baudRate ?? 115200);
    try {
      await emulator.resume();
      const hello = await device.hello();
      if (resident && hello.residentSha256 !== resident.sha256) {
        throw new CleaveError('MCU_DOES_NOT_FIT', `${resident.file}: the firmware on ${board.id} refused the resident Program at boot (it holds a ${hello.arenaCapacity}-byte arena and ${hello.programCapacity} Program bytes in RAM; see the limits in native/firmware/boards/${board.id}/board.h)`);
      }
    } finally {
      await device.close();
    }
    const summary = { board: board.id, elf: image.elf, flashBytes: image.flashBytes, ramBytes: image.ramBytes, program: resident, serialPath: emulator.serialPath, pid: emulator.pid };
    process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` :
      `${board.id}: ${image.elf} (flash ${formatBytes(image.flashBytes)}, RAM ${formatBytes(image.ramBytes)})${resident ? `, resident Program ${resident.file} (sha256 ${resident.sha256.slice(0, 16)}…)` : ''}\n` +
      `serial: ${emulator.serialPath}\nQEMU pid ${emulator.pid}; running until Ctrl-C (SIGINT) or SIGTERM\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  } finally {
    await emulator.close();
  }
}

async function flash(opts: FlashOptions): Promise<void> {
  const board = findBoard(loadBoardCatalog(), opts.board);
  const { flash: descriptor, method } = flashMethodOf(board);
  let resident: ResidentProgram | null = null;
  let program: Uint8Array | undefined;
  if (opts.program) {
    program = await readProgramOrModel(opts.program);
    checkFitsBoard(program, opts.program, board, 'flash');
    resident = { file: opts.program, bytes: program.byteLength, sha256: programSha256(program).toString('hex') };
  }
  const outDir = opts.out ?? path.join(packageRoot, 'build-firmware', resident ? `${board.id}-${resident.sha256.slice(0, 12)}` : `${board.id}-flash`);
  const image = await buildFirmware({ board: board.id, outDir, program });
  if (method.emulated && !opts.dryRun) return bootEmulated(board, image, resident, opts);

  const firmware = imageFile(image, method.format, descriptor, board.id);
  const argv = flashCommand(board, descriptor, firmware, opts.port);
  const summary = { board: board.id, method: descriptor.method, firmware, flashBytes: image.flashBytes, ramBytes: image.ramBytes, program: resident, command: argv };
  if (opts.dryRun) {
    process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `${argv.map(shellQuote).join(' ')}\n`);
    return;
  }
  // The flasher's own output goes to stderr when --json keeps stdout for the summary.
  await runFlasher(board, method, argv, opts.json ? process.stderr : process.stdout);
  process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` :
    `${board.id}: flashed ${firmware} (flash ${formatBytes(image.flashBytes)}, RAM ${formatBytes(image.ramBytes)})${resident ? ` with resident Program ${resident.file} (sha256 ${resident.sha256.slice(0, 16)}…)` : ''}\n`);
}

export function register(program: Command): void {
  program
    .command('flash')
    .description('build the firmware for a board with a Program resident in it and flash it (an emulated board boots under QEMU and prints its serial pty)')
    .requiredOption('--board <id>', 'board descriptor id (boards/) with "runtime": "firmware"')
    .option('--program <file>', '.cprog Program or .tflite model to keep in the image (none: protocol-only firmware)')
    .option('--out <dir>', 'where the image files go (default: build-firmware/<board>-…)')
    .option('--port <path>', "the board's port, for flash commands that take one ({port})")
    .option('--dry-run', 'build the image and print the flash command without running it')
    .option('--json', 'machine-readable summary')
    .action(flash);
}
