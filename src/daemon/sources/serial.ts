// A serial sensor line: one input per line, the input's raw bytes in base64 (default) or hex, ended
// by '\n' ('\r\n' too). Empty lines and lines starting with '#' (a sensor's own chatter) are skipped;
// a line that does not decode is reported with its line number and skipped.
import * as readline from 'node:readline';
import { SerialLink } from '../../../hal/serial';
import type { SerialSourceConfig } from '../config';
import { InputQueue, type InputSource, type Log, type Take } from './source';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** The bytes of one line, or a reason it carries none. */
export function decodeLine(line: string, encoding: 'base64' | 'hex'): Uint8Array | string {
  const text = line.trim();
  if (encoding === 'hex') return HEX.test(text) ? Buffer.from(text, 'hex') : 'not an even number of hex digits';
  return BASE64.test(text) ? Buffer.from(text, 'base64') : 'not base64';
}

export class SerialSource implements InputSource {
  readonly description: string;
  private link: SerialLink | undefined;
  private lines: readline.Interface | undefined;
  private readonly queue: InputQueue;
  private lineNo = 0;

  constructor(private readonly config: SerialSourceConfig, private readonly log: Log) {
    this.description = `serial ${config.path}@${config.baud ?? 115200}`;
    this.queue = new InputQueue(this.description, log);
  }

  async start(take: Take): Promise<void> {
    this.link = await SerialLink.open({ path: this.config.path, baudRate: this.config.baud ?? 115200 });
    this.lines = readline.createInterface({ input: this.link.port, crlfDelay: Infinity });
    this.lines.on('line', (line) => {
      const n = ++this.lineNo;
      if (line.trim() === '' || line.startsWith('#')) return;
      const bytes = decodeLine(line, this.config.encoding ?? 'base64');
      if (typeof bytes === 'string') {
        this.log(`${this.description} line ${n}: ${bytes}, skipped`);
        return;
      }
      this.queue.push({ id: `serial:${this.config.path}#${n}`, bytes, settle: async () => undefined, retry: () => undefined });
    });
    this.queue.start(take);
  }

  async stop(): Promise<void> {
    this.lines?.close();
    await this.link?.close();
    await this.queue.stop();
  }
}
