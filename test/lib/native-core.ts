// The firmware-clean runtime core as the native tests link it: the one list in src/mcu/core-sources.ts.
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export { coreSources } from '../../src/mcu/core-sources';
