// JSON Schema (ajv) errors as people read them: one line per problem, naming the file and the field
// as a JSON pointer (`boards/x.json: /cpu/cores: must be integer`). Board descriptors, HIL specs and
// every other schema-checked file report through this one function.
import type { ErrorObject } from 'ajv';

export function describeSchemaErrors(file: string, errors: ErrorObject[]): string {
  const lines = new Set<string>();
  for (const e of errors) {
    // `if`/`allOf` failures only say "must match then schema"; the keyword errors under them name the field.
    if (e.keyword === 'if') continue;
    let pointer = e.instancePath || '/';
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      pointer = `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      pointer = `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`;
      message = 'is not a known field';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    lines.add(`${file}: ${pointer}: ${message}`);
  }
  return [...lines].join('\n');
}
