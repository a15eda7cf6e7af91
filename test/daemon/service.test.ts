// `cleave service install`: the unit it prints and writes (Type=notify, watchdog, restart, reload by
// SIGHUP, hardening with ReadWritePaths from the config), checked by `systemd-analyze verify` where
// that tool exists.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verifyUnit } from '../../src/cli/commands/service';
import { renderUnit } from '../../src/daemon/unit';
import { cleave, repoRoot } from '../lib/cli';
import { personDetect, requireTools } from '../lib/daemon';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-service-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const analyzeMissing = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).error ? 'systemd-analyze is not on PATH (Debian: apt-get install systemd)' : null;

/** A head config whose folders are under `root` (install creates them; --print does not). */
function writeConfig(file: string, root: string): string {
  fs.writeFileSync(file, [
    'role: head',
    'head:',
    `  model: ${personDetect}`,
    `  source: { directory: { path: ${root}/in, done: ${root}/done } }`,
    `  results: { dir: ${root}/out }`,
    'telemetry:',
    '  targets: ["mqtt://127.0.0.1:1883/lab"]',
    `  spoolDir: ${root}/spool`,
  ].join('\n'));
  return file;
}
const config = writeConfig(path.join(tmp, 'daemon.yaml'), '/srv/cleave');

t.test('--print: the unit runs this node and this cleave on the absolute config, hardened', async (t) => {
  const r = cleave(['service', 'install', '--config', path.relative(repoRoot, config), '--print']);
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  for (const line of [
    'Type=notify', 'NotifyAccess=main', 'WatchdogSec=30', 'Restart=on-failure', 'ExecReload=/bin/kill -HUP $MAINPID',
    `ExecStart=${process.execPath} ${path.join(repoRoot, 'bin', 'cleave')} daemon --config ${config}`,
    'StateDirectory=cleave', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes',
    'ReadWritePaths=/srv/cleave/spool /srv/cleave/out /srv/cleave/done /srv/cleave/in', 'WantedBy=multi-user.target',
  ]) t.ok(lines.includes(line), line);
  t.ok(lines.includes('# PrivateTmp= is off: the daemon uses files under /tmp or /var/tmp'), 'the config lives under /tmp: no private /tmp');
});

t.test('a daemon that uses nothing in /tmp or a home folder gets PrivateTmp and ProtectHome=yes; one in a home folder read-only', async (t) => {
  const base = { node: '/usr/bin/node', cleave: '/opt/cleave/bin/cleave', config: '/etc/cleave/daemon.yaml', name: 'cleave', user: false, readWritePaths: ['/srv/out'], readPaths: ['/etc/cleave/daemon.yaml'], watchdogSec: 10 };
  const system = renderUnit(base).split('\n');
  t.ok(system.includes('PrivateTmp=yes'));
  t.ok(system.includes('ProtectHome=yes'));
  t.ok(system.includes('WatchdogSec=10'));
  const user = renderUnit({ ...base, user: true, config: '/home/pi/cleave d.yaml', readPaths: ['/home/pi/cleave d.yaml'] }).split('\n');
  t.ok(user.includes('ProtectHome=read-only'));
  t.ok(user.includes('ExecStart=/usr/bin/node /opt/cleave/bin/cleave daemon --config "/home/pi/cleave d.yaml"'), 'a path with a space is quoted');
  t.ok(user.includes('WantedBy=default.target'));
  t.notOk(user.some((l) => l.startsWith('After=network-online.target')), 'a user manager has no network-online.target');
});

t.test('--user writes the unit under $XDG_CONFIG_HOME/systemd/user, verifies it and says what to run next', async (t) => {
  const home = path.join(tmp, 'config-home');
  const root = path.join(tmp, 'lab');
  const r = cleave(['service', 'install', '--user', '--config', writeConfig(path.join(tmp, 'lab.yaml'), root), '--name', 'cleave-lab'], { env: { XDG_CONFIG_HOME: home } });
  t.equal(r.status, 0, r.stderr);
  const file = path.join(home, 'systemd', 'user', 'cleave-lab.service');
  t.match(r.stdout, `wrote ${file}\n`);
  t.match(r.stdout, analyzeMissing ? /systemd-analyze is not installed here: the unit was not verified/ : /systemd-analyze verify: no problems/);
  t.match(r.stdout, /next: systemctl --user daemon-reload && systemctl --user enable --now cleave-lab\.service\n$/);
  const unit = fs.readFileSync(file, 'utf8');
  t.match(unit, /^StateDirectory=cleave-lab$/m);
  t.match(unit, /^WantedBy=default\.target$/m);
  t.same(['in', 'done', 'out', 'spool'].filter((d) => !fs.existsSync(path.join(root, d))), [], 'the folders it writes to exist (ProtectSystem=strict cannot create them)');
});

t.test('systemd-analyze finds a broken unit', { skip: requireTools ? false : analyzeMissing ?? false }, async (t) => {
  t.equal(analyzeMissing, null, analyzeMissing ?? '');
  const good = path.join(tmp, 'good.service');
  fs.writeFileSync(good, renderUnit({ node: process.execPath, cleave: path.join(repoRoot, 'bin', 'cleave'), config, name: 'good', user: false, readWritePaths: [], readPaths: [config], watchdogSec: 30 }));
  t.equal(verifyUnit(good), null);
  const bad = path.join(tmp, 'bad.service');
  fs.writeFileSync(bad, fs.readFileSync(good, 'utf8').replace('Type=notify', 'Type=notifyy').replace(process.execPath, '/nonexistent/node'));
  t.match(verifyUnit(bad), /Failed to parse service type, ignoring: notifyy/);
});

t.test('a config that breaks the schema is refused before anything is written', async (t) => {
  const bad = path.join(tmp, 'bad.yaml');
  fs.writeFileSync(bad, 'role: tail\ntail: { plan: p.json, segment: -1, listen: "0.0.0.0:7000" }\n');
  const home = path.join(tmp, 'refused-home');
  const r = cleave(['service', 'install', '--user', '--config', bad], { env: { XDG_CONFIG_HOME: home } });
  t.equal(r.status, 1);
  t.match(r.stderr, /bad\.yaml: tail\.segment: must be >= 0, got number -1/);
  t.notOk(fs.existsSync(home), 'nothing written');
  const name = cleave(['service', 'install', '--config', config, '--print', '--name', 'a/b']);
  t.equal(name.status, 2);
  t.match(name.stderr, /--name must be a unit name/);
});
