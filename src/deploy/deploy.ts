// `cleave deploy`: installs a plan's segment on a Linux board over SSH, as a sequence of named steps
// (check the board, pack, copy, switch the release, start the service, check it answers). A step that
// fails undoes the steps before it, newest first, so the board is left as it was, and the error
// names the step. Releases live side by side under PREFIX/releases/ID; PREFIX/current points at the
// one that runs, switched atomically (rename of a symlink).
import * as net from 'node:net';
import * as path from 'node:path';
import type { BoardDescriptor } from '../../hal';
import { CleaveError } from '../errors';
import { Pipeline } from '../pipeline/runner';
import { readPlan } from '../segments/plan';
import type { TensorData } from '../session';
import { packRelease, type Release, UNAME_MACHINE } from './package';
import { describeTarget, shellQuote, sshCheck, sshRun, type SshTarget } from './ssh';

export interface DeployOptions {
  board: BoardDescriptor;
  target: SshTarget;
  planPath: string;
  /** The segment this board serves (default: the plan's last). */
  segment?: number;
  /** TCP port the board serves on (default 7000). */
  port?: number;
  token?: string;
  /** Install root on the board (default /opt/cleave). */
  prefix?: string;
  /** Service name (default cleave-<board id>). */
  name?: string;
  onStep?: (line: string) => void;
}

export interface DeployResult {
  release: string;
  prefix: string;
  address: string;
  serviceManager: 'systemd' | 'none';
  steps: string[];
}

interface Step {
  name: string;
  run(): Promise<void>;
  /** Puts back what run() changed; absent when there is nothing to undo. */
  undo?(): Promise<void>;
}

interface BoardFacts {
  machine: string;
  node: string;
  systemd: boolean;
  /** What PREFIX/current pointed at before this deploy (empty when nothing was installed). */
  previous: string;
}

function parseFacts(out: string): BoardFacts {
  const [machine = '', node = '', manager = '', previous = ''] = out.split('\n');
  return { machine: machine.trim(), node: node.trim(), systemd: manager.trim() === 'systemd', previous: previous.trim() };
}

/** The daemon config of the release: a tail serving the segment (docs/daemon.md); paths relative to it. */
function daemonConfig(prefix: string, segment: number, port: number, token: string | undefined): string {
  return `${JSON.stringify({
    role: 'tail',
    stateDir: `${prefix}/state`,
    tail: { plan: 'plan/plan.json', segment, listen: `0.0.0.0:${port}`, ...(token !== undefined ? { token } : {}) },
  }, null, 2)}\n`;
}

/** Starts the daemon without a service manager (the board has no systemd): detached, logging to PREFIX/NAME.log, its pid in PREFIX/NAME.pid. */
function startScript(prefix: string, name: string): string {
  const q = shellQuote;
  const daemon = ['exec', 'node', `${prefix}/current/bin/cleave`, 'daemon', '--config', `${prefix}/current/daemon.json`];
  return [
    '#!/bin/sh',
    '# Starts the service without a service manager (the board has no systemd).',
    'set -e',
    `cd ${q(prefix)}`,
    `if [ -f ${q(`${name}.pid`)} ]; then kill "$(cat ${q(`${name}.pid`)})" 2>/dev/null || true; rm -f ${q(`${name}.pid`)}; fi`,
    `setsid sh -c ${q(daemon.map(q).join(' '))} >${q(`${name}.log`)} 2>&1 </dev/null &`,
    `echo $! >${q(`${name}.pid`)}`,
    '',
  ].join('\n');
}

const PREVIOUS_RESTART_MS = 60_000;
const SERVICE_START_MS = 60_000;

/** Resolves once something accepts TCP connections at host:port (a service that started, or the previous release after a rollback). */
async function waitForListener(host: string, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CleaveError('DEPLOY_FAILED', `${host}:${port}: nothing listens there after ${ms / 1000} s`);
}

