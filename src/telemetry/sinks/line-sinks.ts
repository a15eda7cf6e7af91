// Sinks that write one line per message: a JSONL file (the full schema), and a serial port (the
// compact line format of ./line-format).
import * as fs from 'node:fs';
import { SerialLink } from '../../../hal/serial';
import { CleaveError } from '../../errors';
import type { TelemetryMessage } from '../record';
import { formatLine } from './line-format';
import type { TelemetrySink } from './sink';

/** Appends one JSON document per line; each line is one write(2), so concurrent writers do not interleave. */
export class FileSink implements TelemetrySink {
  readonly name: string;
  private fd: number;

  constructor(readonly path: string) {
    this.name = `file:${path}`;
    try {
      this.fd = fs.openSync(path, 'a');
    } catch (err) {
      throw new CleaveError('WRITE_FAILED', `telemetry file ${path}: cannot open for appending: ${(err as Error).message}`);
    }
  }

  write(message: TelemetryMessage): void {
    fs.writeSync(this.fd, `${JSON.stringify(message)}\n`);
  }

  takeDropped(): number {
    return 0;
  }

  async close(): Promise<void> {
    fs.closeSync(this.fd);
  }
}

/** Writes the compact line of each message to a serial port, in order. */
export class SerialSink implements TelemetrySink {
  readonly name: string;
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(private readonly link: SerialLink, baud: number) {
    this.name = `serial:${link.path}@${baud}`;
  }

  static async open(path: string, baud: number): Promise<SerialSink> {
    return new SerialSink(await SerialLink.open({ path, baudRate: baud }), baud);
  }

  write(message: TelemetryMessage): void {
    const line = `${formatLine(message)}\n`;
    this.queue = this.queue.then(() => this.link.write(line)).catch((err: Error) => {
      this.failure ??= err;
    });
  }

  takeDropped(): number {
    return 0;
  }

  /** Waits for the queued lines; reports the first write that failed. */
  async close(): Promise<void> {
    await this.queue;
    await this.link.close();
    if (this.failure) throw this.failure;
  }
}
