// The serial line format: one compact line per message, so a host reading a board's USB serial port
// (or a person with `screen`) can tell telemetry from other console output and parse it with a
// split(' '). Fields are space-separated; text fields are percent-encoded (no spaces inside); a
// missing number is '-'. docs/telemetry.md, "Serial lines", documents it field by field.
//   CLV1 R <device> <seq> <segment> <stage> <latencyUs> <energyUj> <energySource> <bytes> <outcome> <monoUs> <wallMs>
//   CLV1 S <device> <segment> <stage> <count> <p50Us> <p90Us> <p99Us> <meanEnergyUj> <dropped> <windowEndMs>
import { CleaveError } from '../../errors';
import { OUTCOMES, STAGES, type Outcome, type Stage, type TelemetryMessage } from '../record';

export const LINE_PREFIX = 'CLV1';

export type SerialRecordLine = { kind: 'record'; device: string; seq: number; segment: number; stage: Stage; latencyUs: number; energyUj: number | null; energySource: string | null; bytes: number; outcome: Outcome; monoUs: number; wallMs: number };
export type SerialSummaryLine = { kind: 'summary'; device: string; segment: number; stage: Stage; count: number; p50Us: number | null; p90Us: number | null; p99Us: number | null; meanEnergyUj: number | null; dropped: number; windowEndMs: number };
export type SerialLine = SerialRecordLine | SerialSummaryLine;

const num = (v: number | null) => (v === null ? '-' : String(Math.round(v * 1000) / 1000));
const text = (v: string | null) => (v === null ? '-' : encodeURIComponent(v));

export function formatLine(m: TelemetryMessage): string {
  if (m.kind === 'record') {
    return [LINE_PREFIX, 'R', text(m.device), m.seq, m.segment, m.stage, num(m.latencyUs), num(m.energyUj), text(m.energySource), m.bytes, m.outcome, m.monoUs, m.wallMs].join(' ');
  }
  return [LINE_PREFIX, 'S', text(m.device), m.segment, m.stage, m.count, num(m.p50Us), num(m.p90Us), num(m.p99Us), num(m.meanEnergyUj), m.dropped, m.windowEndMs].join(' ');
}

/** The message of a telemetry line; null for other console output (no `CLV1 ` prefix). */
export function parseLine(line: string, where: string): SerialLine | null {
  const fields = line.trim().split(' ');
  if (fields[0] !== LINE_PREFIX) return null;
  const bad = (why: string) => new CleaveError('TELEMETRY_INVALID', `${where}: serial telemetry line "${line.trim()}": ${why}`);
  const number = (i: number, name: string, optional = false): number | null => {
    const f = fields[i];
    if (optional && f === '-') return null;
    const v = Number(f);
    if (f === undefined || f === '' || !Number.isFinite(v)) throw bad(`field ${i} (${name}) is not a number`);
    return v;
  };
  const stage = fields[fields[1] === 'R' ? 5 : 4] as Stage;
  if (fields[1] === 'R') {
    if (fields.length !== 13) throw bad(`a record line has 13 fields, this one ${fields.length}`);
    if (!STAGES.includes(stage)) throw bad(`unknown stage "${stage}"`);
    if (!OUTCOMES.includes(fields[10] as Outcome)) throw bad(`unknown outcome "${fields[10]}"`);
    return {
      kind: 'record', device: decodeURIComponent(fields[2]!), seq: number(3, 'seq')!, segment: number(4, 'segment')!, stage,
      latencyUs: number(6, 'latencyUs')!, energyUj: number(7, 'energyUj', true), energySource: fields[8] === '-' ? null : decodeURIComponent(fields[8]!),
      bytes: number(9, 'bytes')!, outcome: fields[10] as Outcome, monoUs: number(11, 'monoUs')!, wallMs: number(12, 'wallMs')!,
    };
  }
  if (fields[1] === 'S') {
    if (fields.length !== 12) throw bad(`a summary line has 12 fields, this one ${fields.length}`);
    if (!STAGES.includes(stage)) throw bad(`unknown stage "${stage}"`);
    return {
      kind: 'summary', device: decodeURIComponent(fields[2]!), segment: number(3, 'segment')!, stage, count: number(5, 'count')!,
      p50Us: number(6, 'p50Us', true), p90Us: number(7, 'p90Us', true), p99Us: number(8, 'p99Us', true), meanEnergyUj: number(9, 'meanEnergyUj', true),
      dropped: number(10, 'dropped')!, windowEndMs: number(11, 'windowEndMs')!,
    };
  }
  throw bad(`unknown line type "${fields[1]}" (R or S)`);
}
