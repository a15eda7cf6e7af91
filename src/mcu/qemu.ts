// Boots an emulated board (mps2-an385, mps2-an505) under QEMU as its descriptor's `emulation.command`
// says: paused (-S) with a QMP socket, the UART on a pty whose path QEMU prints. QEMU drops UART
// output while nobody has the pty open, so the caller opens the pty first and then resume()s (QMP
// `cont`). close() kills QEMU.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BoardDescriptor } from '../../hal/boards/descriptor';
import { findExecutable } from '../../hal/command';
import { halContext } from '../../hal/context';
import { CleaveError } from '../errors';

export interface EmulatedBoard {
  /** The pty of the board's UART0. */
  readonly serialPath: string;
  readonly pid: number;
  /** Starts the paused CPU (QMP `cont`). */
  resume(): Promise<void>;
  /** Resets the board as its reset button would (QMP `system_reset`): RAM is kept, the firmware restarts. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

class Qmp {
  private buffer = '';
  private waiters: ((reply: { return?: unknown; error?: { desc: string } }) => void)[] = [];

  constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as { return?: unknown; error?: { desc: string }; QMP?: unknown; event?: string };
        if ('return' in msg || 'error' in msg) this.waiters.shift()?.(msg);
      }
    });
  }

  execute(command: string, where: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push((reply) => (reply.error ? reject(new CleaveError('COMMAND_FAILED', `${where}: QMP ${command}: ${reply.error.desc}`)) : resolve()));
      this.socket.write(`${JSON.stringify({ execute: command })}\n`);
    });
  }
}

function connectQmp(socketPath: string, deadline: number, where: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(socketPath);
      socket.once('connect', () => resolve(socket));
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new CleaveError('COMMAND_FAILED', `${where}: QMP socket ${socketPath} did not open`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startEmulatedBoard(board: BoardDescriptor, firmwareElf: string, timeoutMs = 15_000): Promise<EmulatedBoard> {
  const emulation = board.emulation;
  if (!emulation || emulation.kind !== 'system') {
    throw new CleaveError('BOARD_UNKNOWN', `${board.id} is not an emulated board (its descriptor has no system emulation command): give --port`);
  }
  const executable = emulation.command[0]!;
  if (!findExecutable(halContext(), executable)) {
    throw new CleaveError('COMMAND_MISSING', `${executable}: not found on PATH, needed to emulate ${board.id} (Debian: qemu-system-arm)`);
  }
  if (!fs.existsSync(firmwareElf)) {
    throw new CleaveError('FILE_NOT_FOUND', `${firmwareElf}: no firmware image for ${board.id} (build it with npm run build:firmware)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cleave-${board.id}-`));
  const qmpPath = path.join(dir, 'qmp.sock');
  const args = emulation.command.slice(1).map((a) => a.replace('{qmp}', qmpPath).replace('{firmware}', firmwareElf));
  const child: ChildProcess = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const where = `${board.id} (QEMU pid ${child.pid})`;
  let exited = false;
  // QEMU must not outlive this process, however it ends (an error exit, Ctrl-C).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.on('exit', () => {
    exited = true;
    process.removeListener('exit', killOnExit);
  });
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });

  const close = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(timer);
    }
    cleanup();
  };

  try {
    const pattern = new RegExp(emulation.serialPtyPattern ?? 'char device redirected to (/dev/pts/\\d+)');
    const serialPath = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new CleaveError('COMMAND_FAILED', `${where}: printed no serial pty within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = pattern.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', (err) => reject(new CleaveError('COMMAND_FAILED', `${executable}: ${err.message}`)));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new CleaveError('COMMAND_FAILED', `${where}: exited with ${code} before the board started:\n${output}`));
      });
    });
    const socket = await connectQmp(qmpPath, Date.now() + timeoutMs, where);
    const qmp = new Qmp(socket);
    await qmp.execute('qmp_capabilities', where);
    return {
      serialPath,
      pid: child.pid!,
      resume: () => qmp.execute('cont', where),
      reset: () => qmp.execute('system_reset', where),
      close: async () => {
        socket.destroy();
        await close();
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
