// Where a peer is, as users write it ("HOST:PORT", "[::1]:PORT", "serial:PATH[@BAUD]",
// "mqtt://HOST:PORT/fleet" for a pool of workers behind a broker), and the one door that connects to any of them.
import { CleaveError } from '../errors';
import type { Connection } from './connection';
import { connectMqtt, describeMqtt, type MqttAddress, parseMqttAddress } from './mqtt';
import { connectSerial, type SerialAddress } from './serial';
import { connectTcp, type TcpAddress, type TlsClientOptions } from './tcp';

export type Endpoint = ({ kind: 'tcp' } & TcpAddress) | ({ kind: 'serial' } & SerialAddress) | ({ kind: 'mqtt' } & MqttAddress);

export const DEFAULT_BAUD = 115200;

export function parseEndpoint(text: string, what = 'address'): Endpoint {
  if (text.startsWith('serial:')) return { kind: 'serial', ...parseSerialAddress(text.slice('serial:'.length), what) };
  if (/^mqtts?:\/\//.test(text)) return { kind: 'mqtt', ...parseMqttAddress(text, what) };
  return { kind: 'tcp', ...parseHostPort(text, what) };
}

/** "HOST:PORT" or "[IPv6]:PORT"; PORT 0 asks for any free port where that makes sense (listening). */
export function parseHostPort(text: string, what = 'address'): TcpAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new CleaveError('BAD_ARGUMENT', `${what} must be HOST:PORT (port 0..65535), got "${text}"`);
  return { host: m[1] ?? m[2]!, port };
}

/** "PATH" or "PATH@BAUD". */
export function parseSerialAddress(text: string, what = 'serial port'): SerialAddress {
  const at = text.lastIndexOf('@');
  const path = at < 0 ? text : text.slice(0, at);
  const baudRate = at < 0 ? DEFAULT_BAUD : Number(text.slice(at + 1));
  if (path === '' || !Number.isInteger(baudRate) || baudRate <= 0) {
    throw new CleaveError('BAD_ARGUMENT', `${what} must be PATH or PATH@BAUD (e.g. /dev/ttyUSB0@115200), got "${text}"`);
  }
  return { path, baudRate };
}

export function describeEndpoint(e: Endpoint, tls: boolean): string {
  if (e.kind === 'mqtt') return describeMqtt(e);
  return e.kind === 'serial' ? `serial:${e.path}` : `${tls ? 'tls' : 'tcp'}:${e.host}:${e.port}`;
}

export function connect(endpoint: Endpoint, options: { maxPayload: number; tls?: TlsClientOptions; timeoutMs?: number }): Promise<Connection> {
  if (endpoint.kind === 'serial') return connectSerial(endpoint, options);
  if (endpoint.kind === 'mqtt') return connectMqtt(endpoint, options);
  return connectTcp(endpoint, options);
}
