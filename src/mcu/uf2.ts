// UF2, the USB flashing format (github.com/microsoft/uf2): an image cut into 512-byte blocks, each
// self-describing (magic numbers, target address, payload size, block number and count), so a
// bootloader's mass-storage drive can take blocks in any order. The RP2040 bootrom takes blocks
// with its family id and 256-byte payloads only.
import { CleaveError } from '../errors';

export const UF2_BLOCK_BYTES = 512;
export const UF2_MAGIC_START0 = 0x0a324655; // "UF2\n"
export const UF2_MAGIC_START1 = 0x9e5d5157;
export const UF2_MAGIC_END = 0x0ab16f30;
export const UF2_FLAG_FAMILY_ID_PRESENT = 0x00002000;
/** The payload field's capacity: 512 bytes less the 32-byte header and the 4-byte end magic. */
export const UF2_DATA_BYTES = 476;
export const UF2_FAMILY_RP2040 = 0xe48bff56;

export interface Uf2Options {
  /** Where the image's first byte goes on the target. */
  address: number;
  familyId: number;
  /** Bytes of the image per block (RP2040: 256); the last block is padded with zeros to it. */
  payloadBytes?: number;
}

/** The image as UF2 blocks, in address order. */
export function writeUf2(image: Uint8Array, options: Uf2Options): Buffer {
  const payload = options.payloadBytes ?? 256;
  if (!Number.isInteger(payload) || payload < 1 || payload > UF2_DATA_BYTES) {
    throw new CleaveError('BAD_ARGUMENT', `UF2 payload of ${payload} bytes: a block carries 1 to ${UF2_DATA_BYTES}`);
  }
  if (image.byteLength === 0) throw new CleaveError('BAD_ARGUMENT', 'UF2: the image is empty');
  const blocks = Math.ceil(image.byteLength / payload);
  const out = Buffer.alloc(blocks * UF2_BLOCK_BYTES);
  for (let i = 0; i < blocks; i++) {
    const at = i * UF2_BLOCK_BYTES;
    out.writeUInt32LE(UF2_MAGIC_START0, at);
    out.writeUInt32LE(UF2_MAGIC_START1, at + 4);
    out.writeUInt32LE(UF2_FLAG_FAMILY_ID_PRESENT, at + 8);
    out.writeUInt32LE((options.address + i * payload) >>> 0, at + 12);
    out.writeUInt32LE(payload, at + 16);
    out.writeUInt32LE(i, at + 20);
    out.writeUInt32LE(blocks, at + 24);
    out.writeUInt32LE(options.familyId >>> 0, at + 28);
    out.set(image.subarray(i * payload, (i + 1) * payload), at + 32);
    out.writeUInt32LE(UF2_MAGIC_END, at + UF2_BLOCK_BYTES - 4);
  }
  return out;
}
