// The monitor's side of the timestamp protocol: watch a device's timestamp line and measure energy
// between its falling edges (first edge: inference starts; second: it ends). Edge interrupts come
// from onoff's epoll on a real board; tests drive the EdgeSource interface with a double, because no
// kernel here can raise GPIO interrupts (no gpio-sim).
import type { BinaryValue, Gpio as OnoffGpio } from 'onoff';
import { CleaveError } from '../../src/errors';
import type { BoardDescriptor } from '../boards/descriptor';
import { rooted, type HalContext } from '../context';
import type { EnergyMeter, EnergyReading } from '../power/types';
import { loadOnoff } from './onoff-loader';

export interface EdgeSource {
  /** Calls `onFalling` at every falling edge until `stop` is called. */
  watchFalling(onFalling: () => void, onError: (err: Error) => void): void;
  stop(): void;
}

/** Falling edges of an input pin via onoff's `watch` (epoll on the sysfs value file). */
export class OnoffEdgeSource implements EdgeSource {
  private listener: ((err: Error | null | undefined, value: BinaryValue) => void) | undefined;

  constructor(private readonly gpio: OnoffGpio) {}

  watchFalling(onFalling: () => void, onError: (err: Error) => void): void {
    this.listener = (err, value) => {
      if (err) onError(err);
      else if (value === 0) onFalling();
    };
    this.gpio.watch(this.listener);
  }

  stop(): void {
    if (this.listener) this.gpio.unwatch(this.listener);
    this.listener = undefined;
    this.gpio.unexport();
  }
}

/** The board's `timestamp-in` pin as an EdgeSource. */
export function openTimestampInput(ctx: HalContext, board: BoardDescriptor): OnoffEdgeSource {
  const pin = board.gpio.find((p) => p.role === 'timestamp-in');
  if (!pin || pin.sysfs === undefined) {
    throw new CleaveError('GPIO_UNKNOWN', `${board.id}: no timestamp-in GPIO pin with a sysfs number in its descriptor`);
  }
  const Gpio = loadOnoff(ctx);
  try {
    return new OnoffEdgeSource(new Gpio(pin.sysfs, 'in', 'falling', { activeLow: pin.activeLow ?? false }));
  } catch (err) {
    throw new CleaveError('GPIO_UNAVAILABLE', `${rooted(ctx, `/sys/class/gpio/gpio${pin.sysfs}`)}: cannot watch GPIO ${pin.sysfs} (${pin.header}) for edges (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * Energy between the next two falling edges: the meter starts at the first edge and stops at the
 * second. Rejects on a watch error or a meter failure; `timeoutMs` bounds the wait for both edges.
 */
export function measureBetweenPulses(edges: EdgeSource, meter: EnergyMeter, timeoutMs: number): Promise<EnergyReading> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let finished = false;
    const finish = (outcome: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      edges.stop();
      outcome();
    };
    const timer = setTimeout(() => {
      finish(() => reject(new CleaveError('GPIO_TIMEOUT', `saw ${seen} of 2 timestamp pulses within ${timeoutMs} ms`)));
      void meter.close();
    }, timeoutMs);
    edges.watchFalling(
      () => {
        seen += 1;
        if (seen === 1) {
          meter.start().catch((err: Error) => finish(() => reject(err)));
        } else if (seen === 2) {
          meter.stop().then(
            (reading) => finish(() => resolve(reading)),
            (err: Error) => finish(() => reject(err)),
          );
        }
      },
      (err) => finish(() => reject(new CleaveError('GPIO_FAILED', `watching timestamp pulses failed: ${err.message}`))),
    );
  });
}
