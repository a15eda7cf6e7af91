// Wire frames and their parsers: any chunking gives the same frames, damage is caught by the CRC, a
// header announcing a huge payload is refused from its 20 bytes, COBS packets resynchronize after
// garbage, and the payload codecs check every length.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { cobsDecode, cobsEncode, cobsFrameBytes, CobsFrameParser } from '../../src/wire/cobs';
import { type Frame, frameBytes, FrameType, HEADER_BYTES, readFrame, TRAILER_BYTES } from '../../src/wire/frame';
import { decodeError, decodeHello, decodeReply, decodeTensors, encodeError, encodeHello, encodeReply, encodeTensors, tokensEqual } from '../../src/wire/messages';
import { StreamFrameParser } from '../../src/wire/stream-parser';

const LIMIT = 1 << 20;

function sample(n: number): Frame[] {
  return Array.from({ length: n }, (_, i) => ({
    type: i % 2 ? FrameType.Reply : FrameType.Request,
    flags: i & 3,
    stream: 0xdeadbeef,
    seq: i + 1,
    payload: randomBytes((i * 977) % 5000),
  }));
}

const same = (a: Frame, b: Frame) => a.type === b.type && a.flags === b.flags && a.stream === b.stream && a.seq === b.seq && Buffer.compare(Buffer.from(a.payload), Buffer.from(b.payload)) === 0;

t.test('a frame is header, payload and CRC; readFrame gives it back', async (t) => {
  const f = sample(2)[1]!;
  const bytes = frameBytes(f);
  t.equal(bytes.byteLength, HEADER_BYTES + f.payload.byteLength + TRAILER_BYTES);
  t.equal(bytes.subarray(0, 4).toString('latin1'), 'CLVW');
  t.ok(same(readFrame(bytes, LIMIT, 'test'), f));
});

t.test('the stream parser gives the same frames whatever the chunking', async (t) => {
  const frames = sample(12);
  const stream = Buffer.concat(frames.map(frameBytes));
  for (const chunking of ['bytewise', 'random', 'whole']) {
    const parser = new StreamFrameParser(LIMIT, 'peer');
    const got: Frame[] = [];
    let at = 0;
    while (at < stream.byteLength) {
      const n = chunking === 'bytewise' ? 1 : chunking === 'whole' ? stream.byteLength : 1 + Math.floor(Math.random() * 3000);
      got.push(...parser.push(stream.subarray(at, at + n)));
      at += n;
    }
    t.equal(got.length, frames.length, chunking);
    t.ok(got.every((f, i) => same(f, frames[i]!)), `${chunking}: every frame intact and in order`);
    t.equal(parser.bufferedBytes, 0);
  }
});

t.test('a flipped bit anywhere fails the CRC, and the stream parser stays failed', async (t) => {
  const bytes = frameBytes(sample(4)[3]!);
  for (const at of [8, 12, HEADER_BYTES + 5, bytes.byteLength - 1]) {
    const bad = Buffer.from(bytes);
    bad[at]! ^= 0x10;
    const parser = new StreamFrameParser(LIMIT, 'tcp:10.0.0.1:7000');
    t.throws(() => parser.push(bad), { code: 'WIRE_CHECKSUM', message: /^tcp:10\.0\.0\.1:7000: frame .* fails its CRC-32/ }, `bit flipped at byte ${at}`);
    t.throws(() => parser.push(frameBytes(sample(1)[0]!)), { code: 'WIRE_CHECKSUM' }, 'no resynchronizing on a byte stream');
  }
  const junk = new StreamFrameParser(LIMIT, 'peer');
  t.throws(() => junk.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), { code: 'WIRE_BAD_MAGIC', message: /peer: not a cleave wire frame/ });
});

t.test('a header announcing 4 GiB is refused from its 20 bytes, before the payload arrives', async (t) => {
  const header = frameBytes({ type: FrameType.Request, flags: 0, stream: 1, seq: 1, payload: Buffer.alloc(0) }).subarray(0, HEADER_BYTES);
  header.writeUInt32LE(0xffffffff, 16);
  const parser = new StreamFrameParser(LIMIT, 'tcp:127.0.0.1:9');
  const before = process.memoryUsage().arrayBuffers;
  t.throws(() => parser.push(header), { code: 'WIRE_FRAME_TOO_LARGE', message: 'tcp:127.0.0.1:9: frame announces a 4294967295-byte payload, the limit is 1048576 bytes' });
  t.equal(parser.bufferedBytes, 0);
  t.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'nothing near the announced size was allocated');
  // Split across chunks the header is still checked as soon as its 20th byte is in.
  const split = new StreamFrameParser(LIMIT, 'peer');
  t.same(split.push(header.subarray(0, 19)), []);
  t.throws(() => split.push(header.subarray(19)), { code: 'WIRE_FRAME_TOO_LARGE' });
});

