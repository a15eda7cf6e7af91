// A damaged Program is rejected with a clear error, never run: checksums catch accidents, and the
// native loader's validation catches Programs whose checksum was recomputed over bad contents.
import t from 'tap';
import { Session } from '../../src/session';
import { compileGraph } from '../../src/compile/program';
import { crc32 } from '../../src/compile/crc32';
import { readModelFile } from '../../src/model/reader';
import { MUTATIONS, mutate, prng } from '../fuzz/mutate';
import { shippedModels } from '../lib/models';

const models = shippedModels();
const program = (name: string) => compileGraph(readModelFile(models.find((m) => m.name === name)!.file)).bytes;

function resign(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(12, crc32(bytes.subarray(16)), true);
  return bytes;
}

t.test('damaged Programs are refused with what is wrong', async (t) => {
  const good = program('mlperf_tiny_kws');
  const flipped = good.slice();
  flipped[good.length - 100] ^= 0x10;
  t.throws(() => Session.fromBytes(flipped, 'kws.cprog'), { code: 'BAD_PROGRAM', message: /kws\.cprog: checksum mismatch: header 0x[0-9a-f]+, contents 0x[0-9a-f]+ \(damaged Program\)/ });
  t.throws(() => Session.fromBytes(good.subarray(0, good.length - 16), 'cut.cprog'), { message: /cut\.cprog: header says \d+ bytes but the Program has \d+ \(truncated or padded\)/ });
  const version = good.slice();
  version[4] = 9;
  t.throws(() => Session.fromBytes(version, 'v9.cprog'), { message: /format version 9\.0 is not supported/ });
  t.throws(() => Session.fromBytes(good.subarray(0, 20), 'tiny.cprog'), { message: /tiny\.cprog: .*too short/ });
  const renamed = good.slice();
  renamed[0] = 0x58;
  t.throws(() => Session.fromBytes(renamed, 'x.cprog'), { code: 'NOT_A_MODEL', message: /x\.cprog: neither a cleave Program \(magic "CLVP"\) nor a TFLite model/ });

  // A tensor moved outside the arena, checksum recomputed: only the native validation can tell.
  const moved = good.slice();
  const dv = new DataView(moved.buffer);
  const tensorTable = dv.getUint32(24, true);
  const firstActivation = Array.from({ length: dv.getUint32(20, true) }, (_, i) => tensorTable + 48 * i).find((at) => moved[at + 2] === 0)!;
  dv.setUint32(firstActivation + 20, dv.getUint32(16, true), true);
  t.throws(() => Session.fromBytes(resign(moved), 'moved.cprog'), { code: 'PROGRAM_INVALID', message: /moved\.cprog: invalid Program: tensor \d+ \[\d+, \+\d+\) lies outside the \d+-byte arena/ });
});

for (const name of ['tflm_hello_world', 'mlperf_tiny_kws', 'mlperf_tiny_ic']) {
  t.test(`${name}: 1000 checksum-valid mutants are rejected or run safely`, async (t) => {
    const original = program(name);
    const rand = prng(7);
    const counts = { rejected: 0, ran: 0 };
    const escaped: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const bytes = mutate(original, MUTATIONS[i % MUTATIONS.length]!, rand);
      if (bytes.length >= 16) resign(bytes);
      let session: Session;
      try {
        session = Session.fromBytes(bytes, 'mutant.cprog');
      } catch (err) {
        // BAD_PROGRAM from the TypeScript table reader; the native loader's codes (native/common/status.h).
        if (['BAD_PROGRAM', 'NOT_A_MODEL', 'PROGRAM_INVALID', 'PROGRAM_CHECKSUM', 'PROGRAM_VERSION', 'PROGRAM_TOO_LARGE', 'UNSUPPORTED_OP', 'OUT_OF_MEMORY']
          .includes((err as { code?: string }).code ?? '')) counts.rejected++;
        else escaped.push(`${i}: ${(err as Error).stack}`);
        continue;
      }
      session.runSync(session.inputs.map((x) => new Uint8Array(x.byteLength)));
      session.dispose();
      counts.ran++;
    }
    t.same(escaped, []);
    t.ok(counts.rejected > 100, `${counts.rejected} rejected, ${counts.ran} ran`);
  });
}

