// TFLite → ONNX for the benchmark's whole-model peers: a shipped int8 .tflite (read with cleave's own
// reader) becomes an ONNX model for onnxruntime-node in two variants (docs/benchmarks.md):
//
// - `int8`: quantized ops end to end, with uint8 activations (each tensor's zero point shifted by 128:
//   the same real values) and int8 or uint8 weights (PeerWeightType: whichever ORT computes exactly
//   on this CPU): QLinearConv (per-channel weight scales, int32 bias), com.microsoft QGemm, QLinearAdd and
//   QLinearAveragePool; SOFTMAX as DequantizeLinear → Softmax → QuantizeLinear.
// - `fp32`: every weight and bias dequantized to float, float ops (Conv, Gemm, Add, AveragePool,
//   Softmax), fused activations as Relu or Clip.
//
// ONNX convolutions are NCHW: weights are transposed here, the model's input and output keep
// TFLite's NHWC shape, and one Transpose at the input (and one at a 4-D output) converts. A RESHAPE
// of an NCHW tensor goes back to NHWC element order first unless both orders coincide.
import { activationRange } from '../src/compile/quant';
import { CleaveError } from '../src/errors';
import { elementCount, type Graph, type Op, type Tensor } from '../src/model/graph';
import {
  encodeModel, floats, int32s, int64s, int8s, scalarFloat, scalarUint8, uint8s,
  type OnnxAttribute, type OnnxInitializer, type OnnxNode, type OnnxTypeName,
} from './onnx';

export type PeerVariant = 'int8' | 'fp32';
/**
 * The int8 variant's weight type. `int8` (u8 × s8) is ORT's fastest form but its AVX2 kernels
 * (vpmaddubsw) saturate int16 sums on full-range weights; with AVX-512 VNNI or AVX-VNNI (vpdpbusd) it
 * is exact. `uint8` (weights + 128, zero point 128: u8 × u8, widened to int16) is exact everywhere.
 */
export type PeerWeightType = 'int8' | 'uint8';
export const PEER_VARIANTS: readonly PeerVariant[] = ['int8', 'fp32'];

export interface PeerModel {
  variant: PeerVariant;
  /** ModelProto bytes. */
  bytes: Uint8Array;
  /** The graph's one input and output, in TFLite's shape (NHWC for images). */
  input: { name: string; type: 'uint8' | 'float'; dims: number[] };
  output: { name: string; type: 'uint8' | 'float'; dims: number[] };
}

/** Activation tensors as the ONNX graph holds them: the value's name and whether it is NCHW. */
interface Value {
  name: string;
  nchw: boolean;
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

/** Whether NHWC and NCHW hold a 4-D tensor's elements in the same order (one of C and H·W is 1). */
const sameOrder = (nhwc: readonly number[]): boolean => nhwc[3] === 1 || nhwc[1]! * nhwc[2]! === 1;

const toNchwShape = (s: readonly number[]): number[] => NHWC_TO_NCHW.map((i) => s[i]!);

class Converter {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxInitializer[] = [];
  private readonly values = new Map<number, Value>();
  private readonly quantParams = new Map<number, [string, string]>();
  private serial = 0;

  constructor(private readonly graph: Graph, private readonly variant: PeerVariant, private readonly weightType: PeerWeightType) {}

  private fail(op: Op | null, message: string, code: 'UNSUPPORTED_OP' | 'BAD_MODEL' = 'UNSUPPORTED_OP'): never {
    const where = op ? `op ${op.index} (${op.opcode})` : 'graph';
    throw new CleaveError(code, `${this.graph.source}: ${where}: ONNX peer (${this.variant}): ${message}`);
  }

  private fresh(base: string): string {
    return `${base}_${this.serial++}`;
  }

  private init(t: OnnxInitializer): string {
    this.initializers.push(t);
    return t.name;
  }

