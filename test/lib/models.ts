// The shipped models and their golden dumps, carried in the repository (models/), as tests find them.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const modelsRoot = path.resolve(__dirname, '..', '..', 'models');

export interface ShippedModel {
  name: string;
  dir: string;
  file: string;
  hasGoldens: boolean;
}

export function shippedModels(): ShippedModel[] {
  const list: ShippedModel[] = [];
  for (const [base, hasGoldens] of [[modelsRoot, true], [path.join(modelsRoot, 'extra'), false]] as const) {
    for (const name of fs.readdirSync(base).sort()) {
      const file = path.join(base, name, 'model.tflite');
      if (fs.existsSync(file)) list.push({ name, dir: path.join(base, name), file, hasGoldens });
    }
  }
  return list;
}

export function goldenCases(model: ShippedModel): string[] {
  if (!model.hasGoldens) return [];
  return fs.readdirSync(model.dir).filter((d) => fs.existsSync(path.join(model.dir, d, 'manifest.json'))).sort();
}

export interface ManifestEntry {
  index: number;
  name: string;
  role: 'input' | 'intermediate' | 'output' | 'variable';
  shape: number[];
  dtype: string;
  bytes: number;
  file: string;
}

/** manifest.json: a JSON array (one object per line). */
export function readManifest(model: ShippedModel, caseName: string): ManifestEntry[] {
  return JSON.parse(fs.readFileSync(path.join(model.dir, caseName, 'manifest.json'), 'utf8')) as ManifestEntry[];
}
