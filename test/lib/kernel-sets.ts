// The kernel sets a test can run here: the reference kernels and every optimized set this CPU
// supports (binding.cpuFeatures(), the check the addon itself makes before choosing a set).
import { binding } from '../../src/native';
import type { SessionOptions } from '../../src/session';

export type KernelSet = NonNullable<SessionOptions['kernels']>;

export function runnableKernelSets(): KernelSet[] {
  const f = binding.cpuFeatures();
  const optimized: [KernelSet, boolean][] = [['avx2', f.avx2], ['avx512-vnni', f.avx512vnni], ['neon', f.neon], ['neon-dotprod', f.dotprod]];
  return ['reference', ...optimized.filter(([, has]) => has).map(([name]) => name)];
}
