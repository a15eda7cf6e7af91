// A TCP proxy on 127.0.0.1 that makes a link misbehave, for the fault tests: it delays every chunk,
// flips a byte every so many bytes, or resets the connection every so many bytes, a bounded number of
// times (so every test ends). The kernel here has no netem; this is where delay and damage come from.
import * as net from 'node:net';

export interface Faults {
  /** Added to every chunk, each direction. */
  delayMs?: number;
  /** Flip one byte after this many bytes (each direction, counted per connection)... */
  corruptEvery?: number;
  /** ...or reset the connection (RST to both sides) after this many bytes from the client. */
  resetEvery?: number;
  /** Faults in all, over every connection; then the proxy passes bytes through untouched. */
  maxFaults: number;
}

export interface FaultProxy {
  port: number;
  faults: () => number;
  close: () => Promise<void>;
}

export async function faultProxy(target: number, f: Faults, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  let faults = 0;
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
        chain = chain.then(async () => {
          if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
          if (!to.destroyed) to.write(out);
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
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
