// CRC-32 (IEEE 802.3, reflected, as zlib computes it): the Program checksum and the wire frames'
// CRC. The native loader (native/interp/crc32.cc) computes the same. Node's zlib.crc32 (Node 20.15 and
// later) is native and about seven times faster than the table below, which older Nodes use.
import * as zlib from 'node:zlib';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32Table(bytes: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * CRC-32 of `bytes`; with `previous` (the CRC of the bytes before), of the whole run, as zlib chains
 * it. An empty buffer may have no memory behind it, which zlib answers with 0 whatever `previous`
 * is: the CRC of nothing more is `previous`.
 */
export const crc32: (bytes: Uint8Array, previous?: number) => number = nativeCrc32
  ? (bytes, previous = 0) => (bytes.byteLength === 0 ? previous : nativeCrc32(bytes, previous) >>> 0)
  : crc32Table;
