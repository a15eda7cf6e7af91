// `cleave` command line: one module per command under ./commands, each exporting `register`.
import { Command, CommanderError } from 'commander';
import { CleaveError, EXIT_STATUS } from '../errors';
import { registerCommands } from './commands';
import { packageVersion } from '../paths';

const EXIT_STATUS_HELP = `
Exit status:
  0   success
  ${EXIT_STATUS.input}   bad input: a model, Program, plan, board descriptor, data or file
  ${EXIT_STATUS.usage}   usage: an unknown command or option, a bad flag value
  ${EXIT_STATUS.unavailable}  unavailable: a tool, device, meter or dependency is missing here
  ${EXIT_STATUS.internal}  internal error: a bug in cleave (CLEAVE_DEBUG=1 prints the stack)
Every error code, its class and what to do: docs/errors.md`;

// Commander's own outcomes that are not errors.
const COMMANDER_SUCCESS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * What the CLI prints for a failure (without the trailing newline) and the status it exits with.
 * A user's error is one line and never a stack; an internal one says how to get the stack, and
 * gives it with `debug` (CLEAVE_DEBUG=1).
 */
export function reportFailure(err: unknown, debug: boolean): { text: string; status: number } {
  if (err instanceof CleaveError && err.errorClass !== 'internal') {
    return { text: `cleave: ${err.message}`, status: EXIT_STATUS[err.errorClass] };
  }
  const error = err instanceof Error ? err : new Error(String(err));
  const headline = `cleave: internal error: ${error.message}`;
  if (!debug) return { text: `${headline} (a bug in cleave; rerun with CLEAVE_DEBUG=1 for the stack)`, status: EXIT_STATUS.internal };
  const causes: string[] = [];
  for (let cause = error.cause; cause !== undefined; cause = cause instanceof Error ? cause.cause : undefined) {
    causes.push(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
  }
  return { text: [headline, error.stack ?? '', ...causes].join('\n'), status: EXIT_STATUS.internal };
}

/** The `cleave` command tree: what main parses and what docs/cli.md is generated from. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('cleave')
    .description('split-model int8 inference runtime for edge boards')
    .version(packageVersion)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', EXIT_STATUS_HELP);
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    // Commander has printed its message already (unknown option, missing argument, ...).
    if (err instanceof CommanderError) return COMMANDER_SUCCESS.has(err.code) ? 0 : EXIT_STATUS.usage;
    const { text, status } = reportFailure(err, process.env.CLEAVE_DEBUG === '1');
    process.stderr.write(`${text}\n`);
    return status;
  }
}
