// The parameter words of every Program op, declared once. `node scripts/op-params/generate.js`
// writes from this table the C++ views the loader's validator and the interpreter's kernels read
// (native/interp/op_param_layout.h) and the TypeScript encoder's layouts the compiler's lowering
// fills by name (src/compile/op-params.generated.ts); test/compile/op-params.test.ts fails when
// either generated file is stale. A word's index is its position in `params`.
//
// Each layout: `op` (the op it belongs to), `opcode` (part of the Program format: never renumber,
// only append), `struct` (the C++ view in namespace cleave::op_params), optional `layout` (the
// name the lowering uses when an op has several; else `op`), optional `extends` (the layout whose
// words come first, unchanged), and `params`, each one of
//   { name, type: 'i32' }          one signed word
//   { name, type: 'bool' }         one word, 0 or 1
//   { name, type: 'f32' }          one word holding the bits of a float32
//   { name, type: 'f64' }          two words holding the bits of a float64, low word first
//   { name, type: 'i32', words: n } n consecutive words (a per-dimension vector)
//   { name, type: 'array', count } the byte offset of an int32 array in the constant blob; `count`
//      says its length: 'output_channels' (the output's last dimension) or { param, when }
//      (the value of word `param`, or 1 when word `when` is 0).
// An op whose words depend on its tensors' dtypes has one layout per case (QUANTIZE).
'use strict';

const i32 = (name) => ({ name, type: 'i32' });
const array = (name, count) => ({ name, type: 'array', count });

module.exports = [
  {
    op: 'CONV_2D', opcode: 1, struct: 'Conv2D',
    params: [
      i32('stride_h'), i32('stride_w'), i32('dilation_h'), i32('dilation_w'), i32('pad_top'), i32('pad_left'),
      i32('input_offset'), i32('output_offset'), i32('act_min'), i32('act_max'),
      array('multiplier', 'output_channels'), array('shift', 'output_channels'),
    ],
  },
  {
    op: 'DEPTHWISE_CONV_2D', opcode: 2, struct: 'DepthwiseConv2D', extends: 'CONV_2D',
    params: [i32('depth_multiplier')],
  },
  {
    op: 'FULLY_CONNECTED', opcode: 3, struct: 'FullyConnected',
    params: [
      i32('input_offset'), i32('filter_offset'), i32('output_offset'), i32('act_min'), i32('act_max'),
      { name: 'per_channel', type: 'bool' },
      array('multiplier', { param: 'output_depth', when: 'per_channel' }),
      array('shift', { param: 'output_depth', when: 'per_channel' }),
      i32('batches'), i32('accum_depth'), i32('output_depth'),
    ],
  },
  {
    op: 'ADD', opcode: 4, struct: 'Add',
    params: [
      i32('left_shift'), i32('input1_offset'), i32('input2_offset'), i32('output_offset'),
      i32('input1_multiplier'), i32('input1_shift'), i32('input2_multiplier'), i32('input2_shift'),
      i32('output_multiplier'), i32('output_shift'), i32('act_min'), i32('act_max'),
    ],
  },
  {
    op: 'AVERAGE_POOL_2D', opcode: 5, struct: 'Pool2D',
    params: [
      i32('stride_h'), i32('stride_w'), i32('filter_h'), i32('filter_w'), i32('pad_top'), i32('pad_left'),
      i32('act_min'), i32('act_max'),
    ],
  },
  { op: 'MAX_POOL_2D', opcode: 6, struct: 'MaxPool2D', extends: 'AVERAGE_POOL_2D', params: [] },
  { op: 'RESHAPE', opcode: 7, struct: 'Reshape', params: [] },
  {
    op: 'SOFTMAX', opcode: 8, struct: 'Softmax',
    // int8 input: beta-scaled input multiplier, left shift and diff_min (SoftmaxPrepare);
    // int16 input: the multiplier and shift onto the exp table's range, diff_min unused (0).
    params: [i32('input_multiplier'), i32('input_left_shift'), i32('diff_min'), i32('output_zero_point')],
  },
  {
    op: 'QUANTIZE', opcode: 9, struct: 'Requantize', layout: 'QUANTIZE',
    params: [i32('input_zero_point'), i32('output_zero_point'), i32('multiplier'), i32('shift')],
  },
  {
    op: 'QUANTIZE', opcode: 9, struct: 'QuantizeFromFloat', layout: 'QUANTIZE_FROM_FLOAT',
    params: [{ name: 'output_scale', type: 'f32' }, i32('output_zero_point')],
  },
  {
    op: 'DEQUANTIZE', opcode: 10, struct: 'Dequantize',
    params: [{ name: 'scale', type: 'f64' }, i32('zero_point')],
  },
  {
    op: 'PAD', opcode: 11, struct: 'Pad',
    params: [{ name: 'before', type: 'i32', words: 4 }, { name: 'after', type: 'i32', words: 4 }, i32('value')],
  },
  { op: 'CONCATENATION', opcode: 12, struct: 'Concatenation', params: [i32('axis')] },
  {
    op: 'MEAN', opcode: 13, struct: 'Mean',
    params: [
      i32('input_zero_point'), i32('output_zero_point'), i32('multiplier'), i32('shift'), i32('num_axes'),
      { name: 'axes', type: 'i32', words: 4 },
    ],
  },
  {
    op: 'SVDF', opcode: 14, struct: 'Svdf',
    params: [
      i32('batch_size'), i32('input_size'), i32('num_filters'), i32('num_units'), i32('memory_size'), i32('rank'),
      i32('input_zero_point'), i32('output_zero_point'), i32('state_zero_point'),
      i32('effective_scale_1_a'), i32('effective_scale_1_b'), i32('effective_scale_2_a'), i32('effective_scale_2_b'),
    ],
  },
];
