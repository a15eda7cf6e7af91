// The Program a board runs, from a .cprog file or a .tflite model compiled here as `cleave compile`
// does, with the fits check against a board descriptor's memory made before anything is sent.
import { promises as fsp } from 'node:fs';
import type { BoardDescriptor } from '../../hal/boards/descriptor';
import { compileGraph, isProgram, readProgramLayout } from '../compile/program';
import { CleaveError } from '../errors';
import { readModel } from '../model/reader';

export async function readProgramOrModel(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fsp.readFile(file));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CleaveError('FILE_NOT_FOUND', `${file}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  return isProgram(bytes) ? bytes : compileGraph(readModel(bytes, file)).bytes;
}

/**
 * Refuses a Program the board has no room for, naming the numbers. Loaded over serial (`ram`), the
 * Program and its arena share the board's RAM; resident in the image (`flash`, `cleave flash
 * --program`), the Program takes flash and only its arena RAM (the link and the firmware then check
 * the exact room).
 */
export function checkFitsBoard(program: Uint8Array, source: string, board: BoardDescriptor, placement: 'ram' | 'flash' = 'ram'): { arenaBytes: number } {
  const { arenaBytes } = readProgramLayout(program, source);
  const { ramBytes, flashBytes } = board.memory;
  if (placement === 'flash') {
    if (flashBytes !== undefined && program.byteLength > flashBytes) {
      throw new CleaveError('MCU_DOES_NOT_FIT', `${source}: ${program.byteLength} Program bytes, ${board.id} has ${flashBytes} bytes of flash`);
    }
    if (ramBytes !== undefined && arenaBytes > ramBytes) {
      throw new CleaveError('MCU_DOES_NOT_FIT', `${source}: a ${arenaBytes}-byte arena, ${board.id} has ${ramBytes} bytes of RAM`);
    }
  } else if (ramBytes !== undefined && program.byteLength + arenaBytes > ramBytes) {
    throw new CleaveError('MCU_DOES_NOT_FIT', `${source}: ${program.byteLength} Program bytes + a ${arenaBytes}-byte arena = ${program.byteLength + arenaBytes} bytes, ${board.id} has ${ramBytes} bytes of RAM`);
  }
  return { arenaBytes };
}
