// Lowering: each TFLite op becomes a Program op record whose parameters are everything TFLite's
// Prepare would compute (padding, multipliers and shifts, activation clamps), so the native side
// only does arithmetic. Each op's parameter words are declared once, in scripts/op-params/table.js.
import { CleaveError, type CleaveErrorCode } from '../errors';
import { type Graph, type Op, type Tensor, elementCount } from '../model/graph';
import { type ConstArray, type Param, encodeParams } from './op-params';
import { PROGRAM_OPCODES, isSupportedOp } from './opcodes';
import { INT_RANGE, activationRange, quantizeMultiplier, softmaxScaling } from './quant';

export type { ConstArray, Param } from './op-params';

export interface LoweredOp {
  sourceIndex: number;
  opcode: number;
  /** Graph tensor indices (-1 = omitted), then `scratch.length` scratch tensors appended by the compiler. */
  inputs: number[];
  outputs: number[];
  params: Param[];
  /** Byte sizes of scratch buffers the op needs while it runs. */
  scratch: number[];
}

/** Most inputs (or outputs) one Program op record can hold: its counts are 16-bit. */
export const MAX_OP_TENSORS = 0xffff;

export class CompileError extends CleaveError {
  constructor(graph: Graph, op: Op | null, message: string, code: CleaveErrorCode = 'COMPILE_ERROR') {
    super(code, `${graph.source}: ${op ? `op ${op.index} (${op.opcode}): ` : ''}${message}`);
    this.name = 'CompileError';
  }
}

class OpLowering {
  constructor(private readonly graph: Graph, private readonly op: Op) {}

  fail(message: string, code?: CleaveErrorCode): never {
    throw new CompileError(this.graph, this.op, message, code);
  }

  tensor(position: number, what: string): Tensor {
    const index = this.op.inputs[position];
    const t = index !== undefined && index >= 0 ? this.graph.tensors[index] : undefined;
    if (!t) this.fail(`missing ${what} (input ${position})`);
    return t;
  }

  optionalTensor(position: number): Tensor | null {
    const index = this.op.inputs[position];
    return index !== undefined && index >= 0 ? this.graph.tensors[index]! : null;
  }

  output(position = 0): Tensor {
    const index = this.op.outputs[position];
    const t = index !== undefined ? this.graph.tensors[index] : undefined;
    if (!t) this.fail(`missing output ${position}`);
    return t;
  }

  scale(t: Tensor): number {
    const s = t.quantization?.scale[0];
    if (s === undefined) this.fail(`tensor ${t.index} "${t.name}" has no quantization scale`);
    return s;
  }

  zeroPoint(t: Tensor): number {
    return t.quantization?.zeroPoint[0] ?? 0;
  }

  expectDtype(t: Tensor, allowed: string[], what: string): void {
    if (!allowed.includes(t.dtype)) this.fail(`${what} tensor ${t.index} is ${t.dtype}; supported: ${allowed.join(', ')}`, 'UNSUPPORTED_OP');
  }

  expectRank(t: Tensor, rank: number, what: string): void {
    if (t.shape.length !== rank) this.fail(`${what} tensor ${t.index} has shape [${t.shape}], expected rank ${rank}`);
  }

  activation(out: Tensor): { min: number; max: number } {
    const range = INT_RANGE[out.dtype];
    if (!range) this.fail(`output ${out.index} dtype ${out.dtype} has no integer range`);
    const act = String(this.op.options.fusedActivationFunction ?? 'NONE');
    try {
      return activationRange(act, this.scale(out), this.zeroPoint(out), range.min, range.max);
    } catch (err) {
      return this.fail((err as Error).message, 'UNSUPPORTED_OP');
    }
  }

  /** TFLite's ComputePaddingHeightWidth for one spatial axis. */
  padding(inSize: number, filter: number, stride: number, dilation: number, outSize: number): number {
    const effective = (filter - 1) * dilation + 1;
    const padding = String(this.op.options.padding ?? 'VALID');
    const expected = padding === 'SAME' ? Math.floor((inSize + stride - 1) / stride) : Math.floor((inSize - effective + stride) / stride);
    if (expected !== outSize) this.fail(`output size ${outSize} does not match ${padding} padding (expected ${expected})`);
    return Math.max(0, Math.floor(((outSize - 1) * stride + effective - inSize) / 2));
  }

