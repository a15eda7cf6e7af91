// Frames over a serial port (a UART, a USB CDC device, a pty): COBS packets with the frame CRC, so a
// line that drops or corrupts bytes loses frames (the pipeline retries them) but never delivers a bad
// one. The port is opened through hal/serial (node-serialport).
import { EventEmitter } from 'node:events';
import { SerialLink } from '../../hal/serial';
import { cobsFraming, type Connection, FrameConnection, writeFrame } from './connection';
import type { Listener, ListenerEvents } from './listener';

export interface SerialAddress {
  path: string;
  baudRate: number;
}

export async function connectSerial(address: SerialAddress, options: { maxPayload: number }): Promise<Connection> {
  const link = await SerialLink.open({ path: address.path, baudRate: address.baudRate });
  const peer = `serial:${address.path}`;
  const port = link.port;
  const close = () => {
    if (port.isOpen && !port.closing) port.close();
  };
  return new FrameConnection(port, cobsFraming(options.maxPayload, peer), peer, true, {
    end: (_stream, last) => {
      if (last) writeFrame(port, last);
      port.drain(close);
    },
    destroy: close,
  });
}

class SerialListener extends EventEmitter<ListenerEvents> implements Listener {
  constructor(
    readonly address: string,
    private readonly connection: Connection,
  ) {
    super();
    // After the caller has had the chance to subscribe.
    setImmediate(() => this.emit('connection', connection));
  }

  /** There is nothing to stop accepting: resolves when the line's one connection has been closed. */
  close(): Promise<void> {
    if (this.connection.closed) return Promise.resolve();
    return new Promise((resolve) => this.connection.once('close', resolve));
  }
}

/** The serving side of a serial line: one connection, the line itself. */
export async function listenSerial(address: SerialAddress, options: { maxPayload: number }): Promise<Listener> {
  const connection = await connectSerial(address, options);
  return new SerialListener(`serial:${address.path}@${address.baudRate}`, connection);
}
