// What a Linux board needs to run cleave, as one tar stream: the runtime (package.json, bin/, the
// compiled JS, board descriptors and the production node_modules), the native addon built for the
// board's architecture (cross-built for arm64), the plan with its Programs, and its start script and token. GNU tar
// reads the package root and a small staging folder in one pass, so nothing big is copied twice.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { CpuArch } from '../../hal';
import { CleaveError } from '../errors';
import { packageRoot } from '../paths';
import type { PlanFile } from '../segments/plan';

/** The addon for each architecture a Linux board can have, relative to the package root. */
const ADDON_BUILDS: Partial<Record<CpuArch, { file: string; howToBuild: string }>> = {
  x86_64: { file: 'build/Release/cleave.node', howToBuild: 'npm run build' },
  arm64: { file: 'build-arm64/cleave.node', howToBuild: 'npm run test:arm64 (it cross-builds build-arm64/cleave.node)' },
};

/** `uname -m` names per architecture. */
export const UNAME_MACHINE: Partial<Record<CpuArch, string[]>> = { x86_64: ['x86_64'], arm64: ['aarch64', 'arm64'] };

export function addonFor(arch: CpuArch): string {
  const build = ADDON_BUILDS[arch];
  if (!build) throw new CleaveError('BAD_ARGUMENT', `cannot deploy to a ${arch} board: cleave runs on Linux boards with x86_64 or arm64 CPUs (flash microcontrollers with \`cleave flash\`)`);
  const file = path.join(packageRoot, build.file);
  if (!fs.existsSync(file)) throw new CleaveError('NO_ADDON', `${file}: no ${arch} build of the native addon; build it with \`${build.howToBuild}\``);
  return file;
}

/** The package's production dependencies, as paths under node_modules (npm's own view of them). */
function productionModules(): string[] {
  let out: string;
  try {
    out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: packageRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    // npm ls exits 1 on extraneous or missing optional packages but still lists what is there.
    out = (err as { stdout?: string }).stdout ?? '';
  }
  const modules = out.split('\n').map((l) => path.relative(packageRoot, l.trim())).filter((p) => p.startsWith('node_modules'));
  if (modules.length === 0) throw new CleaveError('COMMAND_FAILED', `npm ls --omit=dev listed no production packages under ${packageRoot}/node_modules (run npm ci)`);
  // Nested packages are inside their parents' folders already.
  return modules.filter((m) => !modules.some((other) => other !== m && m.startsWith(`${other}${path.sep}`)));
}

export interface ReleaseFiles {
  plan: PlanFile;
  planPath: string;
  arch: CpuArch;
  /** More files for the release folder: start.sh, the token file. */
  files: { name: string; content: string; mode: number }[];
}

export interface Release {
  /** The tar.gz stream; its members are relative to the release folder. */
  stream(): Readable;
  /** Removes the staging folder. */
  dispose(): void;
}

export function packRelease(files: ReleaseFiles): Release {
  const addon = addonFor(files.arch);
  for (const p of ['dist/src/cli/main.js', 'bin/cleave']) {
    if (!fs.existsSync(path.join(packageRoot, p))) throw new CleaveError('FILE_NOT_FOUND', `${path.join(packageRoot, p)}: missing; build cleave first (npm run build)`);
  }
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-release-'));
  fs.mkdirSync(path.join(stage, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(addon, path.join(stage, 'build', 'Release', 'cleave.node'));
  fs.mkdirSync(path.join(stage, 'plan'));
  fs.copyFileSync(files.planPath, path.join(stage, 'plan', 'plan.json'));
  for (const seg of files.plan.segments) fs.copyFileSync(path.join(path.dirname(files.planPath), seg.program), path.join(stage, 'plan', seg.program));
  for (const f of files.files) fs.writeFileSync(path.join(stage, f.name), f.content, { mode: f.mode });
  // native/: the firmware commands list its sources when the CLI loads, and a board may build firmware.
  const runtime = ['package.json', 'bin', 'dist/src', 'dist/hal', 'boards', 'native', ...productionModules()];
  return {
    stream: () => {
      const tar = spawn('tar', ['czf', '-', '-C', packageRoot, ...runtime, '-C', stage, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      return tar.stdout!;
    },
    dispose: () => fs.rmSync(stage, { recursive: true, force: true }),
  };
}
