// The MLPerf Tiny / EEMBC energy-mode timestamp: an output held high and pulled low briefly at
// inference start and again at its end. An external energy monitor integrates between the falling
// edges, so the pulse marks the window without the host's clock being involved.
import type { BinaryValue } from 'onoff';
import { CleaveError } from '../../src/errors';
import type { BoardDescriptor, GpioPin } from '../boards/descriptor';
import { rooted, type HalContext } from '../context';
import { loadOnoff } from './onoff-loader';

/** The part of onoff's Gpio an output pin uses. */
export interface OutputLine {
  writeSync(value: BinaryValue): void;
  unexport(): void;
}

export class TimestampPin {
  private pulses = 0;

  constructor(
    readonly pin: GpioPin,
    private readonly line: OutputLine,
  ) {}

  /**
   * Low then high. Two synchronous sysfs writes: each takes microseconds, which is the pulse width;
   * doing them synchronously keeps anything else from landing between them.
   */
  pulse(): void {
    this.line.writeSync(0);
    this.line.writeSync(1);
    this.pulses += 1;
  }

  /** Pulses so far (two per measured inference). */
  get pulseCount(): number {
    return this.pulses;
  }

  /** Pulses around `work`, at its start and its end, even when it fails. */
  async around<T>(work: () => Promise<T>): Promise<T> {
    this.pulse();
    try {
      return await work();
    } finally {
      this.pulse();
    }
  }

  close(): void {
    this.line.unexport();
  }
}

function timestampPinOf(board: BoardDescriptor, name?: string): GpioPin {
  const pin = name ? board.gpio.find((p) => p.name === name) : board.gpio.find((p) => p.role === 'timestamp-out');
  if (!pin) {
    throw new CleaveError('GPIO_UNKNOWN', `${board.id}: no ${name ? `GPIO pin named "${name}"` : 'timestamp-out GPIO pin'} in its descriptor`);
  }
  if (pin.sysfs === undefined) {
    throw new CleaveError('GPIO_UNKNOWN', `${board.id}: GPIO pin "${pin.name}" (${pin.header}) has no Linux sysfs number in its descriptor, so cleave cannot drive it`);
  }
  return pin;
}

/** Opens the board's timestamp output with onoff (through the context's root), idle high. */
export function openTimestampPin(ctx: HalContext, board: BoardDescriptor, name?: string): TimestampPin {
  const pin = timestampPinOf(board, name);
  const Gpio = loadOnoff(ctx);
  try {
    // 'high': configure as output already driven high, so opening it makes no falling edge.
    return new TimestampPin(pin, new Gpio(pin.sysfs!, 'high', undefined, { activeLow: pin.activeLow ?? false }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CleaveError('GPIO_UNAVAILABLE', `${rooted(ctx, `/sys/class/gpio/gpio${pin.sysfs}`)}: cannot open GPIO ${pin.sysfs} (${pin.header}) as an output (${code ?? (err as Error).message})`);
  }
}
