// Where the HAL reads the machine from. Every driver resolves /sys, /proc, /etc and /dev paths under
// `root` and finds external commands (vcgencmd, tegrastats) on `searchPath`, so a fixture tree and a
// folder of fake executables stand in for a real board in tests.
import * as path from 'node:path';

export interface HalContext {
  /** Filesystem root the board's /sys, /proc, /etc and /dev are read under; `/` on a real board. */
  readonly root: string;
  /** Colon-separated folders searched for external commands, like $PATH. */
  readonly searchPath: string;
}

/** The context from the environment: `CLEAVE_SYSFS_ROOT` (default `/`) and `PATH`. */
export function halContext(overrides: Partial<HalContext> = {}): HalContext {
  return {
    root: path.resolve(overrides.root ?? (process.env.CLEAVE_SYSFS_ROOT || '/')),
    searchPath: overrides.searchPath ?? process.env.PATH ?? '',
  };
}

/** The real location of an absolute board path (`/sys/class/...`) under the context's root. */
export function rooted(ctx: HalContext, boardPath: string): string {
  return ctx.root === '/' ? boardPath : path.join(ctx.root, boardPath);
}
