// Encodes an op's parameters, given by name, into the positional words of its Program op record,
// following the one declaration of each layout (scripts/op-params/table.js, generated into
// op-params.generated.ts; the native validator and interpreter read the same declaration).
import { CleaveError } from '../errors';
import { PARAM_LAYOUTS, type ParamValues } from './op-params.generated';

/** An int32 array placed in the Program's constant blob; the param word holds its offset. */
export interface ConstArray {
  values: Int32Array;
}
export type Param = number | ConstArray;
export type ParamLayoutName = keyof ParamValues;

const f32Bits = (x: number) => new Int32Array(new Float32Array([x]).buffer)[0]!;
const f64Words = (x: number) => Array.from(new Int32Array(new Float64Array([x]).buffer));

function word(layout: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new CleaveError('INTERNAL', `${layout} parameter ${name} is ${String(value)}, not an int32`);
  }
  return value;
}

export function encodeParams<K extends ParamLayoutName>(layout: K, values: ParamValues[K]): Param[] {
  const decl = PARAM_LAYOUTS[layout];
  const named = values as unknown as Record<string, unknown>;
  const words: Param[] = new Array<Param>(decl.words);
  for (const p of decl.params) {
    const v = named[p.name];
    switch (p.type) {
      case 'array':
        words[p.index] = v as ConstArray;
        break;
      case 'bool':
        words[p.index] = v ? 1 : 0;
        break;
      case 'f32':
        words[p.index] = f32Bits(v as number);
        break;
      case 'f64':
        f64Words(v as number).forEach((w, i) => { words[p.index + i] = w; });
        break;
      case 'i32':
        if (p.words === 1) words[p.index] = word(layout, p.name, v);
        else for (let i = 0; i < p.words; i++) words[p.index + i] = word(layout, `${p.name}[${i}]`, (v as readonly number[])[i]);
        break;
    }
  }
  return words;
}
