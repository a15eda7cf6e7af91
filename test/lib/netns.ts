// A shaped link (src/lab/netns.ts) named after this test process, for the wire tests. Needs root and
// iproute2; the caller skips otherwise.
import { createShapedLink, type ShapedLink } from '../../src/lab/netns';

export { canShape, type ShapedLink } from '../../src/lab/netns';

export function shapedLink(mbit: number): ShapedLink {
  const id = process.pid % 10000;
  return createShapedLink({
    ns: `cleave-wire-${id}`,
    hostIf: `cwv${id}a`,
    peerIf: `cwv${id}b`,
    hostIp: `10.250.${id % 250}.1`,
    nsIp: `10.250.${id % 250}.2`,
    mbit,
  });
}