  /** Per-output-channel multipliers and shifts of CONV/DEPTHWISE (PopulateConvolutionQuantizationParams). */
  channelMultipliers(input: Tensor, filter: Tensor, output: Tensor, channels: number): [ConstArray, ConstArray] {
    const scales = filter.quantization?.scale;
    if (!scales || (scales.length !== 1 && scales.length !== channels)) {
      this.fail(`filter ${filter.index} has ${scales?.length ?? 0} scales for ${channels} output channels`);
    }
    const mult = new Int32Array(channels);
    const shift = new Int32Array(channels);
    for (let c = 0; c < channels; c++) {
      const fs = scales.length > 1 ? scales[c]! : scales[0]!;
      const q = quantizeMultiplier((this.scale(input) * fs) / this.scale(output));
      mult[c] = q.multiplier;
      shift[c] = q.shift;
    }
    return [{ values: mult }, { values: shift }];
  }

  lower(): LoweredOp {
    const name = this.op.opcode;
    if (!isSupportedOp(name)) this.fail(`op ${name} is not supported by cleave's interpreter`, 'UNSUPPORTED_OP');
    const base = { sourceIndex: this.op.index, opcode: PROGRAM_OPCODES[name], inputs: [...this.op.inputs], outputs: [...this.op.outputs], scratch: [] as number[] };
    switch (name) {
      case 'CONV_2D': return { ...base, params: this.conv(false) };
      case 'DEPTHWISE_CONV_2D': return { ...base, params: this.conv(true) };
      case 'FULLY_CONNECTED': return { ...base, params: this.fullyConnected() };
      case 'ADD': return { ...base, params: this.add() };
      case 'AVERAGE_POOL_2D':
      case 'MAX_POOL_2D': return { ...base, params: this.pool() };
      case 'RESHAPE': return { ...base, inputs: [this.op.inputs[0]!], params: this.reshape() };
      case 'SOFTMAX': return { ...base, params: this.softmax() };
      case 'QUANTIZE': return { ...base, params: this.quantize() };
      case 'DEQUANTIZE': return { ...base, params: this.dequantize() };
      case 'PAD': return { ...base, inputs: [this.op.inputs[0]!], params: this.pad() };
      case 'CONCATENATION': return { ...base, params: this.concatenation() };
      case 'MEAN': return this.mean(base);
      case 'SVDF': return this.svdf(base);
    }
  }

  /** Input, constant int8/int4 filter of `filterRank`, optional int32 bias and output of a weighted op. */
  weightedOperands(filterRank: number): { input: Tensor; filter: Tensor; bias: Tensor | null; output: Tensor } {
    const input = this.tensor(0, 'input');
    const filter = this.tensor(1, 'filter');
    const bias = this.optionalTensor(2);
    const output = this.output();
    this.expectDtype(input, ['int8'], 'input');
    this.expectDtype(filter, ['int8', 'int4'], 'filter');
    this.expectDtype(output, ['int8'], 'output');
    if (bias) this.expectDtype(bias, ['int32'], 'bias');
    this.expectRank(filter, filterRank, 'filter');
    if (!filter.data) this.fail('filter must be a constant tensor');
    return { input, filter, bias, output };
  }

  conv(depthwise: boolean): Param[] {
    const { input, filter, bias, output } = this.weightedOperands(4);
    this.expectRank(input, 4, 'input');
    this.expectRank(output, 4, 'output');
    const [, inH, inW, inC] = input.shape as [number, number, number, number];
    const [fOut, fH, fW, fIn] = filter.shape as [number, number, number, number];
    const [, outH, outW, outC] = output.shape as [number, number, number, number];
    const o = this.op.options;
    const strideH = Number(o.strideH ?? 1), strideW = Number(o.strideW ?? 1);
    const dilH = Number(o.dilationHFactor ?? 1), dilW = Number(o.dilationWFactor ?? 1);
    if (strideH < 1 || strideW < 1 || dilH < 1 || dilW < 1) this.fail(`invalid stride ${strideH}x${strideW} or dilation ${dilH}x${dilW}`);
    let depthMultiplier = 1;
    if (depthwise) {
      depthMultiplier = Number(o.depthMultiplier ?? 1) || outC / inC;
      if (fOut !== 1 || fIn !== outC || inC * depthMultiplier !== outC) {
        this.fail(`filter [${filter.shape}] does not fit input channels ${inC} x depth multiplier ${depthMultiplier} = output channels ${outC}`);
      }
    } else if (fOut !== outC || fIn !== inC) {
      this.fail(`filter [${filter.shape}] does not match input channels ${inC} and output channels ${outC}`);
    }
    if (bias && elementCount(bias.shape) !== outC) this.fail(`bias has ${elementCount(bias.shape)} values for ${outC} channels`);
    const padTop = this.padding(inH, fH, strideH, dilH, outH);
    const padLeft = this.padding(inW, fW, strideW, dilW, outW);
    const act = this.activation(output);
    const [mult, shift] = this.channelMultipliers(input, filter, output, outC);
    const conv = {
      strideH, strideW, dilationH: dilH, dilationW: dilW, padTop, padLeft, inputOffset: -this.zeroPoint(input),
      outputOffset: this.zeroPoint(output), actMin: act.min, actMax: act.max, multiplier: mult, shift,
    };
    return depthwise ? encodeParams('DEPTHWISE_CONV_2D', { ...conv, depthMultiplier }) : encodeParams('CONV_2D', conv);
  }

