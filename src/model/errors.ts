// Errors raised while reading a .tflite file: what is wrong and where (file, field, byte offset).
import { CleaveError } from '../errors';

export type ModelErrorCode =
  | 'NOT_TFLITE' | 'TRUNCATED' | 'OUT_OF_RANGE' | 'BAD_INDEX' | 'BAD_BUFFER_SIZE'
  | 'UNSUPPORTED_DTYPE' | 'UNKNOWN_OP' | 'MULTIPLE_SUBGRAPHS' | 'BAD_SHAPE' | 'FILE_NOT_FOUND' | 'BAD_MODEL';

export class ModelError extends CleaveError {
  constructor(
    code: ModelErrorCode,
    message: string,
    readonly source: string,
    readonly byteOffset?: number,
  ) {
    super(code, `${source}: ${message}${byteOffset !== undefined ? ` (byte offset ${byteOffset})` : ''}`);
    this.name = 'ModelError';
  }
}
