// A network namespace joined to this one by a veth pair whose both ends are shaped with tbf: a link of
// a given bandwidth that is real to the kernel (the kernel here has no netem; delay and damage come
// from the fault proxy). Needs root and iproute2; callers fall back to loopback without them.
import { execFileSync, spawnSync } from 'node:child_process';

export const canShape = process.getuid?.() === 0 && spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0 && spawnSync('tc', ['-V'], { stdio: 'ignore' }).status === 0;

export interface ShapedLinkSpec {
  ns: string;
  /** The veth ends: in this namespace, and in `ns` (at most 15 characters each). */
  hostIf: string;
  peerIf: string;
  /** Addresses of a /30 on the pair. */
  hostIp: string;
  nsIp: string;
  mbit: number;
}

export interface ShapedLink {
  ns: string;
  hostIf: string;
  hostIp: string;
  nsIp: string;
  /** Sets both directions to `mbit` Mbit/s. */
  setRate: (mbit: number) => void;
  /** Runs a command inside the namespace: prefix for spawn. */
  exec: string[];
  destroy: () => void;
}

function run(...args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function namespaceExec(ns: string): string[] {
  return ['ip', 'netns', 'exec', ns];
}

/** Removes the namespace and the veth pair; nothing happens for what is already gone. */
export function removeShapedLink(ns: string, hostIf: string): void {
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); // takes its end of the veth pair, and so the pair
  spawnSync('ip', ['link', 'del', hostIf], { stdio: 'ignore' });
}

/** The names of this machine's network namespaces (none when `ip` is missing). */
export function listNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').map((line) => line.split(' ')[0]!).filter(Boolean) : [];
}

export function createShapedLink(spec: ShapedLinkSpec): ShapedLink {
  const { ns, hostIf, peerIf, hostIp, nsIp } = spec;
  const inNs = namespaceExec(ns);
  const destroy = () => removeShapedLink(ns, hostIf);
  destroy();
  try {
    run('ip', 'netns', 'add', ns);
    run('ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf);
    run('ip', 'link', 'set', peerIf, 'netns', ns);
    run('ip', 'addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    run('ip', 'link', 'set', hostIf, 'up');
    run(...inNs, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', peerIf);
    run(...inNs, 'ip', 'link', 'set', peerIf, 'up');
    run(...inNs, 'ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    destroy();
    throw err;
  }
  let verb = 'add';
  const setRate = (rate: number) => {
    // A burst of at least one full-size packet, and a queue of 50 ms at that rate.
    const burst = `${Math.max(4, Math.round((rate * 1e6) / 8 / 250 / 1024))}kb`;
    run('tc', 'qdisc', verb, 'dev', hostIf, 'root', 'tbf', 'rate', `${rate}mbit`, 'burst', burst, 'latency', '50ms');
    run(...inNs, 'tc', 'qdisc', verb, 'dev', peerIf, 'root', 'tbf', 'rate', `${rate}mbit`, 'burst', burst, 'latency', '50ms');
    verb = 'change';
  };
  try {
    setRate(spec.mbit);
  } catch (err) {
    destroy();
    throw err;
  }
  return { ns, hostIf, hostIp, nsIp, setRate, exec: inNs, destroy };
}
