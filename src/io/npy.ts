// NumPy .npy files (format versions 1-3): the header is parsed, not guessed, so a wrong dtype,
// Fortran order or shape is refused by name. Only the dtypes a cleave input or output can be:
// '<f4' (float32, quantized on the way in), '|i1' (int8) and '|u1' (uint8).
import { CleaveError } from '../errors';

export type NpyDType = '<f4' | '|i1' | '|u1';

export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  data: Float32Array | Int8Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ITEM_BYTES: Record<NpyDType, number> = { '<f4': 4, '|i1': 1, '|u1': 1 };
// numpy writes single-byte dtypes with '|', some writers with '<' or no byte-order mark.
const DTYPE_ALIASES: Record<string, NpyDType> = { '<f4': '<f4', '|i1': '|i1', '<i1': '|i1', 'i1': '|i1', '|u1': '|u1', '<u1': '|u1', 'u1': '|u1', '|b1': '|u1' };

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

function fail(source: string, reason: string): never {
  throw new CleaveError('BAD_INPUT', `${source}: not a usable .npy file: ${reason}`);
}

/** The header's dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (1, 96, 96, 1), } */
function parseHeader(text: string, source: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(source, `header lacks descr, fortran_order or shape: ${text.trim()}`);
  const items = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = items.map((s) => (/^[0-9]+$/.test(s) ? Number(s) : fail(source, `shape item "${s}" is not a size`)));
  return { descr, fortran: fortran === 'True', shape };
}

export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  if (!isNpy(bytes)) fail(source, 'no "\\x93NUMPY" magic');
  if (bytes.length < 10) fail(source, 'truncated header');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail(source, 'truncated header');
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    fail(source, `format version ${major} (this reads 1 to 3)`);
  }
  if (headerStart + headerLength > bytes.length) fail(source, `header of ${headerLength} bytes runs past the end of the file`);
  const header = parseHeader(Buffer.from(bytes.subarray(headerStart, headerStart + headerLength)).toString('latin1'), source);
  const dtype = DTYPE_ALIASES[header.descr];
  if (!dtype) fail(source, `dtype '${header.descr}' (cleave reads '<f4' float32, '|i1' int8 and '|u1' uint8)`);
  const count = header.shape.reduce((a, b) => a * b, 1);
  if (header.fortran && header.shape.filter((d) => d > 1).length > 1) fail(source, 'Fortran (column-major) order; save it with numpy.ascontiguousarray');
  const dataStart = headerStart + headerLength;
  const want = count * ITEM_BYTES[dtype];
  if (bytes.length - dataStart !== want) fail(source, `shape (${header.shape.join(', ')}) of ${header.descr} needs ${want} data bytes, the file has ${bytes.length - dataStart}`);
  // Copied so the typed array is aligned whatever the header length.
  const data = Uint8Array.from(bytes.subarray(dataStart));
  const typed = dtype === '<f4' ? new Float32Array(data.buffer) : dtype === '|i1' ? new Int8Array(data.buffer) : data;
  return { dtype, shape: header.shape, data: typed };
}

/** An .npy file (version 1) of the array, as numpy.save writes it. */
export function formatNpy(data: Float32Array | Int8Array | Uint8Array, shape: readonly number[]): Buffer {
  const descr: NpyDType = data instanceof Float32Array ? '<f4' : data instanceof Int8Array ? '|i1' : '|u1';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic, version, length and header padded with spaces to a multiple of 64, ending in "\n".
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = `${header}${' '.repeat(total - 10 - header.length - 1)}\n`;
  const prefix = Buffer.alloc(10);
  Buffer.from(MAGIC).copy(prefix);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
