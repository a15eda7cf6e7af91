// The native status codes (native/common/status.h) and the TypeScript list of them (src/errors.ts)
// are one list: the header's enum and StatusCodeName() are parsed here and compared with
// NATIVE_ERROR_CODES, so neither side can add, drop, rename or reorder a code alone.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES, EXIT_STATUS, NATIVE_ERROR_CODES, isNativeErrorCode } from '../../src/errors';

const repoRoot = path.resolve(__dirname, '..', '..');
const header = fs.readFileSync(path.join(repoRoot, 'native', 'common', 'status.h'), 'utf8');

/** The enum's members in order: [kName, value]. */
function enumMembers(text: string): [string, number][] {
  const body = /enum class StatusCode\s*:\s*\w+\s*\{([\s\S]*?)\};/.exec(text);
  if (!body) throw new Error('status.h: no `enum class StatusCode`');
  return [...body[1]!.replace(/\/\/[^\n]*/g, '').matchAll(/(k\w+)\s*=\s*(\d+)/g)].map((m) => [m[1]!, Number(m[2])]);
}

/** StatusCodeName's cases: kName -> "NAME". */
function codeNames(text: string): Map<string, string> {
  const body = /const char\* StatusCodeName\(StatusCode code\)\s*\{([\s\S]*?)\n\}/.exec(text);
  if (!body) throw new Error('status.h: no StatusCodeName()');
  return new Map([...body[1]!.matchAll(/case StatusCode::(k\w+):\s*return "([A-Z0-9_]+)";/g)].map((m) => [m[1]!, m[2]!]));
}

t.test('the parser reads the header (so an empty match cannot pass)', async (t) => {
  const members = enumMembers(header);
  t.ok(members.length >= 25, `${members.length} enum members`);
  t.same(members[0], ['kOk', 0]);
  t.equal(codeNames(header).get('kCodecTruncated'), 'CODEC_TRUNCATED');
});

t.test('every enum member has one distinct name and value', async (t) => {
  const members = enumMembers(header);
  const names = codeNames(header);
  t.same(members.map(([k]) => k).filter((k) => !names.has(k)), [], 'members without a StatusCodeName case');
  t.same([...names.keys()].filter((k) => !members.some(([m]) => m === k)), [], 'cases for no member');
  t.equal(new Set(members.map(([, v]) => v)).size, members.length, 'distinct values');
  t.equal(new Set(names.values()).size, names.size, 'distinct names');
});

t.test('TypeScript lists exactly the native codes, in enum order', async (t) => {
  const names = codeNames(header);
  const native = enumMembers(header)
    .map(([k]) => names.get(k)!)
    .filter((n) => n !== 'OK');
  t.same(Object.keys(NATIVE_ERROR_CODES), native);
  for (const code of native) t.ok(isNativeErrorCode(code), code);
  t.notOk(isNativeErrorCode('OK'), 'OK is not an error');
  t.notOk(isNativeErrorCode('BAD_CUT'), 'a TypeScript-only code is not native');
});

t.test('every code has a class with an exit status and a one-line meaning', async (t) => {
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    t.ok(info.class in EXIT_STATUS, `${code}: class ${info.class}`);
    t.match(info.meaning, /^[^\n]{10,}$/, `${code}: meaning`);
  }
});

t.test('the codec glue sets codes from StatusCodeName only, never a spelled-out string', async (t) => {
  const glue = fs.readFileSync(path.join(repoRoot, 'native', 'addon', 'codec_glue.cc'), 'utf8');
  t.notMatch(glue, /"CODEC_/, 'no CODEC_ literal in codec_glue.cc');
  t.match(glue, /StatusCodeName\(/);
});