  fullyConnected(): Param[] {
    const { input, filter, bias, output } = this.weightedOperands(2);
    const [outDepth, accumDepth] = filter.shape as [number, number];
    if (elementCount(input.shape) % accumDepth !== 0) this.fail(`input [${input.shape}] is not a multiple of accum depth ${accumDepth}`);
    const batches = elementCount(input.shape) / accumDepth;
    if (elementCount(output.shape) !== batches * outDepth) this.fail(`output [${output.shape}] is not ${batches}x${outDepth}`);
    if (bias && elementCount(bias.shape) !== outDepth) this.fail(`bias has ${elementCount(bias.shape)} values for ${outDepth} outputs`);
    const scales = filter.quantization?.scale ?? [];
    const perChannel = scales.length > 1;
    let mult: ConstArray, shift: ConstArray;
    if (perChannel) {
      [mult, shift] = this.channelMultipliers(input, filter, output, outDepth);
    } else {
      // GetQuantizedConvolutionMultipler: the scale product is taken in float32, then widened.
      const q = quantizeMultiplier(Math.fround(this.scale(input) * this.scale(filter)) / this.scale(output));
      mult = { values: Int32Array.of(q.multiplier) };
      shift = { values: Int32Array.of(q.shift) };
    }
    const act = this.activation(output);
    return encodeParams('FULLY_CONNECTED', {
      inputOffset: -this.zeroPoint(input), filterOffset: -this.zeroPoint(filter), outputOffset: this.zeroPoint(output),
      actMin: act.min, actMax: act.max, perChannel, multiplier: mult, shift, batches, accumDepth, outputDepth: outDepth,
    });
  }

  add(): Param[] {
    const a = this.tensor(0, 'input1');
    const b = this.tensor(1, 'input2');
    const output = this.output();
    for (const [t, w] of [[a, 'input1'], [b, 'input2'], [output, 'output']] as const) this.expectDtype(t, ['int8', 'int16'], w);
    if (a.dtype !== output.dtype || b.dtype !== output.dtype) this.fail('inputs and output must share one dtype');
    for (const t of [a, b, output]) if (t.shape.length > 4) this.fail(`rank ${t.shape.length} is above 4`);
    this.checkBroadcast(a.shape, b.shape, output.shape);
    const leftShift = output.dtype === 'int16' ? 15 : 20;
    const sa = this.scale(a), sb = this.scale(b), so = this.scale(output);
    const twiceMax = 2 * Math.max(sa, sb);
    const m1 = quantizeMultiplier(sa / twiceMax);
    const m2 = quantizeMultiplier(sb / twiceMax);
    const mo = quantizeMultiplier(twiceMax / (2 ** leftShift * so));
    const act = this.activation(output);
    return encodeParams('ADD', {
      leftShift, input1Offset: -this.zeroPoint(a), input2Offset: -this.zeroPoint(b), outputOffset: this.zeroPoint(output),
      input1Multiplier: m1.multiplier, input1Shift: m1.shift, input2Multiplier: m2.multiplier, input2Shift: m2.shift,
      outputMultiplier: mo.multiplier, outputShift: mo.shift, actMin: act.min, actMax: act.max,
    });
  }

  checkBroadcast(a: number[], b: number[], out: number[]): void {
    const rank = Math.max(a.length, b.length);
    for (let i = 0; i < rank; i++) {
      const da = a[a.length - 1 - i] ?? 1, db = b[b.length - 1 - i] ?? 1, dout = out[out.length - 1 - i] ?? 1;
      if ((da !== db && da !== 1 && db !== 1) || dout !== Math.max(da, db)) {
        this.fail(`shapes [${a}] and [${b}] do not broadcast to [${out}]`);
      }
    }
  }

