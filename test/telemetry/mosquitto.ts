// A real Mosquitto for the broker tests, started on a free loopback port with a password file,
// persistence, and (given certificates) a TLS listener. Tests skip without the `mosquitto` binary,
// and fail instead under CLEAVE_REQUIRE_TOOLS=1 (CI installs it: Debian's `mosquitto`).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const requireTools = process.env.CLEAVE_REQUIRE_TOOLS === '1';

/** null when mosquitto and mosquitto_passwd run here, else why not. */
export function mosquittoMissing(): string | null {
  for (const tool of ['mosquitto', 'mosquitto_passwd']) {
    const r = spawnSync(tool, ['--help'], { stdio: 'ignore' });
    if (r.error) return `${tool} is not on PATH (Debian: apt-get install mosquitto)`;
  }
  return null;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it (EC P-256, valid one day). */
export function makeCertificates(dir: string): TlsFiles {
  const f = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=cleave test CA']);
  openssl(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '1', '-extfile', f('server.ext')]);
  return { caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key') };
}

export class Mosquitto {
  private process: ChildProcess | undefined;
  private log = '';

  private constructor(readonly dir: string, readonly port: number, readonly tlsPort: number | null) {}

  /** Writes the config (user `fleet`, password `secret`) and starts the broker. */
  static async start(dir: string, tls?: TlsFiles): Promise<Mosquitto> {
    const passwords = path.join(dir, 'passwords');
    const r = spawnSync('mosquitto_passwd', ['-b', '-c', passwords, 'fleet', 'secret'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mosquitto_passwd: ${r.stderr}`);
    fs.chmodSync(passwords, 0o600);
    const broker = new Mosquitto(dir, await freePort(), tls ? await freePort() : null);
    const lines = [
      // Root would drop to the `mosquitto` user, which cannot read this test's private folder.
      `user ${os.userInfo().username}`,
      'per_listener_settings false',
      // Small messages (pool requests and replies) go out at once instead of waiting for an ACK.
      'set_tcp_nodelay true',
      'allow_anonymous false',
      `password_file ${passwords}`,
      'persistence true',
      `persistence_location ${dir}/`,
      `listener ${broker.port} 127.0.0.1`,
    ];
    if (tls) lines.push(`listener ${broker.tlsPort} 127.0.0.1`, `cafile ${tls.caFile}`, `certfile ${tls.certFile}`, `keyfile ${tls.keyFile}`);
    fs.writeFileSync(path.join(dir, 'mosquitto.conf'), `${lines.join('\n')}\n`);
    await broker.resume();
    return broker;
  }

  /** The broker's process id while it runs (for memory figures). */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same ports and persistence. */
  async resume(): Promise<void> {
    const child = spawn('mosquitto', ['-c', path.join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.process = child;
    try {
      await waitForPort(this.port, 15_000);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${this.log}`);
    }
  }

  /** SIGTERM: Mosquitto saves its sessions and queued messages, then exits. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
