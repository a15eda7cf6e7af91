// The UF2 writer against the format's specification (github.com/microsoft/uf2, README "File
// format"): 512-byte blocks; magicStart0 0x0A324655, magicStart1 0x9E5D5157 and magicEnd 0x0AB16F30;
// flags with familyID present (0x00002000) and the family id in the last header word; target address,
// payload size, block number and block count; the payload in data[0..payloadSize), zeros after it.
import t from 'tap';
import { writeUf2 } from '../../src/mcu/uf2';

interface Uf2Block {
  magicStart0: number; magicStart1: number; flags: number; targetAddr: number; payloadSize: number;
  blockNo: number; numBlocks: number; familyId: number; data: Buffer; magicEnd: number;
}

/** Reads blocks as the specification lays them out (all little-endian), independently of the writer. */
function parseUf2(file: Buffer): Uf2Block[] {
  const blocks: Uf2Block[] = [];
  for (let at = 0; at < file.length; at += 512) {
    const b = file.subarray(at, at + 512);
    const u32 = (i: number) => b.readUInt32LE(i);
    blocks.push({ magicStart0: u32(0), magicStart1: u32(4), flags: u32(8), targetAddr: u32(12), payloadSize: u32(16),
      blockNo: u32(20), numBlocks: u32(24), familyId: u32(28), data: b.subarray(32, 32 + 476), magicEnd: u32(508) });
  }
  return blocks;
}

t.test('an RP2040 image: every field of every block as the specification says', async (t) => {
  const image = Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 7 + 3) & 0xff));
  const file = writeUf2(image, { address: 0x20000000, familyId: 0xe48bff56 });
  t.equal(file.length % 512, 0, 'whole 512-byte blocks');
  const blocks = parseUf2(file);
  t.equal(blocks.length, 3, '700 bytes in 256-byte payloads: 3 blocks');
  blocks.forEach((b, i) => {
    t.equal(b.magicStart0, 0x0a324655, `block ${i}: magicStart0 ("UF2\\n")`);
    t.equal(b.magicStart1, 0x9e5d5157, `block ${i}: magicStart1`);
    t.equal(b.magicEnd, 0x0ab16f30, `block ${i}: magicEnd`);
    t.equal(b.flags, 0x00002000, `block ${i}: only the familyID-present flag`);
    t.equal(b.familyId, 0xe48bff56, `block ${i}: RP2040's family id`);
    t.equal(b.payloadSize, 256, `block ${i}: 256-byte payload (the RP2040 bootrom takes no other)`);
    t.equal(b.targetAddr, 0x20000000 + 256 * i, `block ${i}: target address`);
    t.equal(b.blockNo, i, `block ${i}: block number`);
    t.equal(b.numBlocks, 3, `block ${i}: total blocks`);
    const expected = Buffer.alloc(256);
    image.copy(expected, 0, 256 * i, 256 * (i + 1));
    t.same(b.data.subarray(0, 256), expected, `block ${i}: the image's bytes (the last padded with zeros)`);
    t.ok(b.data.subarray(256).every((x) => x === 0), `block ${i}: zeros after the payload`);
  });
  t.same(Buffer.concat(blocks.map((b) => b.data.subarray(0, b.payloadSize))).subarray(0, image.length), image, 'the payloads in order are the image');
});

t.test('an image of a whole number of payloads needs no padding block; another family and payload size', async (t) => {
  const blocks = parseUf2(writeUf2(Buffer.alloc(512, 0xab), { address: 0x10000000, familyId: 0x12345678, payloadBytes: 128 }));
  t.equal(blocks.length, 4);
  t.same(blocks.map((b) => b.targetAddr), [0x10000000, 0x10000080, 0x10000100, 0x10000180]);
  t.ok(blocks.every((b) => b.familyId === 0x12345678 && b.payloadSize === 128 && b.numBlocks === 4));
});

t.test('an empty image or an impossible payload size is refused, naming it', async (t) => {
  t.throws(() => writeUf2(new Uint8Array(0), { address: 0, familyId: 1 }), { code: 'BAD_ARGUMENT', message: /the image is empty/ });
  t.throws(() => writeUf2(new Uint8Array(4), { address: 0, familyId: 1, payloadBytes: 477 }), { code: 'BAD_ARGUMENT', message: /477 bytes: a block carries 1 to 476/ });
});
