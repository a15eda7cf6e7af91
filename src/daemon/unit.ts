// The systemd unit of `cleave service install` (docs/daemon.md): Type=notify (the daemon says
// READY=1 itself), a watchdog, restart on failure, reload by SIGHUP, and a hardened sandbox in which
// the file system is read-only except the state directory systemd makes and the folders the config
// writes to.
import * as path from 'node:path';

export interface UnitOptions {
  /** Absolute paths of node and bin/cleave. */
  node: string;
  cleave: string;
  /** Absolute path of the daemon config. */
  config: string;
  /** The unit's name without ".service"; also the StateDirectory= name. */
  name: string;
  /** A user unit (systemctl --user) rather than a system one. */
  user: boolean;
  /** Folders the daemon writes to besides its StateDirectory=. */
  readWritePaths: string[];
  /** Files the daemon reads (config, model, node, cleave): home folders stay readable when one is there. */
  readPaths: string[];
  watchdogSec: number;
}

const under = (roots: string[]) => (p: string) => roots.some((r) => p === r || p.startsWith(`${r}/`));
const underHome = under(['/home', '/root', '/run/user']);
const underTmp = under(['/tmp', '/var/tmp']);

/** systemd quotes a path holding spaces or quotes with "…" and backslash escapes. */
function quote(p: string): string {
  return /^[A-Za-z0-9_./@:+-]+$/.test(p) ? p : `"${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderUnit(o: UnitOptions): string {
  // ProtectHome=yes hides /home, /root and /run/user; where the daemon needs a file there, read-only.
  const used = [...o.readPaths, ...o.readWritePaths];
  const protectHome = used.some(underHome) ? 'read-only' : 'yes';
  // PrivateTmp= gives the daemon its own empty /tmp: only when it uses nothing there.
  const privateTmp = used.some(underTmp) ? ['# PrivateTmp= is off: the daemon uses files under /tmp or /var/tmp'] : ['PrivateTmp=yes'];
  const lines = [
    '# Written by `cleave service install`; see docs/daemon.md.',
    '[Unit]',
    `Description=cleave daemon (${path.basename(o.config)})`,
    ...(o.user ? [] : ['Wants=network-online.target', 'After=network-online.target']),
    '',
    '[Service]',
    'Type=notify',
    'NotifyAccess=main',
    `ExecStart=${quote(o.node)} ${quote(o.cleave)} daemon --config ${quote(o.config)}`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=2',
    `WatchdogSec=${o.watchdogSec}`,
    // The drain (in-flight inputs, then the spool's flush) has this long before SIGKILL.
    'TimeoutStopSec=30',
    `StateDirectory=${o.name}`,
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    `ProtectHome=${protectHome}`,
    ...privateTmp,
    ...(o.readWritePaths.length > 0 ? [`ReadWritePaths=${o.readWritePaths.map(quote).join(' ')}`] : []),
    '',
    '[Install]',
    `WantedBy=${o.user ? 'default.target' : 'multi-user.target'}`,
  ];
  return `${lines.join('\n')}\n`;
}
