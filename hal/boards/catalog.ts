// The board catalog: every boards/*.json, validated against boards/schema.json. A board is data;
// adding one is adding a file. Validation errors name the file and the field (as a JSON pointer).
import Ajv, { type ValidateFunction } from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CleaveError } from '../../src/errors';
import { packageRoot } from '../../src/paths';
import { describeSchemaErrors } from '../../src/schema-errors';
import type { BoardDescriptor } from './descriptor';

/** boards/ beside package.json, or `CLEAVE_BOARDS_DIR` when set. */
export function boardsDir(): string {
  return process.env.CLEAVE_BOARDS_DIR || path.join(packageRoot, 'boards');
}

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!compiled) {
    // The schema always comes from the package, even when descriptors come from CLEAVE_BOARDS_DIR.
    const schema = JSON.parse(fs.readFileSync(path.join(packageRoot, 'boards', 'schema.json'), 'utf8'));
    compiled = new Ajv({ allErrors: true }).compile(schema);
  }
  return compiled;
}

/** Checks what JSON Schema cannot: regular expressions compile, references resolve, ids match names. */
function checkSemantics(file: string, board: BoardDescriptor): string[] {
  const problems: string[] = [];
  const expectedId = path.basename(file, '.json');
  if (board.id !== expectedId) problems.push(`${file}: /id: is "${board.id}" but the file is named ${expectedId}.json`);
  board.detect?.all.forEach((rule, i) => {
    try {
      new RegExp(rule.pattern);
    } catch (err) {
      problems.push(`${file}: /detect/all/${i}/pattern: not a regular expression (${(err as Error).message})`);
    }
    if (rule.field !== undefined && rule.source !== 'cpuinfo') {
      problems.push(`${file}: /detect/all/${i}/field: only cpuinfo rules have fields`);
    }
  });
  if (board.emulation?.serialPtyPattern !== undefined) {
    try {
      new RegExp(board.emulation.serialPtyPattern);
    } catch (err) {
      problems.push(`${file}: /emulation/serialPtyPattern: not a regular expression (${(err as Error).message})`);
    }
  }
  const pinNames = new Set(board.gpio.map((p) => p.name));
  board.power.sources.forEach((source, i) => {
    if (source.driver === 'external-monitor' && !pinNames.has(source.pin)) {
      problems.push(`${file}: /power/sources/${i}/pin: no GPIO pin named "${source.pin}" in /gpio`);
    }
    if ('totalRails' in source && Array.isArray(source.totalRails) && 'rails' in source) {
      for (const rail of source.totalRails) {
        if (!source.rails.includes(rail)) problems.push(`${file}: /power/sources/${i}/totalRails: "${rail}" is not in rails`);
      }
    }
  });
  return problems;
}

/** Validates one parsed descriptor; `file` names it in errors. */
export function validateDescriptor(value: unknown, file: string): BoardDescriptor {
  const validate = schemaValidator();
  if (!validate(value)) {
    throw new CleaveError('BOARD_INVALID', describeSchemaErrors(file, validate.errors ?? []));
  }
  const board = value as BoardDescriptor;
  const problems = checkSemantics(file, board);
  if (problems.length > 0) throw new CleaveError('BOARD_INVALID', problems.join('\n'));
  return board;
}

export function loadDescriptorFile(file: string): BoardDescriptor {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CleaveError('BOARD_MISSING', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CleaveError('BOARD_INVALID', `${file}: not JSON (${(err as Error).message})`);
  }
  return validateDescriptor(value, file);
}

/** Every descriptor in the boards folder, sorted by id. All files are checked; all problems are reported together. */
export function loadBoardCatalog(dir = boardsDir()): BoardDescriptor[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json') && n !== 'schema.json').sort();
  } catch (err) {
    throw new CleaveError('BOARD_MISSING', `${dir}: cannot list board descriptors (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const boards: BoardDescriptor[] = [];
  const problems: string[] = [];
  for (const name of names) {
    try {
      boards.push(loadDescriptorFile(path.join(dir, name)));
    } catch (err) {
      if (!(err instanceof CleaveError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) throw new CleaveError('BOARD_INVALID', problems.join('\n'));
  if (boards.length === 0) throw new CleaveError('BOARD_MISSING', `${dir}: no board descriptors (*.json)`);
  return boards;
}

export function findBoard(catalog: BoardDescriptor[], id: string): BoardDescriptor {
  const board = catalog.find((b) => b.id === id);
  if (!board) {
    throw new CleaveError('BOARD_UNKNOWN', `no board "${id}"; known boards: ${catalog.map((b) => b.id).join(', ')}`);
  }
  return board;
}
