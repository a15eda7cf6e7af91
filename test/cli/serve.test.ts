// `cleave serve` and `cleave run --remote` as a user runs them: the tail of person_detect served with a
// token from a file, the head run here, the output file byte-identical with the whole model's; a
// wrong token exits 1 with a clear message; SIGTERM finishes and exits 0.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave } from '../lib/cli';
import { personDetectCases, personDetectDir, serveChild, splitPersonDetect } from '../lib/pipeline';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-serve-cli-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

t.test('serve the tail with a token, run the head with --remote: the whole model\'s bytes', async (t) => {
  const plan = await splitPersonDetect(path.join(tmp, 'plan'));
  const [expected] = (await personDetectCases()).filter((c) => c.name === 'real_person');
  const tokenFile = path.join(tmp, 'token');
  fs.writeFileSync(tokenFile, 'correct horse battery staple\n');
  const server = await serveChild([plan, '--segment', '1', '--token-file', tokenFile, '--threads', '1']);
  t.teardown(() => server.child.kill('SIGKILL'));
  t.match(server.status, /^serving segment 1 .* sha256 [0-9a-f]{64}, token, up to 4 requests in flight$/);

  const input = path.join(personDetectDir, 'real_person', 't88.bin');
  const out = path.join(tmp, 'out.bin');
  const remote = `1=127.0.0.1:${server.port}`;
  const r = cleave(['run', plan, '--remote', remote, '--token', 'correct horse battery staple', '-i', input, '-o', out, '--repeat', '8', '--threads', '1']);
  t.equal(r.status, 0, r.stderr);
  t.same(fs.readFileSync(out), expected!.expected, 'output file byte-identical with the whole model');
  t.same(fs.readFileSync(out), fs.readFileSync(path.join(personDetectDir, 'real_person', 't87.bin')), 'and with the TFLM golden');
  t.match(r.stdout, /^output 0: -113, 113$/m);
  t.match(r.stdout, /^end-to-end\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m);
  t.match(r.stdout, /^send \+ remote \+ receive\s+[\d.]+/m);
  t.match(r.stdout, /8 run\(s\), window 4, codec lossless: [\d.]+ inferences\/s; \d+ B sent, \d+ B received per inference/);

  const j = cleave(['run', plan, '--remote', remote, '--token-file', tokenFile, '-i', input, '--codec', 'raw', '--window', '2', '--json']);
  t.equal(j.status, 0, j.stderr);
  const json = JSON.parse(j.stdout);
  t.same(json.outputs, [[-113, 113]]);
  t.equal(json.results[0].stages[1].where, `tcp:127.0.0.1:${server.port}`);
  t.equal(json.results[0].bytesSent, 20 + 4 + 4 + 44 + 9216 + 4);

  const bad = cleave(['run', plan, '--remote', remote, '--token', 'wrong', '-i', input]);
  t.equal(bad.status, 1, 'WIRE_AUTH: bad input, 1');
  t.match(bad.stderr, new RegExp(`^cleave: tcp:127\\.0\\.0\\.1:${server.port} refused: .*token refused`));
  const none = cleave(['run', plan, '--remote', '7=127.0.0.1:1', '-i', input]);
  t.equal(none.status, 2, 'a usage error');
  t.match(none.stderr, /remote for segment 7: .* has segments 0\.\.1/);

  server.child.kill('SIGTERM');
  t.equal(await server.exited, 0, 'SIGTERM: a clean exit');
  t.match(server.stdout(), /stopped after serving 9 request\(s\)/);
  t.match(server.stderr(), /refused tcp:127\.0\.0\.1:\d+: wrong token/);
});

t.test('serve refuses bad arguments with clear errors', async (t) => {
  const plan = path.join(tmp, 'plan', 'plan.json');
  let r = cleave(['serve', plan, '--segment', '5', '--listen', '127.0.0.1:0']);
  t.equal(r.status, 2);
  t.match(r.stderr, /no segment 5 \(the plan has segments 0\.\.1\)/);
  r = cleave(['serve', plan, '--segment', '1']);
  t.equal(r.status, 2);
  t.match(r.stderr, /give one of --listen HOST:PORT, --serial PATH\[@BAUD\] or --mqtt URL/);
  r = cleave(['serve', plan, '--segment', '1', '--listen', 'localhost']);
  t.match(r.stderr, /--listen must be HOST:PORT/);
  r = cleave(['serve', plan, '--segment', '1', '--listen', '127.0.0.1:0', '--tls-cert', path.join(tmp, 'nope.pem'), '--tls-key', path.join(tmp, 'nope.key')]);
  t.match(r.stderr, /--tls-cert .*nope\.pem: cannot read: no such file/);
});
