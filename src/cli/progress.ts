// The one progress bar every command uses for work that can take more than a second (repeated
// runs, codecs over many cases, int4 agreement, fuzzing, the plan search, the benchmark). Drawn on stderr, and only when stderr is
// a terminal and the output is not --json: in a pipe, a log or CI nothing is drawn, so the output
// stays what the command prints. Emphasis (bold) follows the same rule, on stdout.
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  /** Counts `n` more steps done. */
  advance(n?: number): void;
  /** Removes the bar (idempotent); call before printing results. */
  stop(): void;
  /** Writes `text` to stdout while the bar runs: the bar's line is cleared first, and redrawn below on the next step. */
  print(text: string): void;
}

const SILENT: Progress = { advance() {}, stop() {}, print: (text) => void process.stdout.write(text) };

/** Whether output may carry terminal decoration (bars, colour): a TTY, and not machine-readable. */
export function decorated(stream: NodeJS.WriteStream, json = false): boolean {
  return !json && stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
}

/** A bar of `total` steps labelled `label`; silent unless `decorated(process.stderr, json)`. */
export function startProgress(label: string, total: number, options: { json?: boolean } = {}): Progress {
  if (!decorated(process.stderr, options.json) || total <= 1) return SILENT;
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
    stream: process.stderr,
    clearOnComplete: true,
    hideCursor: true,
    etaBuffer: 50,
  }, Presets.shades_classic);
  bar.start(total, 0);
  let stopped = false;
  return {
    advance: (n = 1) => bar.increment(n),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
    print: (text) => {
      if (!stopped) process.stderr.write('\r\u001b[2K');
      process.stdout.write(text);
    },
  };
}

/**
 * A bar for work that reports `done` of `total` as it goes (the plan search): drawn only once the
 * work has run for `afterMs`, so that quick work prints nothing; silent where startProgress is.
 */
export function startDelayedProgress(label: string, options: { json?: boolean; afterMs?: number } = {}): { update(done: number, total: number): void; stop(): void } {
  const started = performance.now();
  let bar: Progress | undefined;
  let shown = 0;
  let stopped = false;
  return {
    update: (done, total) => {
      if (stopped) return;
      if (!bar) {
        if (performance.now() - started < (options.afterMs ?? 1000)) return;
        bar = startProgress(label, total, options);
      }
      bar.advance(done - shown);
      shown = done;
    },
    stop: () => {
      stopped = true;
      bar?.stop();
    },
  };
}

/** Bold on a terminal, plain otherwise (and always plain in --json). */
export function bold(text: string, json = false): string {
  return decorated(process.stdout, json) ? `\u001b[1m${text}\u001b[22m` : text;
}
