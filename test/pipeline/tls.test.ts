// TLS links with certificates made here by openssl: a server certificate checked against the CA the
// client trusts, client certificates when the server asks for them, a token on top. A certificate from
// the wrong CA is refused at once (no retries) with an error naming the peer.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from '../../src/pipeline/runner';
import { SegmentServer } from '../../src/pipeline/serve';
import { bytesOf, personDetectCases, splitPersonDetect } from '../lib/pipeline';

const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const requireTools = process.env.CLEAVE_REQUIRE_TOOLS === '1';
if (!hasOpenssl && requireTools) t.fail('openssl is required (CLEAVE_REQUIRE_TOOLS=1)');
const skip = !hasOpenssl && 'openssl is needed to make test certificates';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-wire-tls-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string) => path.join(tmp, name);
const pem = (name: string) => fs.readFileSync(file(name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, and certificates it signs: `name`.pem / `name`.key. */
function makeCa(ca: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`);
}

function makeCert(name: string, ca: string, ext: string): void {
  fs.writeFileSync(file(`${name}.ext`), ext);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}

const ready = (async () => {
  if (skip) return null;
  makeCa('ca');
  makeCa('other-ca');
  makeCert('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  makeCert('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  makeCert('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  return { plan: await splitPersonDetect(path.join(tmp, 'plan')), cases: await personDetectCases() };
})();

async function serveTls(plan: string, withClientCa: boolean, token?: string) {
  const server = await SegmentServer.start({
    planPath: plan, segment: 1, listen: { host: '127.0.0.1', port: 0 }, token, session: { threads: 1 },
    tls: { cert: pem('server.pem'), key: pem('server.key'), ...(withClientCa ? { ca: pem('ca.pem') } : {}) },
  });
  return { server, address: `127.0.0.1:${server.port}` };
}

t.test('TLS with a token: the whole model\'s bytes', { skip }, async (t) => {
  const { plan, cases } = (await ready)!;
  const { server, address } = await serveTls(plan, false, 'tok');
  t.teardown(() => server.close());
  t.match(server.statusLine(), / on tls:\/\/127\.0\.0\.1:\d+, .*, TLS \+ token,/);
  const p = await pipeline(plan, { remotes: { 1: address }, token: 'tok', tls: { ca: pem('ca.pem') }, session: { threads: 1 } });
  const results = await Promise.all(cases.map((c) => p.run(c.input)));
  await p.close();
  t.same(results.map((r) => bytesOf(r.outputs[0]!)), cases.map((c) => c.expected));
  t.equal(results[0]!.stages[1]!.where, `tls:${address}`);
  await t.rejects(pipeline(plan, { remotes: { 1: address }, token: 'nope', tls: { ca: pem('ca.pem') } }), { code: 'WIRE_AUTH' }, 'the token still counts over TLS');
});

t.test('a server certificate from a CA the client does not trust is refused at once', { skip }, async (t) => {
  const { plan } = (await ready)!;
  const { server, address } = await serveTls(plan, false);
  t.teardown(() => server.close());
  // A retry would first wait the 20 s reconnect delay: a refusal taken at once is far inside that,
  // however loaded the machine.
  const started = performance.now();
  await t.rejects(pipeline(plan, { remotes: { 1: address }, tls: { ca: pem('other-ca.pem') }, reconnectDelayMs: 20_000 }), {
    code: 'WIRE_TLS',
    message: new RegExp(`^tls:${address}: TLS handshake refused: .*(certificate|self-signed|self signed)`),
  });
  t.ok(performance.now() - started < 20_000, 'not retried');
});

t.test('client certificates: none or a stranger\'s is refused, the CA\'s is let in', { skip }, async (t) => {
  const { plan, cases } = (await ready)!;
  const { server, address } = await serveTls(plan, true);
  t.teardown(() => server.close());
  const refused: string[] = [];
  server.on('log', (l) => refused.push(l));
  t.match(server.statusLine(), /TLS with client certificates/);
  const noCert = await pipeline(plan, { remotes: { 1: address }, tls: { ca: pem('ca.pem') }, reconnectAttempts: 2, timeoutMs: 2000 }).then(() => null, (e: Error & { code: string }) => e);
  t.equal(noCert?.code, 'WIRE_TLS', 'without a client certificate');
  t.match(noCert?.message, new RegExp(`^tls:${address}: `), noCert?.message);
  const stranger = await pipeline(plan, { remotes: { 1: address }, tls: { ca: pem('ca.pem'), cert: pem('stranger.pem'), key: pem('stranger.key') }, reconnectAttempts: 2, timeoutMs: 2000 })
    .then(() => null, (e: Error & { code: string }) => e);
  t.ok(stranger, 'with a certificate from another CA');
  t.match(stranger?.message, new RegExp(`^tls:${address}: .*refuses the client certificate`), stranger?.message);
  t.match(refused.join('\n'), /refused: tls:127\.0\.0\.1:\d+: TLS handshake refused/, 'the server logs whom it refused');
  const p = await pipeline(plan, { remotes: { 1: address }, tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') }, session: { threads: 1 } });
  const r = await p.run(cases[0]!.input);
  await p.close();
  t.same(bytesOf(r.outputs[0]!), cases[0]!.expected);
});
