// Entry point of the worker thread that compiles .tflite models for `load()` (src/compile-client.ts):
// parsing and lowering a model takes tens to hundreds of milliseconds of JS, which must not run on
// the event loop's thread. Receives { id, bytes, source }, answers { id, program } or { id, error }.
import { parentPort } from 'node:worker_threads';
import { compileGraph } from './compile/program';
import { readModel } from './model/reader';

export interface CompileRequest {
  id: number;
  bytes: Uint8Array;
  source: string;
}

export type CompileReply =
  | { id: number; program: Uint8Array }
  | { id: number; error: { code: string | undefined; name: string; message: string } };

parentPort?.on('message', (req: CompileRequest) => {
  let reply: CompileReply;
  try {
    const program = compileGraph(readModel(req.bytes, req.source)).bytes;
    reply = { id: req.id, program };
    parentPort!.postMessage(reply, [program.buffer as ArrayBuffer]);
    return;
  } catch (err) {
    const e = err as Error & { code?: unknown };
    reply = { id: req.id, error: { code: typeof e.code === 'string' ? e.code : undefined, name: e.name, message: e.message } };
  }
  parentPort!.postMessage(reply);
});