  pool(): Param[] {
    const input = this.tensor(0, 'input');
    const output = this.output();
    this.expectDtype(input, ['int8'], 'input');
    this.expectDtype(output, ['int8'], 'output');
    this.expectRank(input, 4, 'input');
    this.expectRank(output, 4, 'output');
    if (input.shape[3] !== output.shape[3] || input.shape[0] !== output.shape[0]) this.fail(`input [${input.shape}] and output [${output.shape}] differ in batch or channels`);
    const o = this.op.options;
    const sh = Number(o.strideH ?? 1), sw = Number(o.strideW ?? 1), fh = Number(o.filterHeight ?? 1), fw = Number(o.filterWidth ?? 1);
    if (sh < 1 || sw < 1 || fh < 1 || fw < 1) this.fail(`invalid stride ${sh}x${sw} or filter ${fh}x${fw}`);
    const padTop = this.padding(input.shape[1]!, fh, sh, 1, output.shape[1]!);
    const padLeft = this.padding(input.shape[2]!, fw, sw, 1, output.shape[2]!);
    const act = this.activation(output);
    const pool = { strideH: sh, strideW: sw, filterH: fh, filterW: fw, padTop, padLeft, actMin: act.min, actMax: act.max };
    return this.op.opcode === 'MAX_POOL_2D' ? encodeParams('MAX_POOL_2D', pool) : encodeParams('AVERAGE_POOL_2D', pool);
  }

  reshape(): Param[] {
    const input = this.tensor(0, 'input');
    const output = this.output();
    if (input.byteLength !== output.byteLength || input.dtype !== output.dtype) {
      this.fail(`input ${input.dtype}[${input.shape}] and output ${output.dtype}[${output.shape}] differ in size or type`);
    }
    return encodeParams('RESHAPE', {});
  }

  softmax(): Param[] {
    const input = this.tensor(0, 'input');
    const output = this.output();
    this.expectDtype(input, ['int8', 'int16'], 'input');
    this.expectDtype(output, ['int8', 'int16'], 'output');
    if (elementCount(input.shape) !== elementCount(output.shape)) this.fail('input and output sizes differ');
    const beta = Number(this.op.options.beta ?? 1);
    if (input.dtype === 'int16') {
      if (output.dtype !== 'int16') this.fail('int16 input needs an int16 output');
      // SoftmaxPrepare for int16: input differences rescaled onto the LUT's [-10, 0] range.
      const q = quantizeMultiplier((this.scale(input) * beta) / (10.0 / 65535.0));
      return encodeParams('SOFTMAX', { inputMultiplier: q.multiplier, inputLeftShift: q.shift, diffMin: 0, outputZeroPoint: this.zeroPoint(output) });
    }
    const wantZp = output.dtype === 'int16' ? -32768 : -128;
    if (this.zeroPoint(output) !== wantZp) this.fail(`${output.dtype} softmax output must have zero point ${wantZp}`);
    const s = softmaxScaling(beta, this.scale(input));
    return encodeParams('SOFTMAX', { inputMultiplier: s.multiplier, inputLeftShift: s.leftShift, diffMin: s.diffMin, outputZeroPoint: this.zeroPoint(output) });
  }

  quantize(): Param[] {
    const input = this.tensor(0, 'input');
    const output = this.output();
    if (elementCount(input.shape) !== elementCount(output.shape)) this.fail('input and output sizes differ');
    this.expectDtype(output, ['int8', 'uint8', 'int16', 'int32'], 'output');
    if (input.dtype === 'float32') {
      return encodeParams('QUANTIZE_FROM_FLOAT', { outputScale: this.scale(output), outputZeroPoint: this.zeroPoint(output) });
    }
    this.expectDtype(input, ['int8', 'uint8', 'int16'], 'input');
    const q = quantizeMultiplier(this.scale(input) / this.scale(output));
    return encodeParams('QUANTIZE', { inputZeroPoint: this.zeroPoint(input), outputZeroPoint: this.zeroPoint(output), multiplier: q.multiplier, shift: q.shift });
  }

