// A TCP proxy on 127.0.0.1 that makes a link misbehave, for the fault tests. The kernel here has no
// netem; this is where delay, loss, a bandwidth limit and damage come from. Per direction:
// - delay: every chunk is released `delayMs` after it arrived (propagation: chunks overlap in flight);
// - rate: chunks leave one after another at `bytesPerSecond` (a bottleneck link; changeable live);
// - loss: TCP hides a lost segment as a stall: the receiver gets nothing past the hole until the
//   sender's retransmission timer fires (RTO, at least 200 ms on Linux), then the bytes arrive in
//   order. So each 1448-byte segment of a chunk is "lost" with probability `loss` (seeded, so a run is
//   reproducible), and a chunk with a lost segment is held back `retransmitMs` (default 200) more,
//   with every byte after it (head-of-line blocking); byte order is preserved, as TCP preserves it;
// - damage: flip one byte every so many bytes, or reset the connection every so many bytes, a bounded
//   number of times (so every test ends).
import { prng } from '../fuzz/mutate';
import * as net from 'node:net';

export interface Faults {
  /** One-way delay added to every chunk, each direction. */
  delayMs?: number;
  /** Bandwidth of each direction, bytes per second (absent: as fast as loopback). */
  bytesPerSecond?: number;
  /** Probability that a TCP segment (1448 bytes) is lost: its chunk stalls `retransmitMs`. */
  loss?: number;
  /** The stall of one lost segment: the retransmission timeout (default 200 ms, Linux's minimum RTO). */
  retransmitMs?: number;
  /** Seed of the loss draws (default 1). */
  seed?: number;
  /** Flip one byte after this many bytes (each direction, counted per connection)... */
  corruptEvery?: number;
  /** ...or reset the connection (RST to both sides) after this many bytes from the client. */
  resetEvery?: number;
  /** Corruptions and resets in all, over every connection; then the proxy passes bytes through untouched. */
  maxFaults: number;
}

export interface FaultProxy {
  port: number;
  /** Corruptions and resets injected so far. */
  faults: () => number;
  /** Chunks held back for a retransmission (loss) so far. */
  stalls: () => number;
  /** Changes the bandwidth of both directions from now on (undefined: unlimited). */
  setRate: (bytesPerSecond: number | undefined) => void;
  close: () => Promise<void>;
}

const SEGMENT_BYTES = 1448;
/** Bytes a direction may hold before it stops reading (the sender then backs up into TCP). */
const HIGH_WATER = 256 * 1024;

export async function faultProxy(target: number, f: Faults, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  let faults = 0;
  let stalls = 0;
  let rate = f.bytesPerSecond;
  const random = prng(f.seed ?? 1);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    const pipe = (from: net.Socket, to: net.Socket, resets: boolean) => {
      let sinceFault = 0;
      let chain = Promise.resolve();
      let lastDeparture = 0;
      let lastRelease = 0;
      let held = 0;
      from.on('data', (chunk: Buffer) => {
        let out = chunk;
        if (faults < f.maxFaults && f.corruptEvery && sinceFault + chunk.byteLength >= f.corruptEvery) {
          out = Buffer.from(chunk);
          out[Math.max(0, f.corruptEvery - sinceFault - 1)]! ^= 0x40;
          faults++;
          sinceFault = 0;
        } else {
          sinceFault += chunk.byteLength;
        }
        if (resets && faults < f.maxFaults && f.resetEvery && sinceFault >= f.resetEvery) {
          faults++;
          client.resetAndDestroy();
          upstream.resetAndDestroy();
          return;
        }
        // When the chunk has left the bottleneck, then arrives (propagation, plus a stall per lost
        // segment); never before the chunk ahead of it.
        const now = performance.now();
        const departure = Math.max(now, lastDeparture) + (rate ? (out.byteLength / rate) * 1000 : 0);
        lastDeparture = departure;
        let lost = 0;
        if (f.loss) for (let s = 0; s < Math.ceil(out.byteLength / SEGMENT_BYTES); s++) if (random() < f.loss) lost++;
        stalls += lost;
        const release = Math.max(departure + (f.delayMs ?? 0) + lost * (f.retransmitMs ?? 200), lastRelease);
        lastRelease = release;
        held += out.byteLength;
        if (held > HIGH_WATER) from.pause();
        chain = chain.then(async () => {
          // Node's timers run on a cached millisecond loop clock and may fire up to 1 ms early by
          // performance.now(): wait again until the release time has really come.
          for (let wait = release - performance.now(); wait > 0; wait = release - performance.now()) {
            await new Promise((r) => setTimeout(r, wait));
          }
          if (!to.destroyed) to.write(out);
          held -= out.byteLength;
          if (held <= HIGH_WATER && from.isPaused()) from.resume();
        });
      });
      from.on('end', () => void chain.then(() => to.end()));
      from.on('close', () => void chain.then(() => to.destroy()));
    };
    pipe(client, upstream, true);
    pipe(upstream, client, false);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    faults: () => faults,
    stalls: () => stalls,
    setRate: (bytesPerSecond) => (rate = bytesPerSecond),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
