// A McuDevice on a board: over a given serial port, or on the board emulated by QEMU (its firmware
// built on demand, cached) when no port is given.
import type { BoardDescriptor } from '../../hal/boards/descriptor';
import { CleaveError } from '../errors';
import { McuDevice, type McuDeviceOptions } from './device';
import { buildFirmware } from './firmware-build';
import { type EmulatedBoard, startEmulatedBoard } from './qemu';

export interface McuConnectOptions extends McuDeviceOptions {
  board: BoardDescriptor;
  /** A serial port to a real (or already running) board; none boots the emulated board. */
  port?: string;
  baudRate?: number;
  /** The firmware ELF for the emulated board; built from native/firmware/ when absent. */
  firmware?: string;
}

export interface McuConnection {
  device: McuDevice;
  /** Set when cleave started the board under QEMU. */
  emulator?: EmulatedBoard;
  close(): Promise<void>;
}

export async function connectMcu(options: McuConnectOptions): Promise<McuConnection> {
  const { board } = options;
  if (board.runtime !== 'firmware') {
    throw new CleaveError('BOARD_UNKNOWN', `${board.id} runs Linux, not cleave firmware: use cleave serve and --remote tcp:/serial: there`);
  }
  const baudRate = options.baudRate ?? board.serial?.baudRate ?? 115200;
  if (options.port) {
    const device = await McuDevice.open(options.port, baudRate, options);
    return { device, close: () => device.close() };
  }
  const firmware = options.firmware ?? (await buildFirmware({ board: board.id })).elf;
  const emulator = await startEmulatedBoard(board, firmware);
  try {
    const device = await McuDevice.open(emulator.serialPath, baudRate, options);
    await emulator.resume();
    return {
      device,
      emulator,
      close: async () => {
        await device.close();
        await emulator.close();
      },
    };
  } catch (err) {
    await emulator.close();
    throw err;
  }
}
