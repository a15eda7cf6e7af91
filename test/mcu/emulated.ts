// What the MCU tests share: the tool check (skip, or fail under CLEAVE_REQUIRE_TOOLS=1), the firmware
// built once per board (cached by src/mcu/firmware-build.ts), an emulated board with a McuDevice on
// it, and the shipped models' golden cases as Programs, inputs and outputs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import { compileGraph } from '../../src/compile/program';
import { SerialLink } from '../../hal/serial';
import { connectMcu, type McuConnection } from '../../src/mcu/connect';
import { MCU_CHUNK_BYTES, McuDevice, type McuDeviceOptions } from '../../src/mcu/device';
import { type EmulatedBoard, startEmulatedBoard } from '../../src/mcu/qemu';
import { FrameConnection } from '../../src/transport/connection';
import { cobsFrameBytes, CobsFrameParser } from '../../src/wire/cobs';
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

export interface RawBoard {
  emulator: EmulatedBoard;
  /** The pty as a line: DUT commands are written and read here, next to the frames. */
  link: SerialLink;
  connection: FrameConnection;
  device: McuDevice;
}

/**
 * The emulated board with a McuDevice whose outgoing frames pass through `damage` (frame number,
 * line bytes) on their way to the pty, and the pty itself for raw writes and text lines.
 */
export async function bootRawBoard(t: TapLike, options: { elf?: string; damage?: (n: number, bytes: Buffer) => Buffer; device?: McuDeviceOptions } = {}): Promise<RawBoard> {
  const elf = options.elf ?? (await firmware('mps2-an385')).elf;
  const emulator = await startEmulatedBoard(board('mps2-an385'), elf);
  t.teardown(() => emulator.close());
  const link = await SerialLink.open({ path: emulator.serialPath, baudRate: 115200 });
  const peer = `serial:${emulator.serialPath}`;
  const parser = new CobsFrameParser(MCU_CHUNK_BYTES + 256, peer);
  let sent = 0;
  const damage = options.damage ?? ((_n: number, bytes: Buffer) => bytes);
  const connection = new FrameConnection(link.port, { encode: (f) => damage(sent++, cobsFrameBytes(f)), decode: (c) => parser.push(c) }, peer, true, {
    end: (_stream, last) => {
      if (last) link.port.write(last);
      link.port.drain(() => link.port.close());
    },
    destroy: () => link.port.close(),
  });
  t.teardown(() => connection.close());
  const device = new McuDevice(connection, options.device);
  await emulator.resume();
  return { emulator, link, connection, device };
}

/** Loads a golden case's Program, sets its inputs, runs it once and reads every output. */
export async function runGolden(device: McuDevice, golden: GoldenCase): Promise<{ outputs: Buffer[]; restarts: number; resends: number }> {
  const loaded = await device.load(golden.program, golden.model.name);
  for (let i = 0; i < golden.inputs.length; i++) await device.setInput(i, golden.inputs[i]!);
  await device.run(1);
  const outputs: Buffer[] = [];
  for (let i = 0; i < loaded.outputBytes.length; i++) outputs.push(await device.readOutput(i, loaded.outputBytes[i]!));
  return { outputs, restarts: loaded.restarts, resends: loaded.resends };
}
