// The devices a plan may use, in chain order, and the links between neighbours, from the command
// line: `--device NAME=BOARD[:mem=SIZE]` (repeated; the order is the chain, data flows from the first
// toward the last) and `--link A-B=tcp:RATE:DELAY[:ENERGY] | serial:BAUD[:ENERGY]`.
import { CleaveError } from '../errors';
import type { BoardDescriptor } from '../../hal';

export interface Device {
  name: string;
  board: BoardDescriptor;
  /** Bytes for activations (the arena); weights too unless the board has flash. Infinity when unknown. */
  ramBytes: number;
  /** Bytes for weights on firmware boards, which run them from flash; Infinity otherwise. */
  flashBytes: number;
}

export interface Link {
  /** Chain positions of the two ends, a < b (always neighbours). */
  a: number;
  b: number;
  spec: string;
  bytesPerSecond: number;
  latencySeconds: number;
  /** Energy of moving one byte, charged to the sending device. */
  joulesPerByte: number;
}

// Rough defaults when a link gives no energy: Wi-Fi class radios spend on the order of 100 nJ per
// byte; a UART at 3.3 V about 1 µJ per byte at 115200 baud (a few mA for the byte's 87 µs).
const DEFAULT_JOULES_PER_BYTE = { tcp: 100e-9, serial: 1e-6 } as const;

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function parseSize(text: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new CleaveError('BAD_DEVICE', `${where}: "${text}" is not a size (e.g. 256k, 4M, 1G, or bytes)`);
  return Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}

export function parseDevices(specs: string[], catalog: BoardDescriptor[]): Device[] {
  if (specs.length === 0) throw new CleaveError('BAD_DEVICE', 'give at least one --device NAME=BOARD');
  const devices: Device[] = [];
  for (const spec of specs) {
    const m = /^([A-Za-z][\w.]*)=([a-z0-9][a-z0-9_-]*)((?::[a-z]+=[^:]+)*)$/.exec(spec);
    if (!m) throw new CleaveError('BAD_DEVICE', `--device "${spec}": expected NAME=BOARD[:mem=SIZE] (NAME a letter then letters, digits, _ or .)`);
    const [, name, boardId, rest] = m;
    if (devices.some((d) => d.name === name)) throw new CleaveError('BAD_DEVICE', `--device "${spec}": device ${name} is given twice`);
    const board = catalog.find((b) => b.id === boardId);
    if (!board) throw new CleaveError('BAD_DEVICE', `--device "${spec}": no board "${boardId}" (known: ${catalog.map((b) => b.id).join(', ')})`);
    const device: Device = { name: name!, board, ramBytes: board.memory.ramBytes ?? Infinity, flashBytes: board.runtime === 'firmware' ? (board.memory.flashBytes ?? Infinity) : Infinity };
    for (const option of rest!.split(':').filter(Boolean)) {
      const [key, value] = option.split('=') as [string, string];
      if (key !== 'mem') throw new CleaveError('BAD_DEVICE', `--device "${spec}": unknown option "${key}" (only mem=SIZE)`);
      device.ramBytes = parseSize(value, `--device "${spec}"`);
    }
    devices.push(device);
  }
  return devices;
}

const RATE_UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };
const TIME_UNITS: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1 };
const ENERGY_UNITS: Record<string, number> = { pj: 1e-12, nj: 1e-9, uj: 1e-6, mj: 1e-3 };

function parseEnergy(text: string | undefined, where: string): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(pj|nj|uj|mj)\/b$/i.exec(text);
  if (!m) throw new CleaveError('BAD_LINK', `${where}: "${text}" is not an energy per byte (e.g. 100nJ/B)`);
  return Number(m[1]) * ENERGY_UNITS[m[2]!.toLowerCase()]!;
}

/** One link spec (after `A-B=`): tcp:RATE:DELAY[:ENERGY] or serial:BAUD[:ENERGY]. */
export function parseLinkSpec(spec: string, where: string): Omit<Link, 'a' | 'b'> {
  const parts = spec.split(':');
  if (parts[0] === 'tcp' && (parts.length === 3 || parts.length === 4)) {
    const rate = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/i.exec(parts[1]!);
    const delay = /^(\d+(?:\.\d+)?)(us|ms|s)$/i.exec(parts[2]!);
    if (!rate) throw new CleaveError('BAD_LINK', `${where}: "${parts[1]}" is not a rate (e.g. 20mbit, 500kbit)`);
    if (!delay) throw new CleaveError('BAD_LINK', `${where}: "${parts[2]}" is not a delay (e.g. 5ms, 200us)`);
    const bitsPerSecond = Number(rate[1]) * RATE_UNITS[rate[2]!.toLowerCase()]!;
    if (!(bitsPerSecond > 0)) throw new CleaveError('BAD_LINK', `${where}: the rate must be above zero`);
    return {
      spec, bytesPerSecond: bitsPerSecond / 8, latencySeconds: Number(delay[1]) * TIME_UNITS[delay[2]!.toLowerCase()]!,
      joulesPerByte: parseEnergy(parts[3], where) ?? DEFAULT_JOULES_PER_BYTE.tcp,
    };
  }
  if (parts[0] === 'serial' && (parts.length === 2 || parts.length === 3)) {
    const baud = Number(parts[1]);
    if (!Number.isInteger(baud) || baud < 50) throw new CleaveError('BAD_LINK', `${where}: "${parts[1]}" is not a baud rate`);
    // 8N1 framing: ten bit times per byte.
    return { spec, bytesPerSecond: baud / 10, latencySeconds: 0, joulesPerByte: parseEnergy(parts[2], where) ?? DEFAULT_JOULES_PER_BYTE.serial };
  }
  throw new CleaveError('BAD_LINK', `${where}: expected tcp:RATE:DELAY[:ENERGY] or serial:BAUD[:ENERGY]`);
}

/** Links between neighbouring devices; every neighbouring pair needs one. */
export function parseLinks(specs: string[], devices: Device[]): Link[] {
  const index = (name: string, where: string) => {
    const i = devices.findIndex((d) => d.name === name);
    if (i < 0) throw new CleaveError('BAD_LINK', `${where}: no device named "${name}" (devices: ${devices.map((d) => d.name).join(', ')})`);
    return i;
  };
  const links: Link[] = [];
  for (const spec of specs) {
    const where = `--link "${spec}"`;
    const m = /^([A-Za-z][\w.]*)-([A-Za-z][\w.]*)=(.+)$/.exec(spec);
    if (!m) throw new CleaveError('BAD_LINK', `${where}: expected A-B=tcp:RATE:DELAY or A-B=serial:BAUD`);
    const [x, y] = [index(m[1]!, where), index(m[2]!, where)];
    const [a, b] = x < y ? [x, y] : [y, x];
    if (b !== a + 1) throw new CleaveError('BAD_LINK', `${where}: ${m[1]} and ${m[2]} are not neighbours in the device chain (${devices.map((d) => d.name).join(' - ')})`);
    if (links.some((l) => l.a === a)) throw new CleaveError('BAD_LINK', `${where}: ${devices[a]!.name}-${devices[b]!.name} already has a link`);
    links.push({ a, b, ...parseLinkSpec(m[3]!, where) });
  }
  for (let a = 0; a + 1 < devices.length; a++) {
    if (!links.some((l) => l.a === a)) throw new CleaveError('BAD_LINK', `no --link between ${devices[a]!.name} and ${devices[a + 1]!.name}`);
  }
  return links.sort((p, q) => p.a - q.a);
}
