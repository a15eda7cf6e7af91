// What the daemon tells systemd (sd_notify(3), through the addon): READY=1 once serving, STATUS=…,
// WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1 with MONOTONIC_USEC on SIGHUP, STOPPING=1 on
// SIGTERM. Outside a service manager (NOTIFY_SOCKET unset) every call is a no-op. A failed send is
// reported through `onError` and never stops the daemon: systemd may be restarting, the work goes on.
import { fromNative } from '../errors';
import { binding } from '../native';
import { monotonicMicros } from '../telemetry/record';

export type Send = (state: string) => boolean;

/**
 * The watchdog period systemd asks for: half of WATCHDOG_USEC (sd_watchdog_enabled(3)), or null when
 * unset, not a positive number, or meant for another process (WATCHDOG_PID).
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return usec / 2000;
}

export class Notifier {
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly onError: (err: Error) => void,
    private readonly send: Send = (state) => binding.sdNotify(state),
  ) {}

  ready(): void {
    this.notify('READY=1');
  }

  /** One line a `systemctl status` shows; newlines would end the field, so they become spaces. */
  status(text: string): void {
    this.notify(`STATUS=${text.replace(/\n/g, ' ')}`);
  }

  /** Sent before a reload starts; systemd wants the monotonic clock to tell this reload from the next. */
  reloading(): void {
    this.notify(`RELOADING=1\nMONOTONIC_USEC=${monotonicMicros()}`);
  }

  stopping(): void {
    this.stopWatchdog();
    this.notify('STOPPING=1');
  }

  /** Pings WATCHDOG=1 every half WATCHDOG_USEC while the event loop runs (a stuck loop stops the pings). */
  startWatchdog(): void {
    const every = watchdogIntervalMs();
    if (every === null || this.watchdog) return;
    this.watchdog = setInterval(() => this.notify('WATCHDOG=1'), every);
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private notify(state: string): void {
    try {
      this.send(state);
    } catch (err) {
      this.onError(fromNative(err, `telling the service manager "${state.split('\n')[0]}"`));
    }
  }
}
