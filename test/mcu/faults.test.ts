// Faults on the line between the host and the emulated board: garbage and flipped bytes, a load
// chunk with a bad CRC, a board reset in the middle of a load, a firmware of another version, a
// Program of another format version. Each is recovered or refused with a clear error; the outputs
// that come back are the golden ones byte for byte, never a damaged copy.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from '../../src/compile/crc32';
import { CleaveError } from '../../src/errors';
import { buildFirmware } from '../../src/mcu/firmware-build';
import { u32s } from '../../src/mcu/protocol';
import { FrameType } from '../../src/wire/frame';
import { decodeError } from '../../src/wire/messages';
import { bootRawBoard, goldenCase, runGolden, toolsPresent } from './emulated';

t.setTimeout(10 * 60_000);

t.test('garbage and flipped bytes on the line: frames are dropped and resent, outputs are golden', async (t) => {
  if (!toolsPresent(t)) return;
  const golden = goldenCase('tflm_hello_world');
  let damaged = 0;
  const { device } = await bootRawBoard(t, {
    damage: (n, bytes) => {
      if (n % 2 === 1) {
        damaged++;
        // Garbage before the frame: random bytes, zeros and a DUT-looking line among them.
        return Buffer.concat([Buffer.from([0x00, 0x13, 0xff, 0x00]), Buffer.from('xyz%'), Buffer.from([0x41, 0x00, 0x07, 0x99]), bytes]);
      }
      if (n % 3 === 0 && bytes.byteLength > 40) {
        damaged++;
        const copy = Buffer.from(bytes);
        const at = Math.floor(copy.byteLength / 2);
        copy[at] = copy[at] === 0x01 ? 0x02 : 0x01; // never a zero: the packet stays one packet
        return copy;
      }
      return bytes;
    },
  });
  const result = await runGolden(device, golden);
  t.ok(damaged >= 4, `${damaged} frames damaged on the way`);
  t.ok(device.resends > 0, `${device.resends} frames resent`);
  t.same(result.outputs, golden.outputs, 'the outputs are the golden ones');
});

t.test('a load chunk with a bad CRC is refused by the firmware and resent', async (t) => {
  if (!toolsPresent(t)) return;
  const golden = goldenCase('tflm_hello_world');
  let chunks = 0;
  const { device, connection } = await bootRawBoard(t, {
    damage: (_n, bytes) => {
      // The first load chunk sent (hello_world's one chunk is the only frame above 1000 bytes), once:
      // change a byte of its CRC.
      if (bytes.byteLength < 1000) return bytes;
      if (chunks++ > 0) return bytes;
      const copy = Buffer.from(bytes);
      const at = copy.byteLength - 3;
      copy[at] = copy[at] === 0x01 ? 0x02 : 0x01;
      return copy;
    },
  });
  const drops: string[] = [];
  connection.on('frame', (f) => {
    if (f.type === FrameType.Error && f.seq === 0) drops.push(decodeError(f.payload, 'test').message);
  });
  const result = await runGolden(device, golden);
  t.equal(chunks > 1, true, 'the chunk was sent again');
  t.same(drops, ['a frame fails its CRC-32'], 'the firmware said why it dropped it');
  t.ok(result.resends >= 1, `${result.resends} resends during the load`);
  t.same(result.outputs, golden.outputs, 'the outputs are the golden ones');
});

t.test('a board reset in the middle of a load: the host notices and loads again', async (t) => {
  if (!toolsPresent(t)) return;
  const golden = goldenCase('mlperf_tiny_kws');
  const { device, connection, emulator } = await bootRawBoard(t);
  let acks = 0;
  connection.on('frame', (f) => {
    if (f.type === FrameType.McuAck && ++acks === 4) void emulator.reset();
  });
  const result = await runGolden(device, golden);
  t.equal(result.restarts, 1, 'the load started again once');
  t.same(result.outputs, golden.outputs, 'the outputs are the golden ones');
});

t.test('a firmware of another version is refused at hello, naming both versions', async (t) => {
  if (!toolsPresent(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-fw7-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const image = await buildFirmware({ board: 'mps2-an385', outDir: dir, defines: ['CLEAVE_MCU_FIRMWARE_VERSION=7'] });
  const { device } = await bootRawBoard(t, { elf: image.elf });
  await t.rejects(device.load(goldenCase('tflm_hello_world').program, 'hello'), {
    code: 'MCU_FIRMWARE_VERSION',
    message: /runs cleave firmware 7 \(MCU protocol 1\), this cleave expects firmware 1 \(protocol 1\)/,
  });
});

t.test('a Program of another format version is refused: by the host before sending, by the firmware when sent', async (t) => {
  if (!toolsPresent(t)) return;
  const program = Buffer.from(goldenCase('tflm_hello_world').program);
  program.writeUInt16LE(3, 4); // format 3
  program.writeUInt32LE(crc32(program.subarray(0, 60)), 60);
  const { device } = await bootRawBoard(t);
  await t.rejects(device.load(program, 'v3.cprog'), { code: 'PROGRAM_VERSION', message: /v3\.cprog: Program format version 3/ });
  // The firmware's own check, with the host's bypassed: load-begin and the chunks by hand.
  await device.hello();
  await device.request(FrameType.McuLoadBegin, u32s(program.byteLength, crc32(program)), FrameType.McuAck);
  const refused = await device.request(FrameType.McuLoadChunk, Buffer.concat([u32s(0), program.subarray(0, 1024)]), FrameType.McuAck).catch((e: CleaveError) => e);
  t.match(refused, { code: 'PROGRAM_VERSION' }, `the firmware refuses it: ${(refused as Error).message}`);
  // And the load is over: the next chunk is answered with MCU_NOT_LOADING.
  await t.rejects(device.request(FrameType.McuLoadChunk, Buffer.concat([u32s(1024), program.subarray(1024, 2048)]), FrameType.McuAck), { code: 'MCU_NOT_LOADING' });
});
