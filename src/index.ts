// cleave's public API: everything a user needs is exported here, so nobody deep-imports dist/
// (package.json's `exports` map does not let them).
export { load, loadModel, Model, Session, KERNEL_SETS, availableKernelSets } from './session';
export type { TensorSpec, TensorData, RunDetails, RunOptions, OpProfile, SessionOptions, KernelSet, ModelSource } from './session';
export type { EnergyWindow } from './energy-window';
export { readModel, readModelFile } from './model/reader';
export type { Graph, Tensor, Op } from './model/graph';
export { compileGraph } from './compile/program';
export { CleaveError, ERROR_CODES, EXIT_STATUS, type CleaveErrorCode, type ErrorClass } from './errors';
export { ModelError } from './model/errors';

// Wire codecs for the tensors that cross a cut (docs/codecs.md).
export { encode, decode, codecInfo, CODECS } from './codec';
export type { CodecName, CodecOptions, CodecDescription, WireDType, WireTensor, DecodeOptions, DecodedTensor, DecodedCodecInfo } from './codec';

// Split models (docs/segments.md): valid cuts, splitting into a plan directory, and running a plan.
export { listCuts } from './segments/cuts';
export type { Cut } from './segments/cuts';
export { writePlan, readPlan, PlanRunner, PLAN_FORMAT, PLAN_VERSION } from './segments/plan';
export type { PlanFile, PlanSegment, PlanTensor, SplitOptions, StageResult } from './segments/plan';

// Split plans across processes and machines (docs/wire-protocol.md).
export { pipeline, Pipeline } from './pipeline/runner';
export type { PipelineEvents, PipelineOptions, PipelineResult, StageTiming } from './pipeline/runner';
export type { LinkFigures, ReplanEvent, ReplanOptions } from './pipeline/replan';
export { SegmentServer } from './pipeline/serve';
export type { ServeOptions } from './pipeline/serve';

// Inputs and outputs in real units (docs/cli.md, `cleave run`): quantization with a tensor's scale
// and zero point, NumPy .npy files, images.
export { quantize, dequantize } from './io/quantize';
export { parseNpy, formatNpy } from './io/npy';
export type { NpyArray, NpyDType } from './io/npy';
export { decodeImage, imageToTensor } from './io/image';
export type { RgbaImage, Normalization } from './io/image';

// Boards and energy meters (docs/boards.md): descriptors, detection, power and energy meters.
export { loadBoardCatalog, findBoard, detectBoard, detectCurrentBoard, openEnergyMeter, openPowerMeter, openBestEnergyMeter, surveyMeters, ESTIMATED_METER } from '../hal';
export type { Board, BoardDescriptor, EnergyMeter, EnergyReading, PowerMeter, PowerReading, MeterKind, BestEnergyMeter, MeterStatus } from '../hal';
