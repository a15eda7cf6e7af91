// The one parser of flag values (numbers and fixed choices). Numbers are strict on purpose: "0x2", "1e2", " 5", "5,,20" and "abc"
// are refused with the flag's name and the text given (quoted, so stray spaces show), never read
// as 2, 100, 5 or NaN the way Number() would. Used as commander argParsers, so a bad value stops
// the command before any work starts.
import { CleaveError } from '../errors';

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$|^-?\.[0-9]+$/;

export interface Range {
  min?: number;
  max?: number;
}

function rangeWords(kind: string, { min, max }: Range): string {
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min === 1 && kind === 'an integer') return 'a positive integer';
  if (min !== undefined) return `${kind} ≥ ${min}`;
  if (max !== undefined) return `${kind} ≤ ${max}`;
  return kind;
}

function checked(flag: string, text: string, kind: string, pattern: RegExp, range: Range): number {
  const value = Number(text);
  const ok = pattern.test(text) && Number.isFinite(value) && (range.min === undefined || value >= range.min) && (range.max === undefined || value <= range.max);
  if (!ok) throw new CleaveError('BAD_ARGUMENT', `${flag} must be ${rangeWords(kind, range)}, got ${JSON.stringify(text)}`);
  return value;
}

/** Decimal digits only ("12", "-3"), within the range. */
export function parseInteger(flag: string, text: string, range: Range = {}): number {
  return checked(flag, text, 'an integer', INTEGER, range);
}

/** A plain decimal ("0.5", "-1", ".25"): no exponent, hex, spaces or signs other than a leading "-". */
export function parseDecimal(flag: string, text: string, range: Range = {}): number {
  return checked(flag, text, 'a decimal number', DECIMAL, range);
}

/** A commander argParser for an integer flag. */
export function integerFlag(flag: string, range: Range = {}): (text: string) => number {
  return (text) => parseInteger(flag, text, range);
}

/** A commander argParser for a decimal flag. */
export function decimalFlag(flag: string, range: Range = {}): (text: string) => number {
  return (text) => parseDecimal(flag, text, range);
}

/**
 * "5,20" -> [5, 20]: comma-separated integers, each within the range, strictly increasing (so a
 * duplicate or an unordered list is refused, with the reason, rather than silently sorted).
 */
export function parseIncreasingIntegers(flag: string, text: string, range: Range = {}): number[] {
  if (text === '') throw new CleaveError('BAD_ARGUMENT', `${flag} is empty`);
  const parts = text.split(',');
  const values: number[] = [];
  parts.forEach((part, i) => {
    if (part === '') throw new CleaveError('BAD_ARGUMENT', `${flag}: empty item ${i + 1} in ${JSON.stringify(text)}`);
    const v = parseInteger(flag, part, range);
    const previous = values[values.length - 1];
    if (previous === v) throw new CleaveError('BAD_ARGUMENT', `${flag}: ${v} is given twice in ${JSON.stringify(text)}`);
    if (previous !== undefined && v < previous) throw new CleaveError('BAD_ARGUMENT', `${flag}: ${v} comes after ${previous} in ${JSON.stringify(text)}; list them in increasing order`);
    values.push(v);
  });
  return values;
}

/** "A,B": two decimals, A < B (an input range such as "0,255" or "-1,1"). */
export function parseDecimalPair(flag: string, text: string): [number, number] {
  const parts = text.split(',');
  if (parts.length !== 2) throw new CleaveError('BAD_ARGUMENT', `${flag} must be LOW,HIGH (e.g. 0,255 or -1,1), got ${JSON.stringify(text)}`);
  const [low, high] = parts.map((p) => parseDecimal(flag, p)) as [number, number];
  if (!(low < high)) throw new CleaveError('BAD_ARGUMENT', `${flag}: LOW must be below HIGH, got ${JSON.stringify(text)}`);
  return [low, high];
}

/** "0.5" or "0.5,0.4,0.3": one decimal per channel (or one for all). */
export function parseDecimalList(flag: string, text: string, range: Range = {}): number[] {
  return text.split(',').map((p) => parseDecimal(flag, p, range));
}

/**
 * A commander argParser for a flag with fixed values; `describe` lists them for `--help`. Unlike
 * commander's `.choices()`, a wrong value is a one-line `cleave: ...` usage error like every other.
 */
export function choiceFlag<T extends string>(flag: string, values: readonly T[], what = 'value'): (text: string) => T {
  return (text) => {
    if (!(values as readonly string[]).includes(text)) {
      throw new CleaveError('BAD_ARGUMENT', `${flag}: ${what} ${JSON.stringify(text)} does not exist; valid: ${values.join(', ')}`);
    }
    return text as T;
  };
}

/** "… (one of: a, b, c)" for a flag's help line. */
export function oneOf(description: string, values: readonly string[]): string {
  return `${description} (one of: ${values.join(', ')})`;
}