  dequantize(): Param[] {
    const input = this.tensor(0, 'input');
    const output = this.output();
    this.expectDtype(input, ['int8', 'uint8', 'int16'], 'input');
    this.expectDtype(output, ['float32'], 'output');
    if (elementCount(input.shape) !== elementCount(output.shape)) this.fail('input and output sizes differ');
    // DequantizationParams holds the scale as a double widened from the float32 tensor scale.
    return encodeParams('DEQUANTIZE', { scale: this.scale(input), zeroPoint: this.zeroPoint(input) });
  }

  pad(): Param[] {
    const input = this.tensor(0, 'input');
    const paddings = this.tensor(1, 'paddings');
    const output = this.output();
    if (input.shape.length > 4) this.fail(`rank ${input.shape.length} is above 4`);
    if (!paddings.data || paddings.dtype !== 'int32') this.fail('paddings must be a constant int32 tensor');
    const dv = new DataView(paddings.data.buffer, paddings.data.byteOffset, paddings.data.byteLength);
    const rank = input.shape.length;
    if (elementCount(paddings.shape) !== rank * 2) this.fail(`paddings [${paddings.shape}] do not match rank ${rank}`);
    const before: [number, number, number, number] = [0, 0, 0, 0];
    const after: [number, number, number, number] = [0, 0, 0, 0];
    for (let i = 0; i < rank; i++) {
      const b = dv.getInt32(8 * i, true), a = dv.getInt32(8 * i + 4, true);
      if (b < 0 || a < 0) this.fail(`negative padding on axis ${i}`);
      before[4 - rank + i] = b;
      after[4 - rank + i] = a;
      if (input.shape[i]! + b + a !== output.shape[i]) this.fail(`axis ${i}: ${input.shape[i]} + ${b} + ${a} != output ${output.shape[i]}`);
    }
    let padValue = this.zeroPoint(output);
    const constant = this.optionalTensor(2);
    if (constant?.data) {
      const cv = new DataView(constant.data.buffer, constant.data.byteOffset, constant.data.byteLength);
      padValue = constant.dtype === 'int8' ? cv.getInt8(0) : constant.dtype === 'int16' ? cv.getInt16(0, true) : constant.dtype === 'uint8' ? cv.getUint8(0) : cv.getInt32(0, true);
    }
    return encodeParams('PAD', { before, after, value: padValue });
  }

