// The process that keeps one emulated board of the lab running after `cleave lab up` exits: QEMU is
// the child of the board launcher (src/mcu/qemu.ts), which ties it to its parent's life, so the lab
// starts this keeper detached and the keeper holds QEMU. It resumes the board with its UART pty open
// (QEMU drops UART output while nobody holds it), checks the firmware's hello, lets go of the pty for
// the lab's users, writes the ready file and waits for SIGTERM, on which it stops QEMU.
import * as fs from 'node:fs';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import { McuDevice } from '../mcu/device';
import { startEmulatedBoard } from '../mcu/qemu';

export interface McuReady {
  qemuPid: number;
  serial: string;
  firmwareVersion: number;
}

export async function keepEmulatedBoard(boardId: string, firmware: string, readyFile: string): Promise<void> {
  const board = findBoard(loadBoardCatalog(), boardId);
  const emulator = await startEmulatedBoard(board, firmware);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    const device = await McuDevice.open(emulator.serialPath, board.serial?.baudRate ?? 115200);
    try {
      await emulator.resume();
      const hello = await device.hello();
      const ready: McuReady = { qemuPid: emulator.pid, serial: emulator.serialPath, firmwareVersion: hello.firmwareVersion };
      fs.writeFileSync(`${readyFile}.tmp`, JSON.stringify(ready));
      fs.renameSync(`${readyFile}.tmp`, readyFile);
    } finally {
      await device.close();
    }
  } catch (err) {
    await emulator.close();
    throw err;
  }
  // Stay up: the pending signal handlers keep nothing alive on their own.
  setInterval(() => undefined, 1 << 30);
}
