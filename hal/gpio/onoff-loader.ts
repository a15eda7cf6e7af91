// onoff drives GPIOs through /sys/class/gpio, a path it hard-codes. To honour CLEAVE_SYSFS_ROOT (so a
// fixture tree stands in for a board) this loads onoff's own code with an `fs` whose path-taking calls
// are re-rooted; everything else (epoll, file descriptors, writes) is onoff's real behaviour.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type { Gpio as OnoffGpio } from 'onoff';
import { CleaveError } from '../../src/errors';
import { rooted, type HalContext } from '../context';

export type OnoffGpioClass = typeof OnoffGpio;

// onoff's calls that take a path; the rest take file descriptors.
const PATH_CALLS = new Set(['existsSync', 'writeFileSync', 'openSync', 'readFileSync']);

function reRootedFs(ctx: HalContext): typeof fs {
  return new Proxy(fs, {
    get(target, key: string) {
      const value = (target as unknown as Record<string, unknown>)[key];
      if (!PATH_CALLS.has(key) || typeof value !== 'function') return value;
      return (p: unknown, ...rest: unknown[]) =>
        (value as (...a: unknown[]) => unknown).call(target, typeof p === 'string' && p.startsWith('/sys/') ? rooted(ctx, p) : p, ...rest);
    },
  });
}

const cache = new Map<string, OnoffGpioClass>();

/** onoff's Gpio class, reading and writing /sys/class/gpio under the context's root. */
export function loadOnoff(ctx: HalContext): OnoffGpioClass {
  const cached = cache.get(ctx.root);
  if (cached) return cached;
  let onoffPath: string;
  try {
    onoffPath = require.resolve('onoff');
  } catch (err) {
    throw new CleaveError('DEPENDENCY_MISSING', `GPIO needs the onoff package (${(err as Error).message.split('\n')[0]})`);
  }
  let Gpio: OnoffGpioClass;
  if (ctx.root === '/') {
    Gpio = loadOrExplain(() => (require(onoffPath) as { Gpio: OnoffGpioClass }).Gpio);
  } else {
    const requireFromOnoff = createRequire(onoffPath);
    const sandboxFs = reRootedFs(ctx);
    const module = { exports: {} as { Gpio: OnoffGpioClass } };
    const factory = vm.compileFunction(fs.readFileSync(onoffPath, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], {
      filename: onoffPath,
    });
    loadOrExplain(() =>
      factory(module.exports, (id: string) => (id === 'fs' ? sandboxFs : requireFromOnoff(id)), module, onoffPath, path.dirname(onoffPath)),
    );
    Gpio = module.exports.Gpio;
  }
  cache.set(ctx.root, Gpio);
  return Gpio;
}

/** onoff requires the native `epoll` addon at load time; say so plainly when it is not built. */
function loadOrExplain<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    throw new CleaveError('DEPENDENCY_MISSING', `GPIO needs onoff and its native epoll addon, which failed to load (${message}); run \`npm rebuild epoll\``);
  }
}
