// Serial links to boards (MCU consoles, QEMU `-serial pty`) through the `serialport` package. Works on
// pseudo-terminals too, where two things are optional: modem-control ioctls (DTR/RTS) fail with
// ENOTTY, and SerialPort.list() needs udevadm. Both report "not available" instead of failing the link.
import { ReadlineParser, SerialPort } from 'serialport';
import { CleaveError } from '../src/errors';
import type { BoardDescriptor, SerialDescriptor } from './boards/descriptor';

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

export interface SignalResult {
  applied: boolean;
  reason?: string;
}

export class SerialLink {
  private lineQueue: string[] = [];
  private lineWaiters: ((line: string) => void)[] = [];
  private parser: ReadlineParser | undefined;

  private constructor(
    /** The open port: a Duplex stream, for framing parsers to pipe from. */
    readonly port: SerialPort,
  ) {}

  static open(options: SerialLinkOptions): Promise<SerialLink> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort(
        {
          path: options.path,
          baudRate: options.baudRate,
          dataBits: options.dataBits ?? 8,
          parity: options.parity ?? 'none',
          stopBits: options.stopBits ?? 1,
          autoOpen: false,
        },
      );
      port.open((err) => {
        if (err) reject(new CleaveError('SERIAL_OPEN', `${options.path}: cannot open at ${options.baudRate} baud (${err.message})`));
        else resolve(new SerialLink(port));
      });
    });
  }

  get path(): string {
    return this.port.path;
  }

  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(data, (err) => {
        if (err) reject(new CleaveError('SERIAL_WRITE', `${this.path}: write failed (${err.message})`));
      });
      this.port.drain((err) => {
        if (err) reject(new CleaveError('SERIAL_WRITE', `${this.path}: drain failed (${err.message})`));
        else resolve();
      });
    });
  }

  /** The next text line (without `\r\n`); lines are buffered from the first call on. */
  nextLine(timeoutMs: number): Promise<string> {
    if (!this.parser) {
      this.parser = this.port.pipe(new ReadlineParser({ delimiter: '\n' }));
      this.parser.on('data', (line: string) => {
        const text = line.replace(/\r$/, '');
        const waiter = this.lineWaiters.shift();
        if (waiter) waiter(text);
        else this.lineQueue.push(text);
      });
    }
    const queued = this.lineQueue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      const timer = setTimeout(() => {
        this.lineWaiters = this.lineWaiters.filter((w) => w !== waiter);
        reject(new CleaveError('SERIAL_TIMEOUT', `${this.path}: no line within ${timeoutMs} ms`));
      }, timeoutMs);
      this.lineWaiters.push(waiter);
    });
  }

  /** Sets DTR/RTS (board reset lines on many USB adapters). On a pty the ioctl fails: not applied, with why. */
  setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<SignalResult> {
    return new Promise((resolve) => {
      this.port.set(signals, (err) => {
        resolve(err ? { applied: false, reason: `${this.path}: modem-control signals not supported here (${err.message})` } : { applied: true });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.port.isOpen) {
        resolve();
        return;
      }
      this.port.close(() => resolve());
    });
  }
}

/** The board descriptor's serial settings, with the device path overridable (ports move between hosts). */
export function serialOptionsFor(board: BoardDescriptor, pathOverride?: string): SerialLinkOptions {
  const s: SerialDescriptor | undefined = board.serial;
  if (!s) throw new CleaveError('SERIAL_UNKNOWN', `${board.id}: its descriptor has no serial settings`);
  return { path: pathOverride ?? s.device, baudRate: s.baudRate, dataBits: s.dataBits, parity: s.parity, stopBits: s.stopBits };
}

export interface PortListing {
  available: boolean;
  ports: { path: string; manufacturer?: string; serialNumber?: string; vendorId?: string; productId?: string }[];
  reason?: string;
}

/** Serial ports the OS knows; without udevadm (containers) the listing is unavailable, not an error. */
export async function listSerialPorts(): Promise<PortListing> {
  try {
    const ports = await SerialPort.list();
    return {
      available: true,
      ports: ports.map((p) => ({ path: p.path, manufacturer: p.manufacturer, serialNumber: p.serialNumber, vendorId: p.vendorId, productId: p.productId })),
    };
  } catch (err) {
    return { available: false, ports: [], reason: `cannot list serial ports (${(err as Error).message})` };
  }
}
