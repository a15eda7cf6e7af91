// cleave's public API: everything a user needs is exported here, so nobody deep-imports dist/
// (package.json's `exports` map does not let them).
export { load, loadModel, Model, Session } from './session';
export type { TensorSpec, TensorData, RunDetails, RunOptions, OpProfile, SessionOptions } from './session';
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
export { writePlan, PlanRunner } from './segments/plan';
export type { PlanFile, PlanSegment, PlanTensor, SplitOptions, StageResult } from './segments/plan';

// Split plans across processes and machines (docs/wire-protocol.md).
export { pipeline, Pipeline } from './pipeline/runner';
export type { PipelineEvents, PipelineOptions, PipelineResult, StageTiming } from './pipeline/runner';
export type { LinkFigures, ReplanEvent, ReplanOptions } from './pipeline/replan';
export { SegmentServer } from './pipeline/serve';
export type { ServeOptions } from './pipeline/serve';
