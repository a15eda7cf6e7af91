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

/** Refuses a Program whose bytes plus arena exceed the board's RAM, naming the numbers. */
export function checkFitsBoard(program: Uint8Array, source: string, board: BoardDescriptor): { arenaBytes: number } {
  const { arenaBytes } = readProgramLayout(program, source);
  const ram = board.memory.ramBytes;
  if (ram !== undefined && program.byteLength + arenaBytes > ram) {
    throw new CleaveError('MCU_DOES_NOT_FIT', `${source}: ${program.byteLength} Program bytes + a ${arenaBytes}-byte arena = ${program.byteLength + arenaBytes} bytes, ${board.id} has ${ram} bytes of RAM`);
  }
  return { arenaBytes };
}
