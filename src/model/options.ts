// Decodes an operator's builtin options table into a plain object. The generated option classes
// are read by reflection: every zero-argument accessor is a scalar field, every accessor with a
// matching `<name>Length()` is a vector of scalars. Enum-valued fields get their schema names.
import * as schema from './generated/schema_generated';
import type { CheckedByteBuffer } from './checked-buffer';
import type { OpOptions } from './graph';

export const ENUM_FIELDS: Record<string, Record<number | string, string | number>> = {
  padding: schema.Padding as unknown as Record<number | string, string | number>,
  fusedActivationFunction: schema.ActivationFunctionType as unknown as Record<number | string, string | number>,
  weightsFormat: schema.FullyConnectedOptionsWeightsFormat as unknown as Record<number | string, string | number>,
  quantizedBiasType: schema.TensorType as unknown as Record<number | string, string | number>,
};

type Accessor = (this: unknown, ...args: unknown[]) => unknown;

export function decodeBuiltinOptions(op: schema.Operator, bb: CheckedByteBuffer): OpOptions {
  const type = op.builtinOptionsType();
  if (type === schema.BuiltinOptions.NONE) return {};
  const table = schema.unionToBuiltinOptions(type, (obj) => op.builtinOptions(obj));
  if (!table) return {};
  const proto = Object.getPrototypeOf(table) as Record<string, Accessor>;
  const names = Object.getOwnPropertyNames(proto);
  const out: OpOptions = {};
  for (const name of names) {
    if (name === 'constructor' || name.startsWith('__') || name.startsWith('mutate')) continue;
    if (name.endsWith('Length') || name.endsWith('Array') || typeof proto[name] !== 'function') continue;
    const fn = proto[name];
    const lengthFn = proto[`${name}Length`];
    if (typeof lengthFn === 'function') {
      const length = lengthFn.call(table) as number;
      // A vector of scalars: its elements are at most 8 bytes; refuse lengths the file cannot hold.
      if (length < 0 || length > bb.capacity()) throw new RangeError(`options.${name} length ${length}`);
      const values: number[] = [];
      for (let i = 0; i < length; i++) values.push(Number(fn.call(table, i)));
      out[name] = values;
    } else if (fn.length === 0) {
      const v = fn.call(table);
      if (typeof v === 'bigint') out[name] = Number(v);
      else if (typeof v === 'number') out[name] = (ENUM_FIELDS[name]?.[v] as string | undefined) ?? v;
      else if (typeof v === 'boolean' || typeof v === 'string') out[name] = v;
    }
  }
  return out;
}
