// Which board is this? Reads /proc/device-tree/model, /etc/nv_tegra_release and /proc/cpuinfo under
// the context's root and matches them against each descriptor's `detect` rules. The code knows no
// board names: a board is detected because its descriptor's rules match.
import { CleaveError } from '../../src/errors';
import type { HalContext } from '../context';
import { readOptionalBoardText } from '../sysfs';
import type { BoardDescriptor, DetectRule } from './descriptor';

/** What the machine says about itself; absent files are undefined. */
export interface DetectionEvidence {
  deviceTreeModel?: string;
  nvTegraRelease?: string;
  cpuinfo?: string;
}

export interface Board {
  descriptor: BoardDescriptor;
  /** The rules that matched, with the text each matched. */
  matched: { rule: DetectRule; text: string }[];
  evidence: DetectionEvidence;
}

export async function readDetectionEvidence(ctx: HalContext): Promise<DetectionEvidence> {
  const [deviceTreeModel, nvTegraRelease, cpuinfo] = await Promise.all([
    readOptionalBoardText(ctx, '/proc/device-tree/model'),
    readOptionalBoardText(ctx, '/etc/nv_tegra_release'),
    readOptionalBoardText(ctx, '/proc/cpuinfo'),
  ]);
  return { deviceTreeModel, nvTegraRelease, cpuinfo };
}

/** Values of one `/proc/cpuinfo` field (`vendor_id`, `flags`, `Hardware`), one per processor block. */
export function cpuinfoField(cpuinfo: string, field: string): string[] {
  const values: string[] = [];
  for (const line of cpuinfo.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (line.slice(0, colon).trim() === field) values.push(line.slice(colon + 1).trim());
  }
  return values;
}

/** The text a rule is matched against, or undefined when the machine has no such file/field. */
function ruleSubjects(rule: DetectRule, evidence: DetectionEvidence): string[] {
  switch (rule.source) {
    case 'device-tree-model':
      return evidence.deviceTreeModel === undefined ? [] : [evidence.deviceTreeModel];
    case 'nv-tegra-release':
      return evidence.nvTegraRelease === undefined ? [] : [evidence.nvTegraRelease];
    case 'cpuinfo':
      if (evidence.cpuinfo === undefined) return [];
      return rule.field === undefined ? [evidence.cpuinfo] : cpuinfoField(evidence.cpuinfo, rule.field);
  }
}

/** The rules of a descriptor that matched, or undefined when any rule fails (or it has none). */
export function matchBoard(board: BoardDescriptor, evidence: DetectionEvidence): Board['matched'] | undefined {
  const rules = board.detect?.all;
  if (!rules || rules.length === 0) return undefined;
  const matched: Board['matched'] = [];
  for (const rule of rules) {
    const re = new RegExp(rule.pattern, 'm');
    const text = ruleSubjects(rule, evidence).find((s) => re.test(s));
    if (text === undefined) return undefined;
    matched.push({ rule, text: text.split('\n').find((l) => re.test(l)) ?? text });
  }
  return matched;
}

function summarizeEvidence(e: DetectionEvidence): string {
  const parts = [
    `device-tree model ${e.deviceTreeModel === undefined ? 'absent' : JSON.stringify(e.deviceTreeModel)}`,
    `nv_tegra_release ${e.nvTegraRelease === undefined ? 'absent' : JSON.stringify(e.nvTegraRelease.split('\n')[0])}`,
  ];
  if (e.cpuinfo === undefined) parts.push('cpuinfo absent');
  else {
    const model = [...cpuinfoField(e.cpuinfo, 'model name'), ...cpuinfoField(e.cpuinfo, 'Model'), ...cpuinfoField(e.cpuinfo, 'Hardware')][0];
    parts.push(`cpuinfo ${model === undefined ? 'without a model line' : JSON.stringify(model)}`);
  }
  return parts.join(', ');
}

/**
 * The board whose rules all match. When several match, the one with the most rules (the most specific)
 * wins; a tie is an error naming both, because guessing would attach the wrong power meters.
 */
export function chooseBoard(catalog: BoardDescriptor[], evidence: DetectionEvidence, root: string): Board {
  const candidates = catalog
    .map((descriptor) => ({ descriptor, matched: matchBoard(descriptor, evidence), evidence }))
    .filter((c): c is Board => c.matched !== undefined)
    .sort((a, b) => b.matched.length - a.matched.length);
  if (candidates.length === 0) {
    throw new CleaveError('BOARD_UNKNOWN', `no board descriptor matches this machine (root ${root}: ${summarizeEvidence(evidence)}); add one under boards/ (docs/boards.md)`);
  }
  if (candidates.length > 1 && candidates[0]!.matched.length === candidates[1]!.matched.length) {
    throw new CleaveError('BOARD_AMBIGUOUS', `boards ${candidates[0]!.descriptor.id} and ${candidates[1]!.descriptor.id} both match this machine equally (${summarizeEvidence(evidence)}); make one descriptor's detect rules more specific`);
  }
  return candidates[0]!;
}

export async function detectBoard(ctx: HalContext, catalog: BoardDescriptor[]): Promise<Board> {
  return chooseBoard(catalog, await readDetectionEvidence(ctx), ctx.root);
}
