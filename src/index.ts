// cleave's public API.
export { load, loadModel, Model, Session } from './session';
export type { TensorSpec, TensorData, RunDetails, RunOptions, OpProfile, SessionOptions } from './session';
export type { EnergyWindow } from './energy-window';
export { readModel, readModelFile } from './model/reader';
export type { Graph, Tensor, Op } from './model/graph';
export { compileGraph } from './compile/program';
export { CleaveError } from './errors';
export { ModelError } from './model/errors';
