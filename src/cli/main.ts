// `cleave` command line: one module per command under ./commands, each exporting `register`.
import { Command, CommanderError } from 'commander';
import { CleaveError } from '../errors';
import { registerCommands } from './commands';
import { packageVersion } from '../paths';

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('cleave')
    .description('split-model int8 inference runtime for edge boards')
    .version(packageVersion)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CleaveError) {
      process.stderr.write(`cleave: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`cleave: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
