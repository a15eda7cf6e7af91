// The error types cleave raises for bad input. Each carries a machine-readable `code` and says what
// went wrong and where (file, op index, tensor, byte offset, board, port).
export class CleaveError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CleaveError';
  }
}
