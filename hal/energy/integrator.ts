// Energy from power samples: the trapezoid rule between samples, with the first sample's power held
// back to the window's start and the last one's held forward to its end. Running, so a meter left on
// for days keeps two samples, not all of them.
export interface PowerSample {
  /** Seconds on the meter's clock. */
  t: number;
  watts: number;
}

export class RunningIntegral {
  private between = 0;
  private first: PowerSample | undefined;
  private last: PowerSample | undefined;
  private end = Infinity;

  constructor(private readonly start: number) {}

  /** Adds a sample; samples come in time order. Times are clamped into the window. */
  add(sample: PowerSample): void {
    const s = { t: Math.min(Math.max(sample.t, this.start), this.end), watts: sample.watts };
    if (this.last) this.between += ((this.last.watts + s.watts) / 2) * (s.t - this.last.t);
    else this.first = s;
    this.last = s;
  }

  /** Fixes the window's end: samples that finish after it count as taken at it. */
  closeAt(end: number): void {
    this.end = end;
  }

  /** Joules over [start, end]; at least one sample is required. */
  joulesUntil(end: number): number {
    if (!this.first || !this.last) throw new RangeError('RunningIntegral: no samples');
    if (end <= this.start) return 0;
    return this.first.watts * (this.first.t - this.start) + this.between + this.last.watts * (end - this.last.t);
  }
}

/** Joules over [start, end] given samples sorted by time. */
export function integrateSamples(samples: PowerSample[], start: number, end: number): number {
  const integral = new RunningIntegral(start);
  integral.closeAt(end);
  for (const s of samples) integral.add(s);
  return integral.joulesUntil(end);
}
