// TCP and TLS connections and listeners. TLS: the server shows a certificate; with a CA it also asks
// for client certificates and refuses peers without one it signed. A token (hello) may ride on top.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { CleaveError } from '../errors';
import { type Connection, describeError, FrameConnection, streamFraming } from './connection';
import type { Listener, ListenerEvents } from './listener';

export interface TlsClientOptions {
  /** PEM of the CA that signed the server's certificate (default: the system's CAs). */
  ca?: string | Buffer;
  /** PEM of this client's certificate and key, for servers that ask for one. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface TlsServerOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** PEM of the CA whose client certificates are accepted; absent = no client certificates asked. */
  ca?: string | Buffer;
}

export interface TcpAddress {
  host: string;
  port: number;
}

/** Opens a TCP (or, with `tls`, TLS) connection; rejects with an error naming the peer. */
export function connectTcp(address: TcpAddress, options: { maxPayload: number; tls?: TlsClientOptions; timeoutMs?: number }): Promise<Connection> {
  const peer = `${options.tls ? 'tls' : 'tcp'}:${address.host}:${address.port}`;
  return new Promise((resolve, reject) => {
    const ready = options.tls ? 'secureConnect' : 'connect';
    const socket = options.tls
      ? tls.connect({ host: address.host, port: address.port, ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key, ...(net.isIP(address.host) ? {} : { servername: address.host }) })
      : net.connect({ host: address.host, port: address.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CleaveError('WIRE_CONNECT', `${peer}: no connection within ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 5000);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(connectError(peer, err, !!options.tls));
    });
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(new FrameConnection(socket, streamFraming(options.maxPayload, peer), peer));
    });
  });
}

/** Errors a retry cannot fix (a certificate refused, a name mismatch) carry WIRE_TLS; the rest WIRE_CONNECT. */
function connectError(peer: string, err: NodeJS.ErrnoException, isTls: boolean): CleaveError {
  const transient = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED'];
  if (isTls && !transient.includes(err.code ?? '')) return new CleaveError('WIRE_TLS', `${peer}: TLS handshake refused: ${describeError(err)}`);
  return new CleaveError('WIRE_CONNECT', `${peer}: cannot connect: ${describeError(err)}`);
}

class TcpListener extends EventEmitter<ListenerEvents> implements Listener {
  constructor(
    private readonly server: net.Server,
    private readonly scheme: 'tcp' | 'tls',
    private readonly maxPayload: number,
  ) {
    super();
    server.on(scheme === 'tls' ? 'secureConnection' : 'connection', (socket: net.Socket) => {
      socket.setNoDelay(true);
      const peer = `${scheme}:${socket.remoteAddress}:${socket.remotePort}`;
      this.emit('connection', new FrameConnection(socket, streamFraming(this.maxPayload, peer), peer));
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      this.emit('refused', new CleaveError('WIRE_TLS', `tls:${socket.remoteAddress}:${socket.remotePort}: TLS handshake refused: ${describeError(err)}`));
    });
  }

  /** Where it listened, kept once listening: a closed server has no address, and a stopping daemon still names it. */
  private bound: net.AddressInfo | null = null;

  get address(): string {
    const a = this.bound!;
    return `${this.scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  get port(): number {
    return this.bound!.port;
  }

  /** Called once the server listens. */
  listening(): void {
    this.bound = this.server.address() as net.AddressInfo;
  }

  /** Stops accepting at once; resolves when the connections already open have closed too. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Listens on HOST:PORT (PORT 0 picks a free one) for TCP, or TLS with `tls`. */
export function listenTcp(address: TcpAddress, options: { maxPayload: number; tls?: TlsServerOptions }): Promise<Listener & { port: number }> {
  const server = options.tls
    ? tls.createServer({ cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, requestCert: !!options.tls.ca, rejectUnauthorized: true })
    : net.createServer();
  const listener = new TcpListener(server, options.tls ? 'tls' : 'tcp', options.maxPayload);
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new CleaveError('WIRE_LISTEN', `${address.host}:${address.port}: cannot listen: ${describeError(err)}`)));
    server.listen(address.port, address.host, () => {
      listener.listening();
      resolve(listener);
    });
  });
}
