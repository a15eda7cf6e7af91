// cleave's public API.
export { load, Session } from './session';
export type { TensorSpec, TensorData, RunDetails } from './session';
export { readModel, readModelFile } from './model/reader';
export type { Graph, Tensor, Op } from './model/graph';
export { compileGraph } from './compile/program';
export { CleaveError } from './errors';
export { ModelError } from './model/errors';
export { pipeline, Pipeline } from './pipeline/runner';
export type { PipelineOptions, PipelineResult, StageTiming } from './pipeline/runner';
export { SegmentServer } from './pipeline/serve';
export type { ServeOptions } from './pipeline/serve';
