// `cleave deploy` to a real OpenSSH server on loopback, as root: the release is copied, switched to
// and started (this machine has no systemd, so detached, which deploy says), and the service answers
// `cleave run --remote` with the whole model's bytes. A deploy whose service cannot come up is rolled
// back step by step and the previous release serves again; an unreachable board and a board of
// another architecture are refused with the step named.
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave } from '../lib/cli';
import { personDetectCases, personDetectDir, splitPersonDetect } from '../lib/pipeline';
import { type Sshd, sshToolsMissing, startSshd } from '../lib/sshd';

const missing = sshToolsMissing() ?? (process.getuid?.() !== 0 ? 'not root (sshd needs root to run)' : null);
if (missing) {
  if (process.env.CLEAVE_REQUIRE_TOOLS === '1') t.fail(`deploy tests: ${missing} (CLEAVE_REQUIRE_TOOLS=1)`);
  else t.skip(`deploy tests: ${missing}; set CLEAVE_REQUIRE_TOOLS=1 to make this a failure`);
} else {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-deploy-'));
  const prefix = path.join(tmp, 'board');
  let sshd: Sshd;
  const started: number[] = [];

  const freePort = async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as net.AddressInfo;
    await new Promise((r) => s.close(r));
    return port;
  };
  const servicePid = () => Number(fs.readFileSync(path.join(prefix, 'cleave-host-x86_64.pid'), 'utf8'));
  const sshFlags = () => ['--host', `${sshd.user}@127.0.0.1`, '--ssh-port', String(sshd.port), '--identity', sshd.identity,
    '--ssh-option', 'StrictHostKeyChecking=no', '--ssh-option', 'UserKnownHostsFile=/dev/null', '--ssh-option', 'LogLevel=ERROR'];

  t.before(async () => {
    sshd = await startSshd(tmp);
  });
  t.teardown(async () => {
    for (const pid of started) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    await sshd?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  t.test('deploy, then the service answers with the whole model\'s bytes; a failed deploy rolls back', async (t) => {
    const plan = await splitPersonDetect(path.join(tmp, 'plan'));
    const port = await freePort();
    const first = cleave(['deploy', '--board', 'host-x86_64', ...sshFlags(), '--plan', path.dirname(plan), '--port', String(port), '--prefix', prefix, '--token', 'tok'], { timeout: 300_000 });
    t.equal(first.status, 0, first.stderr);
    started.push(servicePid());
    t.match(first.stdout, new RegExp(`^deployed ${prefix}/releases/\\d{8}T\\d{6}Z on root@127\\.0\\.0\\.1: serving at 127\\.0\\.0\\.1:${port} \\(no service manager: started detached\\)$`, 'm'));
    t.match(first.stderr, /no systemd on .*: starting cleave-host-x86_64 detached/);
    for (const step of ['check the board', 'copy the release', 'switch to the release', 'start the service', 'check that it answers']) t.match(first.stderr, `cleave deploy: ${step}…`);
    const release = fs.readlinkSync(path.join(prefix, 'current'));
    t.match(release, /^releases\/\d{8}T\d{6}Z$/);
    t.equal(fs.statSync(path.join(prefix, 'current', 'daemon.json')).mode & 0o777, 0o600, 'the config (it holds the token) is readable by its owner only');
    t.ok(fs.existsSync(path.join(prefix, 'current', 'build', 'Release', 'cleave.node')), 'the addon travelled');

    const [expected] = (await personDetectCases()).filter((c) => c.name === 'real_person');
    const out = path.join(tmp, 'out.bin');
    const run = () => cleave(['run', plan, '--remote', `1=127.0.0.1:${port}`, '--token', 'tok', '-i', path.join(personDetectDir, 'real_person', 't88.bin'), '-o', out, '--threads', '1']);
    const r = run();
    t.equal(r.status, 0, r.stderr);
    t.same(fs.readFileSync(out), expected!.expected, 'the deployed tail gives the whole model\'s bytes');

    // A second deploy whose service cannot serve: its port is held by something that is not cleave
    // (in another process: the test's own event loop is blocked while the CLI runs).
    const blocker = spawn(process.execPath, ['-e', "require('net').createServer((s) => s.destroy()).listen(0, '0.0.0.0', function () { console.log(this.address().port); })"], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => blocker.kill('SIGKILL'));
    const blockedPort = await new Promise<number>((res) => blocker.stdout!.once('data', (d: Buffer) => res(Number(d.toString().trim()))));
    await new Promise((res) => setTimeout(res, 1100)); // a new release id (ids are to the second)
    const second = cleave(['deploy', '--board', 'host-x86_64', ...sshFlags(), '--plan', plan, '--port', String(blockedPort), '--prefix', prefix, '--token', 'tok'], { timeout: 300_000 });
    t.equal(second.status, 69, 'exit 69');
    t.match(second.stderr, /^cleave: deploy to root@127\.0\.0\.1:\d+ failed at step "check that it answers": .*; rolled back: start the service, switch to the release, copy the release$/m);
    t.equal(fs.readlinkSync(path.join(prefix, 'current')), release, 'current points at the first release again');
    t.same(fs.readdirSync(path.join(prefix, 'releases')), [path.basename(release)], 'the failed release is removed');
    started.push(servicePid());
    const again = run();
    t.equal(again.status, 0, again.stderr);
    t.same(fs.readFileSync(out), expected!.expected, 'the previous release serves again');
  });

  t.test('an unreachable board and a board of another architecture are refused at the first step', async (t) => {
    const plan = path.join(tmp, 'plan', 'plan.json');
    const closed = await freePort();
    const unreachable = cleave(['deploy', '--board', 'host-x86_64', '--host', 'root@127.0.0.1', '--ssh-port', String(closed), '--identity', sshd.identity, '--ssh-option', 'StrictHostKeyChecking=no', '--plan', plan, '--prefix', prefix]);
    t.equal(unreachable.status, 69);
    t.match(unreachable.stderr, /^cleave: deploy to root@127\.0\.0\.1:\d+ failed at step "check the board": root@127\.0\.0\.1:\d+: check the board: .*Connection refused/m);
    t.notMatch(unreachable.stderr, /rolled back/);
    const arm = cleave(['deploy', '--board', 'rpi4', ...sshFlags(), '--plan', plan, '--prefix', prefix]);
    t.equal(arm.status, 69);
    t.match(arm.stderr, /failed at step "check the board": root@127\.0\.0\.1:\d+: the board's CPU is x86_64, but rpi4 is arm64: is --board right\?/);
    const mcu = cleave(['deploy', '--board', 'mps2-an385', ...sshFlags(), '--plan', plan]);
    t.equal(mcu.status, 2);
    t.match(mcu.stderr, /mps2-an385 runs firmware, not Linux: use `cleave flash --board mps2-an385`/);
  });
}