  private node(opType: string, inputs: string[], attributes: OnnxAttribute[] = [], domain?: string): string {
    const out = this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, inputs, outputs: [out], attributes, domain });
    return out;
  }

  private tensor(index: number, op: Op): Tensor {
    const t = this.graph.tensors[index];
    if (!t) this.fail(op, `tensor ${index} does not exist`, 'BAD_MODEL');
    return t;
  }

  private value(index: number, op: Op): Value {
    const v = this.values.get(index);
    if (!v) this.fail(op, `input tensor ${index} is a constant or not computed yet (only activations are supported there)`);
    return v;
  }

  private quant(t: Tensor, op: Op): { scale: number[]; zeroPoint: number[]; axis: number } {
    const q = t.quantization;
    if (!q || q.scale.length === 0) this.fail(op, `tensor ${t.index} (${t.name}) has no quantization`, 'BAD_MODEL');
    return { scale: q.scale, zeroPoint: q.zeroPoint, axis: q.quantizedDimension };
  }

  /** An int8 activation's scale and uint8 zero point initializers (zero point + 128). */
  private activationQuant(index: number, op: Op): [string, string] {
    const known = this.quantParams.get(index);
    if (known) return known;
    const t = this.tensor(index, op);
    if (t.dtype !== 'int8') this.fail(op, `tensor ${index} (${t.name}) is ${t.dtype}; only int8 activations are supported`);
    const q = this.quant(t, op);
    if (q.scale.length !== 1) this.fail(op, `activation tensor ${index} is quantized per axis`);
    const pair: [string, string] = [
      this.init(scalarFloat(this.fresh(`t${index}_scale`), q.scale[0]!)),
      this.init(scalarUint8(this.fresh(`t${index}_zp`), q.zeroPoint[0]! + 128)),
    ];
    this.quantParams.set(index, pair);
    return pair;
  }

  private int8Data(t: Tensor, op: Op): Int8Array {
    if (t.dtype !== 'int8' || !t.data) this.fail(op, `weights tensor ${t.index} (${t.name}) is not constant int8 (${t.dtype})`);
    return new Int8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }

  /** The bias as int32 (zeros when the op has none). */
  private biasData(index: number, count: number, op: Op): Int32Array {
    if (index < 0) return new Int32Array(count);
    const t = this.tensor(index, op);
    if (t.dtype !== 'int32' || !t.data || t.data.byteLength !== count * 4) this.fail(op, `bias tensor ${index} (${t.name}) is not ${count} constant int32 values`);
    return new Int32Array(new Uint8Array(t.data).buffer); // a copy: the view may be unaligned
  }

  /** Per-output-channel weight scales (a per-tensor scale repeated), checking symmetric weights. */
  private channelScales(t: Tensor, channels: number, axis: number, op: Op): number[] {
    const q = this.quant(t, op);
    if (q.zeroPoint.some((z) => z !== 0)) this.fail(op, `weights tensor ${t.index} has a non-zero zero point`);
    if (q.scale.length === 1) return new Array<number>(channels).fill(q.scale[0]!);
    if (q.scale.length !== channels || q.axis !== axis) this.fail(op, `weights tensor ${t.index} is quantized on axis ${q.axis} with ${q.scale.length} scales; expected axis ${axis}, ${channels}`);
    return q.scale;
  }

  /** Weights, scale and zero point initializers for a QLinearConv or QGemm, in the chosen weight type. */
  private weightInits(weights: Int8Array, dims: number[], scales: number[], scaleDims: number[]): string[] {
    const count = scaleDims.length ? scaleDims[0]! : 1;
    const [w, zp] = this.weightType === 'int8'
      ? [int8s(this.fresh('w'), weights, dims), int8s(this.fresh('w_zp'), new Int8Array(count), scaleDims)]
      : [uint8s(this.fresh('w'), Uint8Array.from(weights, (v) => v + 128), dims), uint8s(this.fresh('w_zp'), new Uint8Array(count).fill(128), scaleDims)];
    return [this.init(w), this.init(floats(this.fresh('w_scale'), scales, scaleDims)), this.init(zp)];
  }

  // ---- layout

  private toNhwc(v: Value, shape: readonly number[]): string {
    if (!v.nchw) return v.name;
    if (sameOrder(shape)) return this.reshape(v.name, shape);
    return this.node('Transpose', [v.name], [{ name: 'perm', ints: NCHW_TO_NHWC }]);
  }

  private reshape(name: string, dims: readonly number[]): string {
    return this.node('Reshape', [name, this.init(int64s(this.fresh('shape'), [...dims]))]);
  }

  /** A 4-D value (TFLite shape `shape`) as NCHW; other ranks as they are. */
  private asNchw(v: Value, shape: readonly number[]): string {
    if (v.nchw || shape.length !== 4) return v.name;
    if (sameOrder(shape)) return this.reshape(v.name, toNchwShape(shape));
    return this.node('Transpose', [v.name], [{ name: 'perm', ints: NHWC_TO_NCHW }]);
  }

  // ---- fused activations

  private activation(name: string, op: Op, outIndex: number): string {
    const fused = String(op.options.fusedActivationFunction ?? 'NONE');
    const bounds: Record<string, [number, number]> = { NONE: [-Infinity, Infinity], RELU: [0, Infinity], RELU6: [0, 6], RELU_N1_TO_1: [-1, 1] };
    const range = bounds[fused];
    if (!range) this.fail(op, `fused activation ${fused} is not supported`);
    if (fused === 'NONE') return name;
    if (this.variant === 'fp32') {
      if (fused === 'RELU') return this.node('Relu', [name]);
      return this.node('Clip', [name, this.init(scalarFloat(this.fresh('min'), range[0])), this.init(scalarFloat(this.fresh('max'), range[1]))]);
    }
    // The clamp cleave's compiler gives the op (TFLite's CalculateActivationRangeQuantized, within
    // int8); a Clip only where that is narrower than what uint8 holds anyway.
    const q = this.quant(this.tensor(outIndex, op), op);
    const { min: lo, max: hi } = activationRange(fused, q.scale[0]!, q.zeroPoint[0]!, -128, 127);
    if (lo === -128 && hi === 127) return name;
    return this.node('Clip', [name, this.init(scalarUint8(this.fresh('min'), lo + 128)), this.init(scalarUint8(this.fresh('max'), hi + 128))]);
  }

  // ---- ops

  /** TFLite SAME/VALID padding as ONNX pads [top, left, bottom, right] (SAME: the extra one at the end). */
  private pads(op: Op, inH: number, inW: number, kH: number, kW: number, strideH: number, strideW: number, dilH = 1, dilW = 1): number[] {
    const padding = String(op.options.padding);
    if (padding === 'VALID') return [0, 0, 0, 0];
    if (padding !== 'SAME') this.fail(op, `padding ${padding} is not supported`);
    const total = (size: number, k: number, stride: number, dil: number) =>
      Math.max((Math.ceil(size / stride) - 1) * stride + (k - 1) * dil + 1 - size, 0);
    const th = total(inH, kH, strideH, dilH);
    const tw = total(inW, kW, strideW, dilW);
    return [th >> 1, tw >> 1, th - (th >> 1), tw - (tw >> 1)];
  }

  private conv(op: Op, depthwise: boolean): void {
    const [xi, wi, bi = -1] = op.inputs as [number, number, number?];
    const x = this.tensor(xi, op);
    const w = this.tensor(wi, op);
    const y = this.tensor(op.outputs[0]!, op);
    if (x.shape.length !== 4 || w.shape.length !== 4) this.fail(op, `expects 4-D input and weights, got [${x.shape}] and [${w.shape}]`);
    const [, inH, inW, cin] = x.shape as [number, number, number, number];
    const cout = y.shape[3]!;
    // TFLite: CONV_2D weights [cout, kh, kw, cin]; DEPTHWISE_CONV_2D [1, kh, kw, cin * multiplier].
    const [, kh, kw] = w.shape as [number, number, number, number];
    const groupIn = depthwise ? 1 : cin;
    const weights = this.int8Data(w, op);
    if (weights.length !== cout * kh * kw * groupIn) this.fail(op, `weights [${w.shape}] do not fit ${cout} output and ${cin} input channels`, 'BAD_MODEL');
    const oihw = new Int8Array(weights.length);
    for (let o = 0; o < cout; o++) {
      for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let i = 0; i < groupIn; i++) {
        oihw[((o * groupIn + i) * kh + ky) * kw + kx] = depthwise ? weights[(ky * kw + kx) * cout + o]! : weights[((o * kh + ky) * kw + kx) * cin + i]!;
      }
    }
    const strideH = Number(op.options.strideH), strideW = Number(op.options.strideW);
    const dilH = Number(op.options.dilationHFactor ?? 1), dilW = Number(op.options.dilationWFactor ?? 1);
    const attributes: OnnxAttribute[] = [
      { name: 'kernel_shape', ints: [kh, kw] }, { name: 'strides', ints: [strideH, strideW] },
      { name: 'dilations', ints: [dilH, dilW] }, { name: 'pads', ints: this.pads(op, inH, inW, kh, kw, strideH, strideW, dilH, dilW) },
      { name: 'group', int: depthwise ? cin : 1 },
    ];
    const scales = this.channelScales(w, cout, depthwise ? 3 : 0, op);
    const bias = this.biasData(bi, cout, op);
    const xv = this.value(xi, op);
    const input = this.asNchw(xv, x.shape);
    const wDims = [cout, groupIn, kh, kw];
    let out: string;
    if (this.variant === 'int8') {
      const [xs, xz] = this.activationQuant(xi, op);
      const [ys, yz] = this.activationQuant(op.outputs[0]!, op);
      out = this.node('QLinearConv', [
        input, xs, xz,
        ...this.weightInits(oihw, wDims, scales, [cout]),
        ys, yz, this.init(int32s(this.fresh('bias'), bias, [cout])),
      ], attributes);
    } else {
      const inScale = this.quant(x, op).scale[0]!;
      out = this.node('Conv', [
        input,
        this.init(floats(this.fresh('w'), Array.from(oihw, (v, i) => v * scales[Math.floor(i / (groupIn * kh * kw))]!), wDims)),
        this.init(floats(this.fresh('bias'), Array.from(bias, (v, c) => v * inScale * scales[c]!))),
      ], attributes);
    }
    this.values.set(op.outputs[0]!, { name: this.activation(out, op, op.outputs[0]!), nchw: true });
  }

  private fullyConnected(op: Op): void {
    const [xi, wi, bi = -1] = op.inputs as [number, number, number?];
    const x = this.tensor(xi, op);
    const w = this.tensor(wi, op);
    const y = this.tensor(op.outputs[0]!, op);
    if (w.shape.length !== 2) this.fail(op, `expects 2-D weights, got [${w.shape}]`);
    const [units, depth] = w.shape as [number, number];
    const batches = elementCount(x.shape) / depth;
    if (!Number.isInteger(batches)) this.fail(op, `input [${x.shape}] is not a whole number of rows of ${depth}`, 'BAD_MODEL');
    let input = this.toNhwc(this.value(xi, op), x.shape);
    if (x.shape.length !== 2 || x.shape[0] !== batches) input = this.reshape(input, [batches, depth]);
    const scales = this.channelScales(w, units, 0, op);
    const bias = this.biasData(bi, units, op);
    const weights = this.int8Data(w, op);
    let out: string;
    if (this.variant === 'int8') {
      if (new Set(scales).size !== 1) this.fail(op, 'per-channel FULLY_CONNECTED weights are not supported');
      const [xs, xz] = this.activationQuant(xi, op);
      const [ys, yz] = this.activationQuant(op.outputs[0]!, op);
      out = this.node('QGemm', [
        input, xs, xz,
        ...this.weightInits(weights, [units, depth], [scales[0]!], []),
        this.init(int32s(this.fresh('bias'), bias, [units])), ys, yz,
      ], [{ name: 'transB', int: 1 }], 'com.microsoft');
    } else {
      const inScale = this.quant(x, op).scale[0]!;
      out = this.node('Gemm', [
        input,
        this.init(floats(this.fresh('w'), Array.from(weights, (v, i) => v * scales[Math.floor(i / depth)]!), [units, depth])),
        this.init(floats(this.fresh('bias'), Array.from(bias, (v, c) => v * inScale * scales[c]!))),
      ], [{ name: 'transB', int: 1 }]);
    }
    out = this.activation(out, op, op.outputs[0]!);
    if (y.shape.length !== 2 || y.shape[0] !== batches) out = this.reshape(out, y.shape);
    this.values.set(op.outputs[0]!, { name: out, nchw: false });
  }

  private averagePool(op: Op): void {
    const xi = op.inputs[0]!;
    const x = this.tensor(xi, op);
    if (x.shape.length !== 4) this.fail(op, `expects a 4-D input, got [${x.shape}]`);
    const kh = Number(op.options.filterHeight), kw = Number(op.options.filterWidth);
    const sh = Number(op.options.strideH), sw = Number(op.options.strideW);
    const attributes: OnnxAttribute[] = [
      { name: 'kernel_shape', ints: [kh, kw] }, { name: 'strides', ints: [sh, sw] },
      { name: 'pads', ints: this.pads(op, x.shape[1]!, x.shape[2]!, kh, kw, sh, sw) },
      { name: 'count_include_pad', int: 0 }, // TFLite averages over the window's in-bounds elements
    ];
    const input = this.asNchw(this.value(xi, op), x.shape);
    let out: string;
    if (this.variant === 'int8') {
      const [xs, xz] = this.activationQuant(xi, op);
      const [ys, yz] = this.activationQuant(op.outputs[0]!, op);
      out = this.node('QLinearAveragePool', [input, xs, xz, ys, yz], attributes, 'com.microsoft');
    } else {
      out = this.node('AveragePool', [input], attributes);
    }
    this.values.set(op.outputs[0]!, { name: this.activation(out, op, op.outputs[0]!), nchw: true });
  }

  private add(op: Op): void {
    const [ai, bi] = op.inputs as [number, number];
    const a = this.tensor(ai, op), b = this.tensor(bi, op);
    if (a.shape.join() !== b.shape.join()) this.fail(op, `broadcasting [${a.shape}] + [${b.shape}] is not supported`);
    const [av, bv] = [this.value(ai, op), this.value(bi, op)];
    // Both operands in one layout: NCHW when either already is.
    const nchw = a.shape.length === 4 && (av.nchw || bv.nchw);
    const [an, bn] = nchw ? [this.asNchw(av, a.shape), this.asNchw(bv, b.shape)] : [av.name, bv.name];
    let out: string;
    if (this.variant === 'int8') {
      const [as, az] = this.activationQuant(ai, op);
      const [bs, bz] = this.activationQuant(bi, op);
      const [ys, yz] = this.activationQuant(op.outputs[0]!, op);
      out = this.node('QLinearAdd', [an, as, az, bn, bs, bz, ys, yz], [], 'com.microsoft');
    } else {
      out = this.node('Add', [an, bn]);
    }
    this.values.set(op.outputs[0]!, { name: this.activation(out, op, op.outputs[0]!), nchw });
  }

  private reshapeOp(op: Op): void {
    const xi = op.inputs[0]!;
    const y = this.tensor(op.outputs[0]!, op);
    const flat = this.toNhwc(this.value(xi, op), this.tensor(xi, op).shape);
    this.values.set(op.outputs[0]!, { name: this.reshape(flat, y.shape), nchw: false });
  }

  private softmax(op: Op): void {
    const xi = op.inputs[0]!;
    const v = this.value(xi, op);
    const beta = Number(op.options.beta ?? 1);
    const axis = v.nchw ? 1 : -1; // TFLite: the last (channel) axis
    let x = v.name;
    if (this.variant === 'int8') {
      const [xs, xz] = this.activationQuant(xi, op);
      x = this.node('DequantizeLinear', [x, xs, xz]);
    }
    if (beta !== 1) x = this.node('Mul', [x, this.init(scalarFloat(this.fresh('beta'), beta))]);
    let out = this.node('Softmax', [x], [{ name: 'axis', int: axis }]);
    if (this.variant === 'int8') {
      const [ys, yz] = this.activationQuant(op.outputs[0]!, op);
      out = this.node('QuantizeLinear', [out, ys, yz]);
    }
    this.values.set(op.outputs[0]!, { name: out, nchw: v.nchw });
  }

  convert(): PeerModel {
    const g = this.graph;
    if (g.inputs.length !== 1 || g.outputs.length !== 1) this.fail(null, `${g.inputs.length} inputs and ${g.outputs.length} outputs; one of each is supported`);
    const type: OnnxTypeName = this.variant === 'int8' ? 'uint8' : 'float';
    const inT = g.tensors[g.inputs[0]!]!;
    const outT = g.tensors[g.outputs[0]!]!;
    this.values.set(inT.index, { name: 'input', nchw: false });
    for (const op of g.ops) {
      switch (op.opcode) {
        case 'CONV_2D': this.conv(op, false); break;
        case 'DEPTHWISE_CONV_2D': this.conv(op, true); break;
        case 'FULLY_CONNECTED': this.fullyConnected(op); break;
        case 'AVERAGE_POOL_2D': this.averagePool(op); break;
        case 'ADD': this.add(op); break;
        case 'RESHAPE': this.reshapeOp(op); break;
        case 'SOFTMAX': this.softmax(op); break;
        default: this.fail(op, 'no ONNX mapping for this op');
      }
    }
    const last = this.values.get(outT.index);
    if (!last) this.fail(null, `the output tensor ${outT.index} is never computed`, 'BAD_MODEL');
    this.nodes.push({ opType: 'Identity', inputs: [this.toNhwc(last, outT.shape)], outputs: ['output'] });
    const bytes = encodeModel({
      name: `${g.source}:${this.variant}`, nodes: this.nodes, initializers: this.initializers,
      inputs: [{ name: 'input', type, dims: inT.shape }], outputs: [{ name: 'output', type, dims: outT.shape }],
    });
    return { variant: this.variant, bytes, input: { name: 'input', type, dims: inT.shape }, output: { name: 'output', type, dims: outT.shape } };
  }
}