export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const { board, target } = options;
  if (board.runtime !== 'linux') throw new CleaveError('BAD_ARGUMENT', `${board.id} runs firmware, not Linux: use \`cleave flash --board ${board.id}\``);
  const plan = await readPlan(options.planPath);
  const segment = options.segment ?? plan.segments.length - 1;
  if (!plan.segments[segment]) throw new CleaveError('BAD_ARGUMENT', `--segment ${segment}: ${options.planPath} has segments 0..${plan.segments.length - 1}`);
  const prefix = options.prefix ?? '/opt/cleave';
  if (!path.posix.isAbsolute(prefix)) throw new CleaveError('BAD_ARGUMENT', `--prefix must be an absolute path on the board, got "${prefix}"`);
  const name = options.name ?? `cleave-${board.id}`;
  const port = options.port ?? 7000;
  const release = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z');
  const releaseDir = `${prefix}/releases/${release}`;
  const q = shellQuote;
  const who = describeTarget(target);
  const address = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${port}`;
  let facts: BoardFacts = { machine: '', node: '', systemd: false, previous: '' };
  const packRequest = {
    plan, planPath: options.planPath, arch: board.cpu.arch,
    files: [
      { name: 'start.sh', content: startScript(prefix, name), mode: 0o755 },
      { name: 'service.json', content: `${JSON.stringify({ name, segment, port })}\n`, mode: 0o644 },
      // It holds the token: readable by its owner only.
      { name: 'daemon.json', content: daemonConfig(prefix, segment, port, options.token), mode: 0o600 },
    ],
  };
  let pack: Release | null = null;
  /** (Re)writes the unit for the release PREFIX/current points at, then enables and restarts it. */
  const systemdStart = () => [
    `node ${q(`${prefix}/current/bin/cleave`)} service install --config ${q(`${prefix}/current/daemon.json`)} --name ${q(name)}`,
    'systemctl daemon-reload', `systemctl enable ${q(name)}`, `systemctl restart ${q(name)}`,
  ].join(' && ');
  /** Set once this deploy has touched the service: undoing the switch then restarts the previous one. */
  let startedService = false;

  const steps: Step[] = [
    {
      name: 'check the board',
      run: async () => {
        facts = parseFacts(await sshCheck(target, [
          'uname -m',
          'node --version 2>/dev/null || echo none',
          'if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then echo systemd; else echo none; fi',
          `readlink ${q(`${prefix}/current`)} 2>/dev/null || true`,
        ].join('; '), 'check the board'));
        const machines = UNAME_MACHINE[board.cpu.arch] ?? [];
        if (!machines.includes(facts.machine)) {
          throw new CleaveError('DEPLOY_FAILED', `${who}: the board's CPU is ${facts.machine}, but ${board.id} is ${board.cpu.arch}: is --board right?`);
        }
        const major = /^v(\d+)\./.exec(facts.node)?.[1];
        if (!major || Number(major) < 20) throw new CleaveError('DEPLOY_FAILED', `${who}: cleave needs Node 20 or newer on the board, found ${facts.node === 'none' ? 'no node on PATH' : facts.node}`);
      },
    },
    {
      name: 'copy the release',
      run: async () => {
        pack = packRelease(packRequest);
        await sshCheck(target, `mkdir -p ${q(releaseDir)} && tar xzf - -C ${q(releaseDir)}`, `copy to ${releaseDir}`, pack.stream());
      },
      undo: async () => {
        await sshCheck(target, `rm -rf ${q(releaseDir)}`, `remove ${releaseDir}`);
      },
    },
    {
      name: 'switch to the release',
      run: async () => {
        await sshCheck(target, `ln -sfn ${q(`releases/${release}`)} ${q(`${prefix}/.current.new`)} && mv -Tf ${q(`${prefix}/.current.new`)} ${q(`${prefix}/current`)}`, 'switch PREFIX/current');
      },
      undo: async () => {
        await sshCheck(target, facts.previous
          ? `ln -sfn ${q(facts.previous)} ${q(`${prefix}/.current.new`)} && mv -Tf ${q(`${prefix}/.current.new`)} ${q(`${prefix}/current`)}`
          : `rm -f ${q(`${prefix}/current`)}`, 'restore PREFIX/current');
        if (!facts.previous || !startedService) return;
        // The previous release serves again, on its own port (its service.json says which).
        await sshCheck(target, facts.systemd ? systemdStart() : `sh ${q(`${prefix}/current/start.sh`)}`, `restart the previous ${name}`);
        const previousPort = Number((JSON.parse(await sshCheck(target, `cat ${q(`${prefix}/current/service.json`)}`, 'read the previous release\'s service.json')) as { port: number }).port);
        await waitForListener(target.host, previousPort, PREVIOUS_RESTART_MS);
      },
    },
    {
      name: 'start the service',
      run: async () => {
        startedService = true;
        if (facts.systemd) {
          await sshCheck(target, systemdStart(), `start ${name} with systemd`);
        } else {
          options.onStep?.(`no systemd on ${who}: starting ${name} detached (it will not restart on failure or at boot)`);
          await sshCheck(target, `sh ${q(`${prefix}/current/start.sh`)}`, `start ${name}`);
        }
      },
      undo: async () => {
        await sshCheck(target, facts.systemd
          ? `systemctl stop ${q(name)}`
          : `kill "$(cat ${q(`${prefix}/${name}.pid`)})" 2>/dev/null; rm -f ${q(`${prefix}/${name}.pid`)}`, `stop ${name}`);
      },
    },
    {
      name: 'check that it answers',
      run: async () => {
        // A board may take a while to start Node and load the plan: wait for the port, then ask.
        await waitForListener(target.host, port, SERVICE_START_MS).catch(async (err: CleaveError) => {
          // What the service said is the first thing a person wants to see.
          const log = facts.systemd ? `journalctl -u ${q(name)} -n 5 --no-pager` : `tail -n 5 ${q(`${prefix}/${name}.log`)}`;
          const said = (await sshRun(target, log).catch(() => null))?.stdout.trim();
          throw new CleaveError(err.code, `${err.message}${said ? `; the service's last lines: ${said.split('\n').join(' | ')}` : ''}`);
        });
        const remote = await Pipeline.open(options.planPath, { remotes: { [segment]: address }, token: options.token, reconnectAttempts: 8, timeoutMs: 10_000 });
        const local = await Pipeline.open(options.planPath, {});
        try {
          const inputs: TensorData[] = plan.inputs.map((t) => new Uint8Array(plan.segments.flatMap((s) => s.inputs).find((x) => x.tensor === t)!.bytes));
          const [got, want] = await Promise.all([remote.run(inputs), local.run(inputs)]);
          const same = got.outputs.every((o, i) => Buffer.compare(Buffer.from(o.buffer, o.byteOffset, o.byteLength), Buffer.from(want.outputs[i]!.buffer, want.outputs[i]!.byteOffset, want.outputs[i]!.byteLength)) === 0);
          if (!same) throw new CleaveError('DEPLOY_FAILED', `${address}: segment ${segment} answered, but its outputs differ from this host's`);
        } finally {
          await Promise.all([remote.close(), local.close()]);
        }
      },
    },
  ];

  const done: Step[] = [];
  try {
    for (const step of steps) {
      options.onStep?.(`${step.name}…`);
      try {
        await step.run();
      } catch (err) {
        const undone: string[] = [];
        for (const d of [...done].reverse()) {
          if (!d.undo) continue;
          try {
            await d.undo();
            undone.push(d.name);
          } catch (undoErr) {
            undone.push(`${d.name} (undo FAILED: ${(undoErr as Error).message})`);
          }
        }
        const e = err instanceof CleaveError ? err : new CleaveError('DEPLOY_FAILED', (err as Error).message);
        throw new CleaveError(e.code, `deploy to ${who} failed at step "${step.name}": ${e.message}${undone.length ? `; rolled back: ${undone.join(', ')}` : ''}`);
      }
      done.push(step);
    }
  } finally {
    (pack as Release | null)?.dispose();
  }
  return { release: releaseDir, prefix, address, serviceManager: facts.systemd ? 'systemd' : 'none', steps: steps.map((s) => s.name) };
}
