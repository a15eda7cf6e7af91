// HIL results as test reports: TAP version 14 (what `tap` and most CI systems read) and JUnit XML.
// One test point per golden case, then one per budget; a failure carries its details (the segment,
// board and tensor that first differ, or the board that went away) as YAML diagnostics / a failure
// element.
import type { BudgetResult, CaseOutcome, CaseResult, HilResult } from './harness';

function caseTitle(c: CaseResult): string {
  const o = c.outcome;
  switch (o.kind) {
    case 'pass': return `case ${c.name}: ${o.tensorsChecked} tensor(s) match the reference`;
    case 'mismatch': return `case ${c.name}: segment ${o.segment} on ${o.board}: tensor ${o.tensor} "${o.name}" differs from the reference`;
    case 'gone': return `case ${c.name}: board ${o.board} is gone`;
    case 'error': return `case ${c.name}: ${o.code}`;
    case 'not-run': return `case ${c.name}: not run`;
  }
}

/** What went wrong, as key/value pairs (TAP YAML diagnostics, JUnit failure text). */
function caseDetails(o: CaseOutcome): Record<string, string | number> | null {
  switch (o.kind) {
    case 'pass': return null;
    case 'mismatch':
      return {
        segment: o.segment, board: o.board, tensor: o.tensor, name: o.name,
        firstDifferingByte: o.byteOffset, got: o.got, want: o.want, differingBytes: o.differingBytes, bytes: o.bytes,
      };
    case 'gone': return { board: o.board, message: o.message };
    case 'error': return { code: o.code, message: o.message };
    case 'not-run': return { reason: o.reason };
  }
}

const yamlValue = (v: string | number) => (typeof v === 'number' ? String(v) : JSON.stringify(v));

function tapPoint(n: number, ok: boolean, title: string, directive: string, details: Record<string, string | number> | null): string {
  const lines = [`${ok ? 'ok' : 'not ok'} ${n} - ${title.replace(/#/g, '\\#')}${directive}`];
  if (details) lines.push('  ---', ...Object.entries(details).map(([k, v]) => `  ${k}: ${yamlValue(v)}`), '  ...');
  return lines.join('\n');
}

export function toTap(result: HilResult): string {
  const points: string[] = [];
  let n = 0;
  for (const c of result.cases) {
    const skipped = c.outcome.kind === 'not-run';
    points.push(tapPoint(++n, c.outcome.kind === 'pass' || skipped, caseTitle(c), skipped ? ` # SKIP ${c.outcome.kind === 'not-run' ? c.outcome.reason : ''}` : '', skipped ? null : caseDetails(c.outcome)));
  }
  for (const b of result.budgets) {
    points.push(tapPoint(++n, b.ok !== false, `${b.name}: ${b.detail}`, b.ok === undefined ? ` # SKIP ${b.detail}` : '', null));
  }
  const header = [
    'TAP version 14',
    `# cleave hil ${result.spec.name}: plan ${result.spec.plan}`,
    `# placement: ${result.placement.map((where, i) => `segment ${i} on ${where}`).join(', ')}`,
  ];
  return `${[...header, `1..${n}`, ...points].join('\n')}\n`;
}

const xmlEscape = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

function junitCase(classname: string, name: string, seconds: number, body: string): string {
  return `    <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(name)}" time="${seconds.toFixed(6)}">${body}</testcase>`;
}

function caseBody(c: CaseResult): string {
  const o = c.outcome;
  if (o.kind === 'pass') return '';
  if (o.kind === 'not-run') return `<skipped message="${xmlEscape(o.reason)}"/>`;
  const details = Object.entries(caseDetails(o)!).map(([k, v]) => `${k}: ${v}`).join('\n');
  const element = o.kind === 'mismatch' ? 'failure' : 'error';
  return `<${element} message="${xmlEscape(caseTitle(c))}" type="${o.kind}">${xmlEscape(details)}</${element}>`;
}

function budgetBody(b: BudgetResult): string {
  if (b.ok === undefined) return `<skipped message="${xmlEscape(b.detail)}"/>`;
  return b.ok ? '' : `<failure message="${xmlEscape(`${b.name}: ${b.detail}`)}" type="budget"/>`;
}

export function toJUnit(result: HilResult): string {
  const suite = `cleave hil ${result.spec.name}`;
  const cases = result.cases.map((c) => junitCase(suite, `case ${c.name}`, c.outcome.kind === 'pass' || c.outcome.kind === 'mismatch' ? c.outcome.endToEndMs / 1000 : 0, caseBody(c)));
  const budgets = result.budgets.map((b) => junitCase(suite, b.name, 0, budgetBody(b)));
  const failures = result.cases.filter((c) => c.outcome.kind === 'mismatch').length + result.budgets.filter((b) => b.ok === false).length;
  const errors = result.cases.filter((c) => c.outcome.kind === 'gone' || c.outcome.kind === 'error').length;
  const skipped = result.cases.filter((c) => c.outcome.kind === 'not-run').length + result.budgets.filter((b) => b.ok === undefined).length;
  const tests = cases.length + budgets.length;
  const attrs = `name="${xmlEscape(suite)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${(result.durationMs / 1000).toFixed(3)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attrs}>`,
    `  <testsuite ${attrs}>`,
    ...cases,
    ...budgets,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
