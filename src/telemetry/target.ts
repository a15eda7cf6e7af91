// `--telemetry` values: mqtt://HOST:PORT[/fleet] (mqtts:// for TLS), serial:PATH[@BAUD], file:PATH.
import { CleaveError } from '../errors';

export type TelemetryTarget =
  | { kind: 'mqtt'; url: string; fleet: string; username?: string; password?: string }
  | { kind: 'serial'; path: string; baud: number }
  | { kind: 'file'; path: string };

export const DEFAULT_FLEET = 'default';
export const DEFAULT_BAUD = 115200;
const BAUDS = new Set([9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1000000, 1500000, 2000000, 3000000]);

export interface MqttUrl {
  /** mqtt://HOST:PORT or mqtts://HOST:PORT, without credentials or path. */
  url: string;
  fleet: string;
  username?: string;
  password?: string;
}

/** mqtt[s]://[USER[:PASS]@]HOST:PORT[/fleet]; `bad(why)` makes the error, naming the option. */
export function parseMqttUrl(value: string, bad: (why: string) => Error): MqttUrl {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') throw bad('the scheme must be mqtt:// or mqtts://');
  if (url.hostname === '') throw bad('no host');
  if (url.port === '') throw bad('no port');
  const path = url.pathname.replace(/^\/+|\/+$/g, '');
  if (path.includes('/')) throw bad('the fleet must be one path level');
  const fleet = path === '' ? DEFAULT_FLEET : decodeURIComponent(path);
  const target: MqttUrl = { url: `${url.protocol}//${url.host}`, fleet };
  if (url.username) target.username = decodeURIComponent(url.username);
  if (url.password) target.password = decodeURIComponent(url.password);
  return target;
}

export function parseTelemetryTarget(value: string): TelemetryTarget {
  const bad = (why: string) => new CleaveError('BAD_ARGUMENT', `--telemetry "${value}": ${why} (expected mqtt://HOST:PORT[/fleet], serial:PATH[@BAUD] or file:PATH)`);
  if (value.startsWith('file:')) {
    const path = value.slice('file:'.length);
    if (path === '') throw bad('no file path');
    return { kind: 'file', path };
  }
  if (value.startsWith('serial:')) {
    const m = /^serial:([^@]+)(?:@(\d+))?$/.exec(value);
    if (!m) throw bad('no serial device path');
    const baud = m[2] === undefined ? DEFAULT_BAUD : Number(m[2]);
    if (!BAUDS.has(baud)) throw bad(`baud ${m[2]} is not one of ${[...BAUDS].join(', ')}`);
    return { kind: 'serial', path: m[1]!, baud };
  }
  if (/^mqtts?:\/\//.test(value)) return { kind: 'mqtt', ...parseMqttUrl(value, bad) };
  throw bad('unknown scheme');
}
