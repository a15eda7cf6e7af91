// Command-line options that `cleave serve` and `cleave run --remote` share: the token and the TLS
// files, read with errors that name the option and the file.
import { readFileSync } from 'node:fs';
import { CleaveError } from '../errors';

export interface AuthOptions {
  token?: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

function readOptionFile(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CleaveError('FILE_NOT_FOUND', `${option} ${file}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

/** --token T or --token-file F (its first line); never both. */
export function readToken(opts: AuthOptions): string | undefined {
  if (opts.token !== undefined && opts.tokenFile !== undefined) throw new CleaveError('BAD_ARGUMENT', 'give --token or --token-file, not both');
  if (opts.tokenFile === undefined) return opts.token;
  const token = readOptionFile(opts.tokenFile, '--token-file').toString('utf8').split(/\r?\n/)[0]!;
  if (token === '') throw new CleaveError('BAD_ARGUMENT', `--token-file ${opts.tokenFile}: the first line is empty`);
  return token;
}

/** The server's TLS files: --tls-cert and --tls-key together, --tls-ca to ask for client certificates. */
export function readServerTls(opts: AuthOptions): { cert: Buffer; key: Buffer; ca?: Buffer } | undefined {
  if (opts.tlsCert === undefined && opts.tlsKey === undefined) {
    if (opts.tlsCa !== undefined) throw new CleaveError('BAD_ARGUMENT', '--tls-ca needs --tls-cert and --tls-key');
    return undefined;
  }
  if (opts.tlsCert === undefined || opts.tlsKey === undefined) throw new CleaveError('BAD_ARGUMENT', '--tls-cert and --tls-key go together');
  return {
    cert: readOptionFile(opts.tlsCert, '--tls-cert'),
    key: readOptionFile(opts.tlsKey, '--tls-key'),
    ...(opts.tlsCa !== undefined ? { ca: readOptionFile(opts.tlsCa, '--tls-ca') } : {}),
  };
}

/** The client's TLS files: --tls-ca to trust the server (turns TLS on), --tls-cert/--tls-key to show ours. */
export function readClientTls(opts: AuthOptions): { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined {
  if (opts.tlsCa === undefined && opts.tlsCert === undefined && opts.tlsKey === undefined) return undefined;
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new CleaveError('BAD_ARGUMENT', '--tls-cert and --tls-key go together');
  return {
    ...(opts.tlsCa !== undefined ? { ca: readOptionFile(opts.tlsCa, '--tls-ca') } : {}),
    ...(opts.tlsCert !== undefined ? { cert: readOptionFile(opts.tlsCert, '--tls-cert'), key: readOptionFile(opts.tlsKey!, '--tls-key') } : {}),
  };
}

export function positiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CleaveError('BAD_ARGUMENT', `${option} must be a positive integer, got "${value}"`);
  return n;
}
