// The lab config (docs/lab.md): which devices the emulated lab brings up, which plan segment each
// serves and how the Pi's link is shaped. JSON or YAML, checked against a schema whose errors name the
// field; paths are relative to the config file. Without a file, the default lab: one emulated
// Cortex-M board and a host tail for a split person_detect plan, plus the arm64 Pi.
import Ajv from 'ajv';
import * as path from 'node:path';
import { readConfigFile } from '../config-file';
import { CleaveError } from '../errors';
import { packageRoot } from '../paths';
import { describeSchemaErrors } from '../schema-errors';

export type LabDeviceKind = 'mcu' | 'pi' | 'host';

export interface LabDeviceConfig {
  /** A name for status lines and HIL reports: [A-Za-z0-9_.-]+. */
  name: string;
  kind: LabDeviceKind;
  /** The plan segment it serves (mcu: the segment it is meant for; the firmware loads Programs on request). */
  segment?: number;
  /** mcu: the emulated board's descriptor id (boards/). */
  board?: string;
  /** pi: the qemu-aarch64 CPU model (cortex-a72: a Pi 4, cortex-a76: a Pi 5). */
  cpu?: string;
  /** pi: the bandwidth of its shaped link, Mbit/s. */
  mbit?: number;
  /** pi and host: the TCP port it serves on (default: a free port; the Pi: 7000 in its namespace). */
  port?: number;
}

export interface LabConfig {
  /** The config file, or "default" for messages. */
  file: string;
  /** The whole model: the reference of the HIL spec. */
  model: string;
  /** A split plan; absent: the lab splits `model` at `cut` into its state folder. */
  plan?: string;
  cut: number;
  devices: LabDeviceConfig[];
}

/** The cut of the default split of person_detect: the middle of the network (test/lib/pipeline.ts MIDDLE_CUT). */
const DEFAULT_CUT = 10;
export const DEFAULT_MODEL = path.join(packageRoot, 'models', 'tflm_person_detect', 'model.tflite');

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['devices'],
  properties: {
    model: { type: 'string', minLength: 1 },
    plan: { type: 'string', minLength: 1 },
    cut: { type: 'integer', minimum: 1 },
    devices: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'kind'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
          kind: { enum: ['mcu', 'pi', 'host'] },
          segment: { type: 'integer', minimum: 0 },
          board: { type: 'string', minLength: 1 },
          cpu: { type: 'string', pattern: '^[a-z0-9-]+$' },
          mbit: { type: 'number', exclusiveMinimum: 0 },
          port: { type: 'integer', minimum: 0, maximum: 65535 },
        },
        allOf: [
          { if: { properties: { kind: { const: 'mcu' } } }, then: { required: ['board'], properties: { mbit: false, cpu: false } } },
          { if: { properties: { kind: { enum: ['pi', 'host'] } } }, then: { required: ['segment'], properties: { board: false } } },
          { if: { properties: { kind: { const: 'host' } } }, then: { properties: { mbit: false, cpu: false } } },
        ],
      },
    },
  },
};

const validate = new Ajv({ allErrors: true }).compile(SCHEMA);

export function defaultLabConfig(withPi: boolean): LabConfig {
  const devices: LabDeviceConfig[] = [
    { name: 'mcu0', kind: 'mcu', board: 'mps2-an385', segment: 0 },
    { name: 'host', kind: 'host', segment: 1 },
  ];
  if (withPi) devices.push({ name: 'pi', kind: 'pi', segment: 1, cpu: 'cortex-a72', mbit: 100 });
  return { file: 'default lab', model: DEFAULT_MODEL, cut: DEFAULT_CUT, devices };
}

export function readLabConfig(file: string): LabConfig {
  const value = readConfigFile(file, {
    what: 'lab config',
    code: 'LAB_CONFIG_INVALID',
    validate,
    // A property forbidden for a kind (`false` schema) reads "boolean schema is false": say what it is.
    describe: (at, errors) => describeSchemaErrors(at, errors.map((e) => (e.keyword === 'false schema' ? { ...e, message: 'is not a field of this kind of device' } : e))),
  });
  const raw = value as { model?: string; plan?: string; cut?: number; devices: LabDeviceConfig[] };
  const names = new Set<string>();
  raw.devices.forEach((d, i) => {
    if (names.has(d.name)) throw new CleaveError('LAB_CONFIG_INVALID', `${file}: /devices/${i}/name: "${d.name}" is already the name of another device`);
    names.add(d.name);
  });
  const at = (p: string) => path.resolve(path.dirname(path.resolve(file)), p);
  return {
    file,
    model: raw.model !== undefined ? at(raw.model) : DEFAULT_MODEL,
    ...(raw.plan !== undefined ? { plan: at(raw.plan) } : {}),
    cut: raw.cut ?? DEFAULT_CUT,
    devices: raw.devices,
  };
}