  concatenation(): Param[] {
    const output = this.output();
    const rank = output.shape.length;
    let axis = Number(this.op.options.axis ?? 0);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || rank > 4) this.fail(`axis ${this.op.options.axis} is invalid for rank ${rank}`);
    let total = 0;
    this.op.inputs.forEach((i, n) => {
      const t = this.tensor(n, `input ${n}`);
      if (t.dtype !== output.dtype || t.shape.length !== rank) this.fail(`input ${i} ${t.dtype}[${t.shape}] does not match output ${output.dtype}[${output.shape}]`);
      if (t.quantization && output.quantization && (this.scale(t) !== this.scale(output) || this.zeroPoint(t) !== this.zeroPoint(output))) {
        this.fail(`input ${i} quantization differs from the output's (TFLite Micro requires equal scales)`);
      }
      for (let d = 0; d < rank; d++) if (d !== axis && t.shape[d] !== output.shape[d]) this.fail(`input ${i} shape [${t.shape}] does not fit output [${output.shape}]`);
      total += t.shape[axis]!;
    });
    if (total !== output.shape[axis]) this.fail(`inputs add up to ${total} along axis ${axis}, output has ${output.shape[axis]}`);
    return encodeParams('CONCATENATION', { axis: axis + (4 - rank) });
  }

  mean(base: Omit<LoweredOp, 'params'>): LoweredOp {
    const input = this.tensor(0, 'input');
    const axesT = this.tensor(1, 'axes');
    const output = this.output();
    this.expectDtype(input, ['int8', 'int16'], 'input');
    if (output.dtype !== input.dtype) this.fail('input and output dtypes differ');
    if (input.shape.length > 4) this.fail(`rank ${input.shape.length} is above 4`);
    if (!axesT.data || axesT.dtype !== 'int32') this.fail('axes must be a constant int32 tensor');
    const rank = input.shape.length;
    const dv = new DataView(axesT.data.buffer, axesT.data.byteOffset, axesT.data.byteLength);
    const axes = new Set<number>();
    for (let i = 0; i < axesT.byteLength / 4; i++) {
      let a = dv.getInt32(4 * i, true);
      if (a < 0) a += rank;
      if (a < 0 || a >= rank) this.fail(`axis ${dv.getInt32(4 * i, true)} is out of range for rank ${rank}`);
      axes.add(a + (4 - rank));
    }
    const sorted = [...axes].sort();
    // TFLite Micro requantizes the zero-point-corrected sum with a multiplier into which the kernel
    // folds 1/count, whether or not input and output quantization are equal (reduce_common.cc).
    const q = quantizeMultiplier(this.scale(input) / this.scale(output));
    const axesParam: [number, number, number, number] = [0, 0, 0, 0];
    sorted.forEach((a, i) => { axesParam[i] = a; });
    return {
      ...base,
      inputs: [this.op.inputs[0]!],
      params: encodeParams('MEAN', {
        inputZeroPoint: this.zeroPoint(input), outputZeroPoint: this.zeroPoint(output), multiplier: q.multiplier, shift: q.shift,
        numAxes: sorted.length, axes: axesParam,
      }),
      scratch: [elementCount(output.shape) * 4],
    };
  }

  svdf(base: Omit<LoweredOp, 'params'>): LoweredOp {
    const input = this.tensor(0, 'input');
    const weightsFeature = this.tensor(1, 'weights_feature');
    const weightsTime = this.tensor(2, 'weights_time');
    const bias = this.optionalTensor(3);
    const state = this.tensor(4, 'activation_state');
    const output = this.output();
    this.expectDtype(input, ['int8'], 'input');
    this.expectDtype(weightsFeature, ['int8'], 'weights_feature');
    this.expectDtype(weightsTime, ['int16', 'int8'], 'weights_time');
    if (state.dtype !== weightsTime.dtype) this.fail(`activation_state is ${state.dtype} but weights_time is ${weightsTime.dtype}; they must match`);
    this.expectDtype(output, ['int8'], 'output');
    if (!state.isVariable) this.fail(`activation_state tensor ${state.index} must be a variable tensor`);
    const rank = Number(this.op.options.rank ?? 1);
    const [batch, inputSize] = input.shape as [number, number];
    const [numFilters, wfInput] = weightsFeature.shape as [number, number];
    const [wtFilters, memorySize] = weightsTime.shape as [number, number];
    if (wfInput !== inputSize || wtFilters !== numFilters || rank < 1 || numFilters % rank !== 0) {
      this.fail(`weights_feature [${weightsFeature.shape}], weights_time [${weightsTime.shape}] and rank ${rank} do not fit input [${input.shape}]`);
    }
    const numUnits = numFilters / rank;
    if (elementCount(state.shape) !== batch * memorySize * numFilters) this.fail(`state [${state.shape}] is not ${batch}x${memorySize * numFilters}`);
    if (elementCount(output.shape) !== batch * numUnits) this.fail(`output [${output.shape}] is not ${batch}x${numUnits}`);
    if (bias && elementCount(bias.shape) !== numUnits) this.fail(`bias has ${elementCount(bias.shape)} values for ${numUnits} units`);
    // TFLite Micro's SVDF Prepare forms both effective scales in float32, then widens to double.
    const f = Math.fround;
    const s1 = quantizeMultiplier(f(f(this.scale(input) * this.scale(weightsFeature)) / this.scale(state)));
    const s2 = quantizeMultiplier(f(f(this.scale(state) * this.scale(weightsTime)) / this.scale(output)));
    return {
      ...base,
      params: encodeParams('SVDF', {
        batchSize: batch, inputSize, numFilters, numUnits, memorySize, rank, inputZeroPoint: this.zeroPoint(input),
        outputZeroPoint: this.zeroPoint(output), stateZeroPoint: this.zeroPoint(state),
        effectiveScale1A: s1.multiplier, effectiveScale1B: s1.shift, effectiveScale2A: s2.multiplier, effectiveScale2B: s2.shift,
      }),
      scratch: [batch * numFilters * 4, batch * numUnits * 4],
    };
  }
}

export function lowerOp(graph: Graph, op: Op): LoweredOp {
  const lowering = new OpLowering(graph, op);
  const lowered = lowering.lower();
  // The op record counts inputs (scratch buffers included) and outputs in 16 bits.
  const inputs = lowered.inputs.length + lowered.scratch.length;
  if (inputs > MAX_OP_TENSORS || lowered.outputs.length > MAX_OP_TENSORS) {
    lowering.fail(`${inputs} inputs and ${lowered.outputs.length} outputs exceed the Program format's ${MAX_OP_TENSORS} per op`);
  }
  return lowered;
}
