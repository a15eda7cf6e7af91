// Images as model inputs: PNG (pngjs) or JPEG (jpeg-js), recognised by their magic bytes, resized
// bilinearly (half-pixel centres, as tf.image.resize) to the input's height and width, grayscale
// (ITU-R BT.601 luma) or RGB by the input's channel count, then normalised to real units and
// quantized with the input's scale and zero point.
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { CleaveError } from '../errors';
import type { TensorData, TensorSpec } from '../session';
import { quantize, quantizedRange } from './quantize';

export interface RgbaImage {
  width: number;
  height: number;
  /** 4 bytes per pixel, rows top to bottom. */
  data: Uint8Array;
}

/**
 * How pixel values (0..255) become real values: `range` maps 0..255 linearly onto [low, high];
 * `mean`/`std` (one value, or one per channel) give (pixel - mean) / std. Without either, pixels
 * fill the input's quantized range (pixel 0 -> the type's lowest value, 255 -> its highest), the
 * convention of TFLite Micro's image examples; a float32 input gets 0..1.
 */
export interface Normalization {
  range?: [number, number];
  mean?: number[];
  std?: number[];
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const starts = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

export function isImage(bytes: Uint8Array): boolean {
  return starts(bytes, PNG_MAGIC) || starts(bytes, JPEG_MAGIC);
}

export function decodeImage(bytes: Uint8Array, source: string): RgbaImage {
  try {
    if (starts(bytes, PNG_MAGIC)) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    if (starts(bytes, JPEG_MAGIC)) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (err) {
    throw new CleaveError('BAD_INPUT', `${source}: cannot decode image: ${(err as Error).message}`);
  }
  throw new CleaveError('BAD_INPUT', `${source}: not a PNG or JPEG image`);
}

/** Height, width and channels of an NHWC (or HWC) image input with 1 or 3 channels. */
export function imageGeometry(spec: TensorSpec, source: string): { height: number; width: number; channels: 1 | 3 } {
  const dims = spec.shape.length === 4 && spec.shape[0] === 1 ? spec.shape.slice(1) : spec.shape;
  const [height, width, channels] = dims;
  if (dims.length !== 3 || (channels !== 1 && channels !== 3)) {
    throw new CleaveError('BAD_INPUT', `${source}: input "${spec.name}" has shape [${spec.shape}], not an image ([1,H,W,1] or [1,H,W,3])`);
  }
  return { height: height!, width: width!, channels };
}

/** Bilinear resize with half-pixel centres, per RGBA channel, to float pixel values 0..255. */
export function resizeBilinear(img: RgbaImage, height: number, width: number): Float32Array {
  const out = new Float32Array(height * width * 4);
  const sy = img.height / height;
  const sx = img.width / width;
  const at = (y: number, x: number, c: number) => img.data[(y * img.width + x) * 4 + c]!;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      for (let c = 0; c < 4; c++) {
        const top = at(y0, x0, c) * (1 - wx) + at(y0, x1, c) * wx;
        const bottom = at(y1, x0, c) * (1 - wx) + at(y1, x1, c) * wx;
        out[(y * width + x) * 4 + c] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

/** Per channel, pixel -> real value, as `Normalization` describes. */
function normalizer(spec: TensorSpec, channels: number, n: Normalization, source: string): (pixel: number, channel: number) => number {
  const perChannel = (flag: string, values: number[]) => {
    if (values.length !== 1 && values.length !== channels) {
      throw new CleaveError('BAD_ARGUMENT', `${flag}: give one value or ${channels} (one per channel of input "${spec.name}"), got ${values.length}`);
    }
    return (c: number) => values[values.length === 1 ? 0 : c]!;
  };
  if (n.mean || n.std) {
    const mean = perChannel('--mean', n.mean ?? [0]);
    const std = perChannel('--std', n.std ?? [1]);
    return (p, c) => (p - mean(c)) / std(c);
  }
  let range = n.range;
  if (!range) {
    const q = quantizedRange(spec);
    if (q && !(spec.scale > 0)) throw new CleaveError('BAD_INPUT', `${source}: input "${spec.name}" has no quantization scale; give --input-range, --mean or --std`);
    range = q ? [spec.scale * (q[0] - spec.zeroPoint), spec.scale * (q[1] - spec.zeroPoint)] : [0, 1];
  }
  const [low, high] = range;
  return (p) => low + (p * (high - low)) / 255;
}

/** The image as the input tensor's data: resized, to gray or RGB, normalised and quantized. */
export function imageToTensor(img: RgbaImage, spec: TensorSpec, n: Normalization, source: string): TensorData {
  const { height, width, channels } = imageGeometry(spec, source);
  const pixels = resizeBilinear(img, height, width);
  const real = normalizer(spec, channels, n, source);
  const values = new Float64Array(height * width * channels);
  for (let i = 0; i < height * width; i++) {
    const [r, g, b] = [pixels[i * 4]!, pixels[i * 4 + 1]!, pixels[i * 4 + 2]!];
    if (channels === 1) {
      // Integer weights so that a gray pixel (r = g = b) keeps its value exactly.
      values[i] = real((299 * r + 587 * g + 114 * b) / 1000, 0);
    } else {
      values[i * 3] = real(r, 0);
      values[i * 3 + 1] = real(g, 1);
      values[i * 3 + 2] = real(b, 2);
    }
  }
  return quantize(values, spec, source);
}
