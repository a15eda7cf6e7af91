// The serial sink and `telemetry tail --serial` over a real pseudo-terminal (Python's pty module
// holds the master end, as a host's USB serial adapter would). Skips without python3 unless
// CLEAVE_REQUIRE_TOOLS=1.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { parseLine, SerialSink, Telemetry, type TelemetrySource } from '../../src/telemetry';
import { repoRoot } from '../lib/cli';

const requireTools = process.env.CLEAVE_REQUIRE_TOOLS === '1';
const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
const source: TelemetrySource = { device: 'board-7', board: 'rpi5', model: 'person_detect.tflite', programHash: '0a1b2c3d', planId: null };

// Prints the slave's path, then relays: master -> stdout (lines), and stdin lines -> master.
const PTY_HOST = `
import os, pty, sys, select, tty
m, s = pty.openpty()
tty.setraw(s)
print(os.ttyname(s), flush=True)
while True:
    r, _, _ = select.select([m, sys.stdin], [], [], 30)
    if not r: break
    if m in r:
        data = os.read(m, 4096)
        sys.stdout.write(data.decode()); sys.stdout.flush()
    if sys.stdin in r:
        data = os.read(0, 4096)
        if not data: break
        os.write(m, data)
`;

function ptyHost() {
  const child = spawn('python3', ['-c', PTY_HOST], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l.replace(/\r$/, ''));
    for (const w of waiters.splice(0)) w();
  });
  const waitLines = (n: number) => new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${lines.length} of ${n} lines from the pty`)), 10_000);
    const check = () => (lines.length >= n ? (clearTimeout(timer), resolve(lines)) : waiters.push(check));
    check();
  });
  return { child, lines, waitLines };
}

if (!hasPython && !requireTools) {
  t.skip('serial tests: python3 (for a pseudo-terminal) is not on PATH; set CLEAVE_REQUIRE_TOOLS=1 to make this a failure');
} else {
  t.test('the serial sink writes one parseable line per message', async (t) => {
    t.ok(hasPython, 'python3 is installed');
    const host = ptyHost();
    t.teardown(() => host.child.kill());
    const [tty] = await host.waitLines(1);
    const telemetry = new Telemetry(source, [await SerialSink.open(tty!, 115200)], { sampleRate: 1, summaryEveryMs: 0 });
    for (let i = 0; i < 3; i++) telemetry.record({ stage: 'compute', latencyUs: 100 + i, energy: { uj: 5, source: 'estimated' } });
    await telemetry.close();
    const lines = (await host.waitLines(5)).slice(1);
    const parsed = lines.map((l) => parseLine(l, tty!));
    t.same(parsed.map((p) => p?.kind), ['record', 'record', 'record', 'summary']);
    t.match(parsed[2], { device: 'board-7', seq: 2, latencyUs: 102, energyUj: 5, energySource: 'estimated' });
    t.match(parsed[3], { count: 3, p50Us: 101 });
  });

  t.test('telemetry tail --serial shows telemetry lines and ignores console output', async (t) => {
    const host = ptyHost();
    t.teardown(() => host.child.kill());
    const [tty] = await host.waitLines(1);
    const tail = spawn(process.execPath, [path.join(repoRoot, 'bin', 'cleave'), 'telemetry', 'tail', '--serial', tty!, '--count', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    tail.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    tail.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve) => {
      const wait = () => (out.includes('device') ? resolve() : setTimeout(wait, 50));
      wait();
    });
    host.child.stdin!.write('boot: firmware 1.2\n');
    host.child.stdin!.write('CLV1 R board-7 0 0 compute 812.5 31.5 measured%3Arapl 2 ok 100 1700000000000\n');
    host.child.stdin!.write('CLV1 R board-7 1 0 bogus 1 - - 2 ok 100 1700000000000\n');
    host.child.stdin!.write('CLV1 R board-7 2 0 decode 40 - - 0 error 101 1700000000001\n');
    const status = await new Promise((resolve) => tail.once('exit', resolve));
    t.equal(status, 0, err);
    const rows = out.trimEnd().split('\n');
    t.equal(rows.length, 3, out);
    t.match(rows[1], /^board-7\s+0\s+compute\s+812\.5\s+31\.5\s+measured:rapl\s+2\s+ok$/);
    t.match(rows[2], /^board-7\s+0\s+decode\s+40\.0\s+-\s+-\s+0\s+error$/);
    t.match(err, /cleave: .*serial telemetry line "CLV1 R board-7 1 0 bogus .*": unknown stage "bogus"/);
    t.notMatch(out, /boot: firmware/);
  });
}
