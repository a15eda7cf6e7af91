// A network namespace joined to this one by a veth pair whose both ends are shaped with tbf: a link of
// a given bandwidth that is real to the kernel (the kernel here has no netem; delay and damage come
// from test/lib/fault-proxy.ts). Needs root and iproute2; the caller skips otherwise.
import { execFileSync, spawnSync } from 'node:child_process';

export const canShape = process.getuid?.() === 0 && spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0 && spawnSync('tc', ['-V'], { stdio: 'ignore' }).status === 0;

export interface ShapedLink {
  ns: string;
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

export function shapedLink(mbit: number): ShapedLink {
  const id = process.pid % 10000;
  const ns = `cleave-wire-${id}`;
  const [host, peer] = [`cwv${id}a`, `cwv${id}b`];
  const [hostIp, nsIp] = [`10.250.${id % 250}.1`, `10.250.${id % 250}.2`];
  const inNs = ['ip', 'netns', 'exec', ns];
  const destroy = () => {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); // takes its end of the veth pair, and so the pair
    spawnSync('ip', ['link', 'del', host], { stdio: 'ignore' });
  };
  destroy();
  try {
    run('ip', 'netns', 'add', ns);
    run('ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
    run('ip', 'link', 'set', peer, 'netns', ns);
    run('ip', 'addr', 'add', `${hostIp}/30`, 'dev', host);
    run('ip', 'link', 'set', host, 'up');
    run(...inNs, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', peer);
    run(...inNs, 'ip', 'link', 'set', peer, 'up');
    run(...inNs, 'ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    destroy();
    throw err;
  }
  let verb = 'add';
  const setRate = (rate: number) => {
    // A burst of at least one full-size packet, and a queue of 50 ms at that rate.
    const burst = `${Math.max(4, Math.round((rate * 1e6) / 8 / 250 / 1024))}kb`;
    run('tc', 'qdisc', verb, 'dev', host, 'root', 'tbf', 'rate', `${rate}mbit`, 'burst', burst, 'latency', '50ms');
    run(...inNs, 'tc', 'qdisc', verb, 'dev', peer, 'root', 'tbf', 'rate', `${rate}mbit`, 'burst', burst, 'latency', '50ms');
    verb = 'change';
  };
  setRate(mbit);
  return { ns, hostIp, nsIp, setRate, exec: inNs, destroy };
}
