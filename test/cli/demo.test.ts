// `cleave demo`: the main job runs to completion on embedded defaults, prints the front, the stage
// table and the telemetry it read back, writes its SVG, and without QEMU falls back to a host-only
// split across two processes over TCP, saying so.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave } from '../lib/cli';
import { availableDevices, HOST_ONLY_ENV, mcuUnavailableReason } from '../../src/demo/devices';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-demo-test-'));

/** PATH without any folder holding qemu-system-arm (node itself stays reachable). */
function pathWithoutQemu(): string {
  return (process.env.PATH ?? '').split(path.delimiter).filter((d) => !fs.existsSync(path.join(d, 'qemu-system-arm'))).join(path.delimiter);
}

t.test('the demo runs to completion: front, stage table, telemetry read back, SVG', async (t) => {
  const out = path.join(tmp, 'run');
  const r = cleave(['demo', '--runs', '10', '--out', out], { timeout: 300_000 });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /\* chosen for throughput\. \d+ plans on the front/, 'the front, the chosen plan marked');
  t.match(r.stdout, /^\s*\*\s+\d+\s+\S+@\S+ .*@/m, 'the marked plan is a split across two devices');
  t.match(r.stdout, /vs best single device: /, 'the single-device baseline');
  t.match(r.stdout, /vs full offload to /, 'the full-offload baseline');
  for (const stage of ['compute', 'encode', 'wire', 'decode', 'end-to-end']) t.match(r.stdout, new RegExp(`^${stage}\\s+`, 'm'), `stage row ${stage}`);
  t.match(r.stdout, /stage\s+seg\s+where\s+p50 ms\s+p90 ms\s+p99 ms\s+energy mJ\s+energy source/);
  t.match(r.stdout, /(measured|estimated) \(/, 'energy labelled measured or estimated');
  const m = /published (\d+) records and (\d+) summaries to mqtt:\/\/127\.0\.0\.1:\d+ \(fleet demo\); read back (\d+) records and (\d+) summaries/.exec(r.stdout);
  t.ok(m, 'the telemetry line');
  if (m) {
    t.equal(m[3], m[1], 'every record read back');
    t.equal(m[4], m[2], 'every summary read back');
    t.ok(Number(m[1]) >= 10 * 2, 'records for each of the 10 runs');
  }
  const svg = fs.readFileSync(path.join(out, 'front.svg'), 'utf8');
  t.match(svg, /^(<\?xml[^>]*>\s*)?<svg[\s>]/, 'starts as an SVG document');
  t.match(svg, /<\/svg>\s*$/, 'and ends as one');
  t.ok(fs.existsSync(path.join(out, 'plan', 'plan.json')), 'the plan it ran');
});

t.test('without QEMU the demo falls back to the host-only split and says so', async (t) => {
  const r = cleave(['demo', '--runs', '3', '--out', path.join(tmp, 'noqemu'), '--json'], { env: { PATH: pathWithoutQemu() }, timeout: 300_000 });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /skipped the emulated MCU: no QEMU \(qemu-system-arm is not on PATH.*host-only split across two processes over TCP/);
  const j = JSON.parse(r.stdout);
  t.same(j.devices.map((d: { name: string }) => d.name), ['head', 'tail']);
  t.match(j.skipped[0], /no QEMU/);
  t.equal(j.runs, 3);
  t.equal(j.telemetry.received.records, j.telemetry.published.records);
  t.ok(j.front.front[j.front.chosen].segments.length >= 2, 'the plan run is a split');
});

t.test('device detection: each missing piece is named, the host env flag is honoured', async (t) => {
  t.match(mcuUnavailableReason({ PATH: '' }), /no QEMU/);
  t.match(mcuUnavailableReason({ PATH: process.env.PATH, [HOST_ONLY_ENV]: '1' }), /CLEAVE_DEMO_HOST_ONLY=1/);
  const bin = fs.mkdtempSync(path.join(tmp, 'bin-'));
  fs.writeFileSync(path.join(bin, 'qemu-system-arm'), '#!/bin/sh\n', { mode: 0o755 });
  t.match(mcuUnavailableReason({ PATH: bin }), /no firmware toolchain \(arm-none-eabi-gcc/);
  fs.writeFileSync(path.join(bin, 'arm-none-eabi-gcc'), '#!/bin/sh\n', { mode: 0o755 });
  const why = mcuUnavailableReason({ PATH: bin });
  // With both tools, the MCU is used exactly when the pipeline has its remote kind.
  const withMcu = availableDevices('host-x86_64', { PATH: bin });
  if (why === null) t.same(withMcu.devices.map((d) => d.name), ['mcu', 'host']);
  else {
    t.match(why, /no "mcu:qemu:mps2-an385" remote/);
    t.same(withMcu.devices.map((d) => d.name), ['head', 'tail']);
  }
  const hostOnly = availableDevices('host-x86_64', { PATH: '' });
  t.same(hostOnly.devices.map((d) => d.placement.kind), ['local', 'served']);
  t.match(hostOnly.skipped[0], /host-only split across two processes over TCP/);
});

t.test('bad flags are refused with one line', async (t) => {
  const r = cleave(['demo', '--runs', '0']);
  t.equal(r.status, 2);
  t.match(r.stderr, /^cleave: --runs must be a positive integer, got "0"\n$/);
  // Node's recursive mkdir never returns on /proc (it refuses new entries with ENOENT): the demo used
  // to hang there. The timeout only ends a hang; the answer comes before any work starts.
  const proc = cleave(['demo', '--runs', '1', '--out', '/proc/cleave-demo-out'], { timeout: 120_000 });
  t.equal(proc.status, 1, `exits 1 (signal ${proc.signal})`);
  t.match(proc.stderr, /^cleave: \/proc\/cleave-demo-out: cannot create directory: \/proc does not take new directories\n$/);
  const m = cleave(['demo', '--model', 'no_such_model', '--runs', '1']);
  t.not(m.status, 0);
  t.match(m.stderr, /--model no_such_model: no such model .*shipped: .*person_detect/);
  const file = path.join(tmp, 'a-file');
  fs.writeFileSync(file, '');
  const o = cleave(['demo', '--runs', '1', '--out', path.join(file, 'x')]);
  t.equal(o.status, 1);
  t.match(o.stderr, /^cleave: .*a-file\/x: cannot write: a component of the path is not a directory\n$/);
});
