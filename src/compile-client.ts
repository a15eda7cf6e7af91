// Compiles .tflite bytes into a Program on a worker thread (src/compile-worker.ts), so `load()`
// keeps the event loop free. One worker per process, started on first use and kept (warm) for
// later loads; it never keeps the process alive.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CleaveError, isErrorCode } from './errors';
import type { CompileReply, CompileRequest } from './compile-worker';

let worker: Worker | null = null;
let nextId = 0;
const waiting = new Map<number, { resolve: (program: Uint8Array) => void; reject: (err: Error) => void }>();

function failAll(err: Error): void {
  for (const w of waiting.values()) w.reject(err);
  waiting.clear();
  worker = null;
}

function compiler(): Worker {
  if (worker) return worker;
  // Beside this file: compile-worker.js in dist/, compile-worker.ts where .ts files run directly.
  const w = new Worker(path.join(__dirname, `compile-worker${path.extname(__filename)}`));
  w.unref();
  w.on('message', (reply: CompileReply) => {
    const pending = waiting.get(reply.id);
    if (!pending) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) w.unref();
    if ('program' in reply) {
      pending.resolve(reply.program);
    } else {
      const err = new CleaveError(isErrorCode(reply.error.code) ? reply.error.code : 'INTERNAL', reply.error.message);
      err.name = reply.error.name;
      pending.reject(err);
    }
  });
  w.on('error', (err) => failAll(new CleaveError('INTERNAL', `model compiler thread failed: ${err.message}`)));
  w.on('exit', (code) => failAll(new CleaveError('INTERNAL', `model compiler thread exited (${code})`)));
  worker = w;
  return w;
}

/** The Program compiled from .tflite `bytes` (copied to the worker; the caller's array is untouched). */
export function compileOffThread(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  const w = compiler();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    if (waiting.size === 1) w.ref();
    const request: CompileRequest = { id, bytes, source };
    w.postMessage(request);
  });
}
