// Power fields of a tegrastats line: `NAME cur/avg`, in milliwatts. JetPack 4 prints bare numbers
// (`POM_5V_IN 2375/2375`); JetPack 5 and later add units (`VDD_IN 5139mW/5139mW`). Other fields look
// alike but carry other units (`RAM 2246/7620MB`, `IRAM 0/252kB`) and are not power.
import { CleaveError } from '../../src/errors';

export interface TegrastatsRail {
  name: string;
  /** Instant power, mW. */
  currentMilliwatts: number;
  /** tegrastats' running average since it started, mW. */
  averageMilliwatts: number;
}

const RAIL_FIELD = /(?:^|\s)([A-Za-z][A-Za-z0-9_]*) (\d+)(mW)?\/(\d+)(mW)?(?=\s|$)/g;

export function parseTegrastatsLine(line: string): TegrastatsRail[] {
  const rails: TegrastatsRail[] = [];
  for (const m of line.matchAll(RAIL_FIELD)) {
    // Both halves carry the unit or neither does; a mix is some other field.
    if ((m[3] === undefined) !== (m[5] === undefined)) continue;
    if (m[1] === 'NC') continue;
    rails.push({ name: m[1]!, currentMilliwatts: Number(m[2]), averageMilliwatts: Number(m[4]) });
  }
  return rails;
}

/** Like parseTegrastatsLine, but a line without any power field is an error quoting it. */
export function requireTegrastatsRails(line: string): TegrastatsRail[] {
  const rails = parseTegrastatsLine(line);
  if (rails.length === 0) {
    throw new CleaveError('METER_GARBLED', `tegrastats: no power rails (NAME cur/avg) in line ${JSON.stringify(line.slice(0, 200))}`);
  }
  return rails;
}
