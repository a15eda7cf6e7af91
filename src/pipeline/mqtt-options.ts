// Broker credentials of `cleave serve --mqtt`: --username with --password or --password-file (its
// first line), or the user and password in the URL; never two passwords.
import { readFileSync } from 'node:fs';
import { CleaveError } from '../errors';

export interface MqttCredentialOptions {
  username?: string;
  password?: string;
  passwordFile?: string;
}

/** The credentials the options give; empty when none (the URL's then stand). */
export function readMqttCredentials(opts: MqttCredentialOptions): { username?: string; password?: string } {
  if (opts.password !== undefined && opts.passwordFile !== undefined) throw new CleaveError('BAD_ARGUMENT', 'give --password or --password-file, not both');
  if ((opts.password !== undefined || opts.passwordFile !== undefined) && opts.username === undefined) throw new CleaveError('BAD_ARGUMENT', '--password and --password-file need --username');
  let password = opts.password;
  if (opts.passwordFile !== undefined) {
    try {
      password = readFileSync(opts.passwordFile, 'utf8').split(/\r?\n/)[0]!;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new CleaveError('FILE_NOT_FOUND', `--password-file ${opts.passwordFile}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    }
  }
  return { ...(opts.username !== undefined ? { username: opts.username } : {}), ...(password !== undefined ? { password } : {}) };
}
