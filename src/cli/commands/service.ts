// `cleave service install [--user] [--config FILE] [--print] [--name N]`: the systemd unit that runs
// `cleave daemon` (src/daemon/unit.ts), printed or written where systemd looks, and checked with
// `systemd-analyze verify` where that tool exists.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CleaveError } from '../../errors';
import { loadDaemonConfig, writablePaths } from '../../daemon/config';
import { renderUnit } from '../../daemon/unit';
import { packageRoot } from '../../paths';

interface InstallOptions {
  user?: boolean;
  config?: string;
  print?: boolean;
  name: string;
  watchdogSec: string;
}

/** Where systemd reads units: /etc/systemd/system, or $XDG_CONFIG_HOME/systemd/user (~/.config/…). */
function unitFolder(user: boolean): string {
  if (!user) return '/etc/systemd/system';
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'systemd', 'user');
}

/** The config a unit runs when none is given: /etc/cleave/daemon.yaml, or ~/.config/cleave/daemon.yaml for --user. */
function defaultConfig(user: boolean): string {
  return user ? path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'cleave', 'daemon.yaml') : '/etc/cleave/daemon.yaml';
}

/**
 * `systemd-analyze verify` of a unit file: null when it passed, else what it said; undefined when
 * the tool is not here. It exits 0 on directives it ignores ("Failed to parse …, ignoring"), so any
 * output is a problem. A user unit is verified as a system one: `--user` needs a running user
 * manager, and the syntax and the ExecStart= binaries it checks are the same.
 */
export function verifyUnit(file: string): string | null | undefined {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
  if (r.error) return r.error.message;
  const said = `${r.stderr}${r.stdout}`.trim();
  return r.status === 0 && said === '' ? null : said || `exit status ${r.status}`;
}

export function register(program: Command): void {
  const service = program.command('service').description('run `cleave daemon` under systemd');
  service
    .command('install')
    .description('write a systemd unit for `cleave daemon` (Type=notify, watchdog, restart on failure, hardened) and check it with systemd-analyze')
    .option('--user', 'a user unit (~/.config/systemd/user, systemctl --user) instead of a system one')
    .option('--config <file>', 'the daemon config the unit runs (default /etc/cleave/daemon.yaml, or ~/.config/cleave/daemon.yaml with --user)')
    .option('--print', 'print the unit instead of writing it')
    .option('--name <name>', 'unit name, without .service', 'cleave')
    .option('--watchdog-sec <s>', 'WatchdogSec=: systemd restarts the daemon when it misses its pings this long', '30')
    .action(async (opts: InstallOptions) => {
      const user = opts.user === true;
      if (!/^[A-Za-z0-9_.@-]+$/.test(opts.name)) throw new CleaveError('BAD_ARGUMENT', `--name must be a unit name (letters, digits, '_', '.', '@', '-'), got "${opts.name}"`);
      const watchdogSec = Number(opts.watchdogSec);
      if (!Number.isInteger(watchdogSec) || watchdogSec < 1) throw new CleaveError('BAD_ARGUMENT', `--watchdog-sec must be a positive integer, got "${opts.watchdogSec}"`);
      // The config is checked now: a unit that fails on its first start helps nobody.
      const config = await loadDaemonConfig(opts.config ?? defaultConfig(user));
      const readWritePaths = writablePaths(config);
      const reads = [config.file, process.execPath, packageRoot, config.head?.model, config.tail?.plan].filter((p): p is string => p !== undefined);
      const unit = renderUnit({
        node: process.execPath, cleave: path.join(packageRoot, 'bin', 'cleave'), config: config.file, name: opts.name, user,
        readWritePaths, readPaths: reads, watchdogSec,
      });
      const fileName = `${opts.name}.service`;
      if (opts.print) {
        process.stdout.write(unit);
        return;
      }
      // ProtectSystem=strict cannot make a folder that does not exist writable: make them now.
      for (const dir of readWritePaths) {
        try {
          fs.mkdirSync(dir, { recursive: true });
        } catch (err) {
          throw new CleaveError('WRITE_FAILED', `cannot create ${dir} (a folder the daemon writes to): ${(err as Error).message}`);
        }
      }
      const folder = unitFolder(user);
      const file = path.join(folder, fileName);
      try {
        fs.mkdirSync(folder, { recursive: true });
        fs.writeFileSync(file, unit);
      } catch (err) {
        throw new CleaveError('WRITE_FAILED', `cannot write the unit ${file}: ${(err as Error).message}${user ? '' : ' (a system unit needs root; or use --user)'}`);
      }
      process.stdout.write(`wrote ${file}\n`);
      const verdict = verifyUnit(file);
      if (verdict === undefined) process.stdout.write('systemd-analyze is not installed here: the unit was not verified\n');
      else if (verdict === null) process.stdout.write('systemd-analyze verify: no problems\n');
      else throw new CleaveError('COMMAND_FAILED', `systemd-analyze verify ${file} found problems:\n${verdict}`);
      const ctl = user ? 'systemctl --user' : 'systemctl';
      process.stdout.write(`next: ${ctl} daemon-reload && ${ctl} enable --now ${fileName}\n`);
    });
}