t.test('COBS: round trips, no zero inside, and any damage is caught', async (t) => {
  const cases = [Buffer.alloc(0), Buffer.alloc(1), Buffer.alloc(600), Buffer.alloc(254, 7), Buffer.alloc(255, 7), Buffer.alloc(508, 1), randomBytes(10_000)];
  for (const data of cases) {
    const enc = cobsEncode(data);
    t.notOk(enc.includes(0), `${data.byteLength} bytes: no zero in the encoding`);
    t.same(cobsDecode(enc), data, `${data.byteLength} bytes round trip`);
  }
  t.equal(cobsDecode(Buffer.from([5, 1, 2])), null, 'a code running past the end is invalid');
});

t.test('COBS framing resynchronizes after garbage and drops damaged packets', async (t) => {
  const frames = sample(8);
  const wire = frames.map(cobsFrameBytes);
  const garbage = Buffer.from([0x13, 0x00, 0xff, 0x00, 0x00, 0x42, 0x17]);
  const damaged = Buffer.from(wire[3]!);
  damaged[damaged.byteLength >> 1] = damaged[damaged.byteLength >> 1] === 0x55 ? 0x56 : 0x55;
  const stream = Buffer.concat([garbage, wire[0]!, wire[1]!, randomBytes(300), wire[2]!, damaged, garbage, wire[4]!, wire[5]!, wire[6]!, wire[7]!]);
  const parser = new CobsFrameParser(LIMIT, 'serial:/dev/pts/9');
  const got: Frame[] = [];
  const dropped: string[] = [];
  for (let at = 0; at < stream.byteLength; at += 37) {
    const r = parser.push(stream.subarray(at, at + 37));
    got.push(...r.frames);
    dropped.push(...r.dropped.map((e) => e.code));
  }
  t.same(got.map((f) => f.seq), [1, 2, 3, 5, 6, 7, 8], 'every intact frame, in order; the damaged one is not delivered');
  t.ok(got.every((f) => same(f, frames[f.seq - 1]!)));
  t.ok(dropped.length >= 3, `garbage and the damaged frame dropped (${dropped.join(', ')})`);
  t.ok(dropped.every((c) => /^WIRE_/.test(c)));

  const small = new CobsFrameParser(64, 'serial:x');
  const r = small.push(Buffer.concat([Buffer.alloc(500, 9), cobsFrameBytes({ type: FrameType.Ping, flags: 0, stream: 0, seq: 7, payload: Buffer.alloc(8) })]));
  t.same(r.frames.map((f) => f.seq), [7], 'an over-long packet is skipped to the next delimiter');
  t.equal(r.dropped[0]?.code, 'WIRE_FRAME_TOO_LARGE');
});

t.test('payloads: hello, error, tensor lists; truncations are refused with where and what', async (t) => {
  const sha = randomBytes(32);
  const hello = decodeHello(encodeHello({ version: 1, segment: 3, programSha256: sha, token: 'tökén' }), 'peer');
  t.same({ ...hello, programSha256: hello.programSha256.toString('hex') }, { version: 1, segment: 3, programSha256: sha.toString('hex'), token: 'tökén' });
  t.throws(() => decodeHello(encodeHello({ version: 1, segment: 3, programSha256: sha, token: 'x' }).subarray(0, 30), 'tcp:1.2.3.4:5'), { code: 'WIRE_BAD_FRAME', message: /^tcp:1\.2\.3\.4:5: hello: needs/ });
  t.same(decodeError(encodeError({ code: 'WIRE_AUTH', message: 'no' }), 'p'), { code: 'WIRE_AUTH', message: 'no' });
  const tensors = [randomBytes(10), randomBytes(0), randomBytes(300)];
  t.same(decodeTensors(encodeTensors(tensors), 'p'), tensors);
  const reply = decodeReply(encodeReply({ computeMicros: 12.5, tensors }), 'p');
  t.equal(reply.computeMicros, 12.5);
  t.same(reply.tensors, tensors);
  const lying = encodeTensors(tensors);
  lying.writeUInt32LE(1_000_000, 0);
  t.throws(() => decodeTensors(lying, 'p'), { code: 'WIRE_BAD_FRAME' }, 'a count larger than the bytes there');
  t.ok(tokensEqual('secret', 'secret'));
  t.notOk(tokensEqual('secret', 'secreT'));
  t.notOk(tokensEqual('secret', 'secret-but-longer'));
});
