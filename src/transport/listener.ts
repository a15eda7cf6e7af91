// The server side of a transport: connections arrive as events. A TCP or TLS listener accepts many;
// a serial line is one connection for as long as the port is open.
import type { EventEmitter } from 'node:events';
import type { CleaveError } from '../errors';
import type { Connection } from './connection';

export interface ListenerEvents {
  connection: [Connection];
  /** A peer refused before it became a connection (a TLS handshake that failed). */
  refused: [CleaveError];
}

export interface Listener extends EventEmitter<ListenerEvents> {
  /** Where it listens, as a person reads it: "tcp://127.0.0.1:7000", "serial:/dev/ttyUSB0@115200". */
  readonly address: string;
  /** Stops accepting; resolves when the connections it gave out have closed. */
  close(): Promise<void>;
}
