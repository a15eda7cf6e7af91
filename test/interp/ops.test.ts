// Op defects that reached users: a kernel failure resolved as zeros, a CONCATENATION of more than
// 64 inputs gave wrong bytes. Each case here failed before the fix.
import t from 'tap';
import { Session } from '../../src/session';
import { compileGraph } from '../../src/compile/program';
import { averagePoolGraph, concatenationGraph } from '../lib/synthetic';
import { withOpParam } from '../lib/program-edit';

t.test('an AVERAGE_POOL_2D window with no tap inside the input is refused, never run as zeros', async (t) => {
  const program = compileGraph(averagePoolGraph({ height: 4, width: 4, channels: 3, filter: 2, stride: 2 })).bytes;
  const fine = Session.fromBytes(program, 'pool.cprog');
  t.equal(fine.runSync(new Int8Array(48).fill(7)).outputs[0]!.length, 12, 'the unmodified Program runs');
  fine.dispose();
  // pad_top (word 4) as large as the 2-row window: the first output row averages only padding.
  const padded = withOpParam(program, 0, 4, 2);
  let session: Session | undefined;
  t.throws(() => { session = Session.fromBytes(padded, 'padded.cprog'); }, {
    message: /padded\.cprog: .*op 0 \(AVERAGE_POOL_2D, model op 0\): a pooling window lies entirely in the padding/,
  });
  if (session) {
    // The old loader accepted it; its run then resolved with zeros instead of failing.
    t.throws(() => session!.runSync(new Int8Array(48).fill(7)), { message: /AVERAGE_POOL_2D/ }, 'nor does it run');
    session.dispose();
  }
});

t.test('CONCATENATION of 70 inputs copies every input', async (t) => {
  const count = 70, width = 3;
  const session = Session.fromBytes(compileGraph(concatenationGraph(count, width)).bytes, 'concat70.cprog');
  const inputs = Array.from({ length: count }, (_, i) => new Int8Array(width).map((_, k) => ((i * 7 + k * 3) % 251) - 125));
  const [out] = session.runSync(inputs).outputs;
  const want = new Int8Array(count * width);
  inputs.forEach((x, i) => want.set(x, i * width));
  t.same(Array.from(out as Int8Array), Array.from(want));
  session.dispose();
});

t.test('the compiler refuses more CONCATENATION inputs than an op record can count', async (t) => {
  // 65,535 fits the record's 16-bit input count; past it the old compiler wrote a wrapped count.
  t.throws(() => compileGraph(concatenationGraph(65_536, 1)), {
    message: /op 0 \(CONCATENATION\): 65536 inputs and 1 outputs exceed the Program format's 65535 per op/,
  });
});
