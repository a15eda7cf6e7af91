// The devices the demo plans across, found at run time: the host always, the emulated Cortex-M MCU
// (QEMU's mps2-an385) when everything it needs is here, else a second host process over TCP. Each
// device says how its segment is reached, so the demo runs whatever the list holds without knowing
// which case it is in; what was left out is listed with why.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseMcuAddress } from '../mcu/link';

/** How a device's segment runs: in the demo's own process, a `cleave serve` child on loopback, or a pipeline remote. */
export type Placement = { kind: 'local' } | { kind: 'served' } | { kind: 'remote'; address: string };

export interface DemoDevice {
  /** The device's name in the plan (`--device NAME=BOARD`). */
  name: string;
  board: string;
  placement: Placement;
  /** How it is reached, in words. */
  role: string;
}

export interface DemoDevices {
  devices: DemoDevice[];
  /** `--link` specs between neighbours, in chain order. */
  links: string[];
  /** What the demo could not use here, and why. */
  skipped: string[];
}

export const MCU_BOARD = 'mps2-an385';
/** The pipeline remote that runs a segment on the emulated MCU (QEMU, firmware over its UART). */
export const MCU_REMOTE = `mcu:qemu:${MCU_BOARD}`;
/** Set to 1 to leave the MCU out even where it could run (tests, or a quicker demo). */
export const HOST_ONLY_ENV = 'CLEAVE_DEMO_HOST_ONLY';

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(path.delimiter).some((dir) => {
    if (!dir) return false;
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the emulated MCU cannot be used here, or null when it can. */
export function mcuUnavailableReason(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env[HOST_ONLY_ENV] === '1') return `${HOST_ONLY_ENV}=1 asks for the host only`;
  if (!onPath('qemu-system-arm', env)) return 'no QEMU (qemu-system-arm is not on PATH; Debian: qemu-system-arm)';
  if (!onPath('arm-none-eabi-gcc', env)) return 'no firmware toolchain (arm-none-eabi-gcc is not on PATH; Debian: gcc-arm-none-eabi)';
  if (parseMcuAddress(MCU_REMOTE, 'remote') === null) return `this build's pipeline has no "${MCU_REMOTE}" remote to run a segment on the emulated MCU`;
  return null;
}

/**
 * The demo's device chain (data flows from the first): the MCU (sensor side) then the host when the
 * MCU can run, else the host's own process then a second host process, a `cleave serve` on loopback.
 */
export function availableDevices(hostBoard: string, env: NodeJS.ProcessEnv = process.env): DemoDevices {
  const why = mcuUnavailableReason(env);
  if (why === null) {
    return {
      devices: [
        { name: 'mcu', board: MCU_BOARD, placement: { kind: 'remote', address: MCU_REMOTE }, role: `emulated Cortex-M (QEMU ${MCU_BOARD}) through the pipeline remote ${MCU_REMOTE}` },
        { name: 'host', board: hostBoard, placement: { kind: 'local' }, role: 'this process' },
      ],
      // The board's UART, as its descriptor gives it.
      links: ['mcu-host=serial:115200'],
      skipped: [],
    };
  }
  return {
    devices: [
      { name: 'head', board: hostBoard, placement: { kind: 'local' }, role: 'this process' },
      { name: 'tail', board: hostBoard, placement: { kind: 'served' }, role: 'a `cleave serve` child process on loopback TCP' },
    ],
    links: ['head-tail=tcp:1gbit:0.1ms'],
    skipped: [`the emulated MCU: ${why}; running a host-only split across two processes over TCP instead`],
  };
}
