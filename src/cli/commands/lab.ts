// `cleave lab up [--config FILE] [--state DIR] [--hil-spec FILE] | status [--json] | down`: the
// emulated lab (docs/lab.md, src/lab/). `lab keep-mcu` is the lab's own keeper of an emulated board,
// not for people to run.
import type { Command } from 'commander';
import * as path from 'node:path';
import { CleaveError } from '../../errors';
import { defaultLabConfig, readLabConfig } from '../../lab/config';
import { labHilSpec, writeLabHilSpec } from '../../lab/hil-spec';
import { arm64Build, labDown, labStatus, labUp } from '../../lab/lab';
import { keepEmulatedBoard } from '../../lab/mcu-keeper';
import { defaultStateDir } from '../../lab/state';
import { readPlan } from '../../segments/plan';
import { formatTable } from '../table';

interface StateOption {
  state?: string;
}

const stateDir = (opts: StateOption) => path.resolve(opts.state ?? defaultStateDir());
const stateOption = ['--state <dir>', 'the lab\'s state folder (default: $XDG_RUNTIME_DIR/cleave-lab, else /tmp/cleave-lab-$UID)'] as const;

export function register(program: Command): void {
  const lab = program.command('lab').description('an emulated lab on this machine: QEMU Cortex-M boards, an arm64 Pi in a network namespace, the host as server');

  lab
    .command('up')
    .description('start the lab\'s devices (detached) and wait until each answers')
    .option('--config <file>', 'lab config, JSON or YAML (default: one MCU and a host tail for a split person_detect, plus the Pi when the arm64 build is there)')
    .option(...stateOption)
    .option('--hil-spec <file>', 'also write a `cleave hil` spec that checks the plan on the lab\'s devices')
    .action(async (opts: StateOption & { config?: string; hilSpec?: string }) => {
      const log = (line: string) => process.stderr.write(`lab: ${line}\n`);
      let config;
      if (opts.config) config = readLabConfig(opts.config);
      else {
        const arm64 = arm64Build();
        if (typeof arm64 === 'string') log(`no Pi in the default lab: ${arm64}`);
        config = defaultLabConfig(typeof arm64 !== 'string');
      }
      const dir = stateDir(opts);
      const state = await labUp(config, { stateDir: dir, requireTools: process.env.CLEAVE_REQUIRE_TOOLS === '1', log });
      if (state.devices.length === 0) log('no device could start here');
      if (opts.hilSpec) {
        const { spec, onHost } = labHilSpec(state, (await readPlan(state.plan)).segments.length);
        writeLabHilSpec(opts.hilSpec, spec);
        log(`HIL spec written to ${opts.hilSpec}${onHost.length ? ` (segment${onHost.length > 1 ? 's' : ''} ${onHost.join(', ')} run on the checking host: no lab device serves ${onHost.length > 1 ? 'them' : 'it'} over the wire protocol)` : ''}`);
      }
      printStatus(dir);
    });

  lab
    .command('status')
    .description('list the lab\'s devices: serial ptys, addresses, ports, namespaces, and whether each is alive')
    .option(...stateOption)
    .option('--json', 'print JSON')
    .action((opts: StateOption & { json?: boolean }) => {
      const dir = stateDir(opts);
      if (opts.json) {
        const status = labStatus(dir);
        process.stdout.write(`${JSON.stringify(status ? { up: true, stateDir: dir, ...status.state, devices: status.devices } : { up: false, stateDir: dir, devices: [] }, null, 2)}\n`);
        return;
      }
      printStatus(dir);
    });

  lab
    .command('down')
    .description('stop every device of the lab and remove its namespaces (nothing to do when it is down)')
    .option(...stateOption)
    .action(async (opts: StateOption) => {
      const dir = stateDir(opts);
      const stopped = await labDown(dir);
      process.stdout.write(stopped.length ? `stopped ${stopped.join(', ')}\n` : `no lab running (state ${dir})\n`);
    });

  lab
    .command('keep-mcu', { hidden: true })
    .requiredOption('--board <id>')
    .requiredOption('--firmware <elf>')
    .requiredOption('--ready <file>')
    .option('--plan <plan>')
    .option('--segment <k>')
    .option('--listen <host:port>')
    .action(async (opts: { board: string; firmware: string; ready: string; plan?: string; segment?: string; listen?: string }) => {
      const serve = opts.plan && opts.segment !== undefined && opts.listen ? { plan: opts.plan, segment: Number(opts.segment), listen: opts.listen } : undefined;
      await keepEmulatedBoard({ board: opts.board, firmware: opts.firmware, readyFile: opts.ready, ...(serve ? { serve } : {}) });
    });
}

function printStatus(dir: string): void {
  const status = labStatus(dir);
  if (!status) {
    process.stdout.write(`no lab running (state ${dir})\n`);
    return;
  }
  const rows = status.devices.map((d) => [
    d.name, d.kind, d.alive ? 'alive' : 'dead', [d.process.pid, ...d.children.map((c) => c.pid)].join(','),
    d.segment ?? '-', d.serial ?? '-', d.address ?? '-', d.namespace ? `${d.namespace}${d.mbit ? ` (${d.mbit} Mbit/s)` : ''}` : '-',
  ]);
  process.stdout.write(`${formatTable(['device', 'kind', 'state', 'pids', 'segment', 'serial', 'address', 'namespace'], rows)}\n`);
  process.stdout.write(`plan ${status.state.plan}; links ${status.state.shaped ? 'shaped with tbf' : 'on loopback, not shaped'}; state ${dir}\n`);
}