/** The ONNX peer of a TFLite int8 model; throws UNSUPPORTED_OP (naming the op) for what it cannot map. */
export function tfliteToOnnx(graph: Graph, variant: PeerVariant, weightType: PeerWeightType = 'int8'): PeerModel {
  return new Converter(graph, variant, weightType).convert();
}

/** cleave's int8 input bytes as the peer's input: uint8 (+128) or dequantized float. */
export function peerInput(graph: Graph, variant: PeerVariant, input: Int8Array): Uint8Array | Float32Array {
  if (variant === 'int8') return Uint8Array.from(input, (v) => v + 128);
  const q = graph.tensors[graph.inputs[0]!]!.quantization!;
  return Float32Array.from(input, (v) => (v - q.zeroPoint[0]!) * q.scale[0]!);
}

/** The peer's output as real values (the int8 variant's uint8 dequantized with the model's output parameters). */
export function peerOutputReal(graph: Graph, variant: PeerVariant, output: Uint8Array | Float32Array): Float32Array {
  if (variant === 'fp32') return Float32Array.from(output);
  const q = graph.tensors[graph.outputs[0]!]!.quantization!;
  return Float32Array.from(output, (v) => (v - 128 - q.zeroPoint[0]!) * q.scale[0]!);
}

/**
 * The weight type that makes ORT's int8 kernels exact on this CPU: u8 × s8 where ORT multiplies with
 * vpdpbusd (AVX-512 VNNI) or on arm64, u8 × u8 on x86 without VNNI (its AVX2 u8 × s8 saturates).
 */
export function exactWeightType(cpu: { arch: string; avx512vnni?: boolean }): PeerWeightType {
  return cpu.arch === 'x64' && !cpu.avx512vnni ? 'uint8' : 'int8';
}

/** The graph up to the tensor a final SOFTMAX reads (the logits), or the graph itself without one. */
export function logitsGraph(graph: Graph): Graph {
  const last = graph.ops[graph.ops.length - 1];
  if (last?.opcode !== 'SOFTMAX') return graph;
  return { ...graph, ops: graph.ops.slice(0, -1), outputs: [last.inputs[0]!] };
}
