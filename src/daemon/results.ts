// Where a head's results go: one JSON document per input, written into a folder (written under a
// .tmp name and renamed, so a reader never sees half of one) and/or published to an MQTT topic (QoS 1).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { MqttClient } from 'mqtt';
import { CleaveError } from '../errors';
import { connectClient } from '../telemetry/sinks/mqtt-sink';
import type { ResultsConfig } from './config';
import type { EngineResult } from './engine';
import { splitCredentials } from './sources/mqtt';

export const RESULT_VERSION = 1;

export interface ResultDocument {
  v: typeof RESULT_VERSION;
  /** The input's id: its file name, `serial:PATH#LINE` or `mqtt:TOPIC#N`. */
  input: string;
  model: string;
  device: string;
  /** From taking the input to its result, µs. */
  latencyUs: number;
  wallMs: number;
  outputs?: { name: string; dtype: string; shape: number[]; values: number[] }[];
  error?: { code: string; message: string };
}

export function outputsOf(result: EngineResult): NonNullable<ResultDocument['outputs']> {
  return result.outputs.map(({ info, data }) => ({ name: info.name, dtype: info.dtype, shape: info.shape, values: Array.from(data as ArrayLike<number>) }));
}

/** A file name for an input's result: its id with anything but letters, digits, '.', '_' and '-' as '_'. */
export function resultFileName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

export class ResultWriter {
  private constructor(private readonly config: ResultsConfig, private readonly client: MqttClient | undefined) {}

  static async open(config: ResultsConfig): Promise<ResultWriter> {
    if (config.dir) {
      try {
        await fsp.mkdir(config.dir, { recursive: true });
      } catch (err) {
        throw new CleaveError('WRITE_FAILED', `results folder ${config.dir}: cannot create: ${(err as Error).message}`);
      }
    }
    // Not connected yet is fine: MQTT.js queues the publishes until the broker is there.
    const client = config.mqtt
      ? (await connectClient({ ...splitCredentials(config.mqtt.url), tls: config.mqtt.ca ? { caFile: config.mqtt.ca } : undefined })).client
      : undefined;
    client?.on('error', () => undefined);
    return new ResultWriter(config, client);
  }

  async write(doc: ResultDocument): Promise<void> {
    const json = JSON.stringify(doc);
    if (this.config.dir) {
      const file = path.join(this.config.dir, resultFileName(doc.input));
      try {
        await fsp.writeFile(`${file}.tmp`, `${json}\n`);
        await fsp.rename(`${file}.tmp`, file);
      } catch (err) {
        throw new CleaveError('WRITE_FAILED', `result of ${doc.input}: cannot write ${file}: ${(err as Error).message}`);
      }
    }
    if (this.client) this.client.publish(this.config.mqtt!.topic, json, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
  }
}
