// Class labels for printing scores: a text file with one label per line (`--labels FILE`), or the
// label file packed into the model itself. TFLite's metadata writer appends the model's associated
// files (labels.txt, ...) as a ZIP archive after the flatbuffer; a model carrying one gets its
// labels without a flag.
import * as zlib from 'node:zlib';
import { CleaveError } from '../errors';
import { readUserFile } from './files';

/** One label per line; "\r\n" endings and a final newline are fine, empty lines in between are kept (unnamed classes). */
export function parseLabels(text: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export async function readLabelsFile(file: string): Promise<string[]> {
  const labels = parseLabels((await readUserFile(file, 'labels')).toString('utf8'));
  if (labels.length === 0) throw new CleaveError('BAD_INPUT', `${file}: the labels file is empty`);
  return labels;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The files of a ZIP archive at the end of `bytes` (stored or deflated entries), by name; empty when there is none. */
export function trailingZipFiles(bytes: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record is 22 bytes plus a comment of up to 65535.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return files;
  const count = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  // Offsets in the archive are relative to its own start, which is where the directory says it is minus its size.
  const archiveStart = eocd - directorySize - view.getUint32(eocd + 16, true);
  let p = eocd - directorySize;
  try {
    for (let k = 0; k < count && p >= 0 && p + 46 <= eocd && view.getUint32(p, true) === CENTRAL; k++) {
      const method = view.getUint16(p + 10, true);
      const size = view.getUint32(p + 20, true);
      const nameLength = view.getUint16(p + 28, true);
      const skip = nameLength + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
      const name = Buffer.from(bytes.subarray(p + 46, p + 46 + nameLength)).toString('utf8');
      const local = archiveStart + view.getUint32(p + 42, true);
      if (local >= 0 && local + 30 <= bytes.length && view.getUint32(local, true) === LOCAL) {
        const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
        const data = bytes.subarray(start, start + size);
        if (method === 0) files.set(name, data);
        else if (method === 8) files.set(name, zlib.inflateRawSync(data));
      }
      p += 46 + skip;
    }
  } catch {
    // A damaged archive gives the files read before the damage: labels are a convenience.
  }
  return files;
}

/** Labels packed into the model file (the first associated file whose name says "label"), or null. */
export function modelLabels(modelBytes: Uint8Array): string[] | null {
  for (const [name, data] of trailingZipFiles(modelBytes)) {
    if (/label/i.test(name) && /\.txt$/i.test(name)) {
      const labels = parseLabels(Buffer.from(data).toString('utf8'));
      if (labels.length > 0) return labels;
    }
  }
  return null;
}
