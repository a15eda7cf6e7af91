// cleave's public API.
export { load, Session } from './session';
export type { TensorSpec, TensorData, RunDetails } from './session';
export { readModel, readModelFile } from './model/reader';
export type { Graph, Tensor, Op } from './model/graph';
export { compileGraph } from './compile/program';
export { CleaveError, ERROR_CODES, EXIT_STATUS, type CleaveErrorCode, type ErrorClass } from './errors';
export { ModelError } from './model/errors';
