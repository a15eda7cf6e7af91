// Input tensors from files in the units people have: raw bytes of the tensor (as before), NumPy
// .npy (float32, quantized with the input's scale and zero point; int8/uint8 as they are), raw
// little-endian float32 (`f32`), or a PNG/JPEG image. The format is recognised by the file's magic
// bytes unless given; raw float32 has no magic, so it is only read when asked for.
import { CleaveError } from '../errors';
import type { TensorData, TensorSpec } from '../session';
import { readUserFile } from './files';
import { decodeImage, imageToTensor, isImage, type Normalization } from './image';
import { isNpy, parseNpy } from './npy';
import { quantize } from './quantize';

export const INPUT_FORMATS = ['auto', 'raw', 'npy', 'f32', 'image'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface NamedFile {
  /** The tensor it is for, as the user named it (tensor name or t<index>); absent: by position. */
  name?: string;
  file: string;
}

/** "NAME=FILE" when NAME is one of `names`; otherwise the whole text is a file (which may contain "="). */
export function parseNamedFile(text: string, names: (spec: string) => boolean): NamedFile {
  const eq = text.indexOf('=');
  if (eq > 0 && names(text.slice(0, eq))) return { name: text.slice(0, eq), file: text.slice(eq + 1) };
  return { file: text };
}

/** Whether `name` names the tensor: its name in the model, or "t<index>". */
export function namesTensor(spec: TensorSpec, name: string): boolean {
  return name === spec.name || name === `t${spec.index}`;
}

/**
 * The file for each tensor of `specs`, in order: named ones where named, the others filled by
 * position. Refuses a name that fits no tensor, a tensor given twice, and a missing or extra file.
 */
export function assignFiles(args: NamedFile[], specs: TensorSpec[], what: 'input' | 'output', source: string, required: boolean): (string | undefined)[] {
  const files: (string | undefined)[] = specs.map(() => undefined);
  for (const a of args.filter((x) => x.name !== undefined)) {
    const k = specs.findIndex((s) => namesTensor(s, a.name!));
    if (files[k] !== undefined) throw new CleaveError('BAD_ARGUMENT', `--${what} ${a.name}: ${what} "${specs[k]!.name}" is given twice`);
    files[k] = a.file;
  }
  for (const a of args.filter((x) => x.name === undefined)) {
    const k = files.indexOf(undefined);
    if (k < 0) throw new CleaveError('BAD_ARGUMENT', `--${what} ${a.file}: ${source} has ${specs.length} ${what}(s), and each already has a file`);
    files[k] = a.file;
  }
  const missing = specs.filter((_, k) => files[k] === undefined);
  if (required && missing.length > 0) {
    throw new CleaveError('BAD_ARGUMENT', `${source} needs ${specs.length} input(s); none given for ${missing.map((s) => `"${s.name}" (t${s.index})`).join(', ')}: add --input NAME=FILE`);
  }
  return files;
}

export interface InputReadOptions {
  format: InputFormat;
  normalization: Normalization;
}

function checkShape(shape: number[], spec: TensorSpec, file: string): void {
  // Unit dimensions may differ ((96, 96) for [1,96,96,1]); the other sizes, in order, may not.
  const squeeze = (s: readonly number[]) => s.filter((d) => d !== 1).join(',');
  if (squeeze(shape) !== squeeze(spec.shape)) {
    throw new CleaveError('BAD_INPUT', `${file}: shape (${shape.join(', ')}) does not fit input "${spec.name}" of shape [${spec.shape.join(',')}]`);
  }
}

function fromNpy(bytes: Uint8Array, spec: TensorSpec, file: string): TensorData {
  const npy = parseNpy(bytes, file);
  checkShape(npy.shape, spec, file);
  if (npy.dtype === '<f4') return quantize(npy.data, spec, file);
  const want = npy.dtype === '|i1' ? 'int8' : 'uint8';
  if (spec.dtype !== want) throw new CleaveError('BAD_INPUT', `${file}: holds ${want} values, input "${spec.name}" is ${spec.dtype} (save float32 to have them quantized)`);
  return npy.data as TensorData;
}

function fromFloat32(bytes: Uint8Array, spec: TensorSpec, file: string): TensorData {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== count * 4) {
    throw new CleaveError('BAD_INPUT', `${file}: input "${spec.name}" [${spec.shape.join(',')}] needs ${count} float32 values = ${count * 4} bytes, got ${bytes.byteLength} bytes`);
  }
  return quantize(new Float32Array(Uint8Array.from(bytes).buffer), spec, file);
}

function fromRaw(bytes: Uint8Array, spec: TensorSpec, file: string): TensorData {
  if (bytes.byteLength !== spec.byteLength) {
    throw new CleaveError('BAD_INPUT', `${file}: input "${spec.name}" expects ${spec.dtype} [${spec.shape.join(',')}] = ${spec.byteLength} bytes, got ${bytes.byteLength} bytes` +
      (bytes.byteLength === spec.byteLength * 4 ? ' (float32 values? add --input-format f32)' : ''));
  }
  return bytes;
}

/** The input tensor's data from `file`, in the format given or recognised. */
export async function readTensorInput(file: string, spec: TensorSpec, options: InputReadOptions): Promise<TensorData> {
  const bytes = new Uint8Array(await readUserFile(file, 'input'));
  const format = options.format !== 'auto' ? options.format : isNpy(bytes) ? 'npy' : isImage(bytes) ? 'image' : 'raw';
  switch (format) {
    case 'npy': return fromNpy(bytes, spec, file);
    case 'f32': return fromFloat32(bytes, spec, file);
    case 'image': return imageToTensor(decodeImage(bytes, file), spec, options.normalization, file);
    default: return fromRaw(bytes, spec, file);
  }
}
