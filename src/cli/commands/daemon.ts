// `cleave daemon --config FILE [--check]`: runs a head, a tail or both as a long-lived service
// (docs/daemon.md). SIGHUP reloads the config and plan, SIGTERM/SIGINT drain and exit 0; under
// systemd (Type=notify) it reports READY=1, STATUS=, WATCHDOG=1, RELOADING=1 and STOPPING=1.
import type { Command } from 'commander';
import { loadDaemonConfig } from '../../daemon/config';
import { Daemon } from '../../daemon/daemon';

export function register(program: Command): void {
  program
    .command('daemon')
    .description('run a head (a model or plan on inputs from a folder, serial line or MQTT topic), a tail (one segment served), or both, as a service')
    .requiredOption('--config <file>', 'daemon config, JSON or YAML (docs/daemon.md)')
    .option('--check', 'check the config against the schema and exit')
    .action(async (opts: { config: string; check?: boolean }) => {
      if (opts.check) {
        const config = await loadDaemonConfig(opts.config);
        process.stdout.write(`${config.file}: valid (role ${config.role})\n`);
        return;
      }
      const log = (line: string) => process.stderr.write(`cleave daemon: ${line}\n`);
      let daemon: Daemon | undefined;
      let reloadWhenReady = false;
      const reload = (d: Daemon) => {
        log('SIGHUP: reloading the config');
        void d.reload().then((took) => {
          if (took) process.stdout.write(`reloaded: ${d.statusLine()}\n`);
        });
      };
      // Installed before the start, which takes a while: SIGHUP's default action would end the
      // process, and the config may have changed after the start read it.
      process.on('SIGHUP', () => {
        if (daemon) reload(daemon);
        else reloadWhenReady = true;
      });
      daemon = await Daemon.start(opts.config, { onLog: log });
      process.stdout.write(`ready: ${daemon.statusLine()}\n`);
      if (reloadWhenReady) reload(daemon);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      log(`${signal}: no new inputs; finishing those in flight and flushing telemetry`);
      // A second signal while draining is ignored: the drain is bounded (the spool's flush time) and
      // systemd's TimeoutStopSec sends SIGKILL after that.
      process.on('SIGTERM', () => log('already stopping'));
      process.on('SIGINT', () => log('already stopping'));
      await daemon.stop();
      process.stdout.write(`stopped: ${daemon.statusLine() || 'nothing served'}\n`);
    });
}
