// What the MCU tests share: the tool check (skip, or fail under CLEAVE_REQUIRE_TOOLS=1), the firmware
// built once per board (cached by src/mcu/firmware-build.ts), an emulated board with a McuDevice on
// it, and the shipped models' golden cases as Programs, inputs and outputs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import { compileGraph } from '../../src/compile/program';
import { connectMcu, type McuConnection } from '../../src/mcu/connect';
import type { McuDeviceOptions } from '../../src/mcu/device';
import { buildFirmware, type FirmwareImage } from '../../src/mcu/firmware-build';
import { readModelFile } from '../../src/model/reader';
import { goldenCases, readManifest, type ShippedModel, shippedModels } from '../lib/models';

const hasTool = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;

interface TapLike {
  fail(message: string): void;
  skip(message: string): void;
  teardown(fn: () => unknown): void;
}

/** False (after failing or skipping `t`) when qemu-system-arm or arm-none-eabi-g++ is missing. */
export function toolsPresent(t: TapLike): boolean {
  const missing = [['qemu-system-arm', 'qemu-system-arm'], ['arm-none-eabi-g++', 'gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib libnewlib-arm-none-eabi']]
    .filter(([tool]) => !hasTool(tool!)).map(([tool, pkg]) => `${tool} (Debian: ${pkg})`);
  if (missing.length === 0) return true;
  const message = `needs ${missing.join(' and ')}`;
  if (process.env.CLEAVE_REQUIRE_TOOLS === '1') t.fail(`${message}: required (CLEAVE_REQUIRE_TOOLS=1)`);
  else t.skip(message);
  return false;
}

const images = new Map<string, Promise<FirmwareImage>>();
export function firmware(board: string): Promise<FirmwareImage> {
  if (!images.has(board)) images.set(board, buildFirmware({ board }));
  return images.get(board)!;
}

export function board(id: string) {
  return findBoard(loadBoardCatalog(), id);
}

/** The emulated board booted with its firmware, closed when the test ends. */
export async function bootBoard(t: TapLike, id = 'mps2-an385', options: McuDeviceOptions = {}): Promise<McuConnection> {
  const image = await firmware(id);
  const connection = await connectMcu({ board: board(id), firmware: image.elf, ...options });
  t.teardown(() => connection.close());
  return connection;
}

export interface GoldenCase {
  model: ShippedModel;
  caseName: string;
  program: Uint8Array;
  inputs: Buffer[];
  outputs: Buffer[];
  /** The input files, for the CLI. */
  inputFiles: string[];
}

const programs = new Map<string, Uint8Array>();

/** The first golden case of a shipped model, with its Program compiled here. */
export function goldenCase(name: string): GoldenCase {
  const model = shippedModels().find((m) => m.name === name);
  if (!model) throw new Error(`no shipped model ${name}`);
  const caseName = goldenCases(model)[0]!;
  if (!programs.has(name)) programs.set(name, compileGraph(readModelFile(model.file)).bytes);
  type Entry = ReturnType<typeof readManifest>[number] & { input_index?: number; output_index?: number };
  const manifest = readManifest(model, caseName) as Entry[];
  const file = (f: string) => path.join(model.dir, caseName, f);
  const inputs = manifest.filter((e) => e.role === 'input').sort((a, b) => (a.input_index ?? 0) - (b.input_index ?? 0));
  const outputs = manifest.filter((e) => e.role === 'output').sort((a, b) => (a.output_index ?? 0) - (b.output_index ?? 0));
  return {
    model, caseName, program: programs.get(name)!,
    inputFiles: inputs.map((e) => file(e.file)),
    inputs: inputs.map((e) => fs.readFileSync(file(e.file))),
    outputs: outputs.map((e) => fs.readFileSync(file(e.file))),
  };
}
