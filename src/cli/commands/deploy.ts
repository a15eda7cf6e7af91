// `cleave deploy --board BOARD --host USER@ADDR [--plan DIR]`: installs a plan's segment on a Linux
// board over SSH and starts it as a service (docs/deploy.md). Each step is printed; a failed step
// rolls the board back and the error names the step.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { findBoard, loadBoardCatalog } from '../../../hal';
import { deploy } from '../../deploy/deploy';
import { parseSshHost } from '../../deploy/ssh';
import { CleaveError } from '../../errors';
import { type AuthOptions, positiveInt, readToken } from '../../pipeline/cli-options';

interface DeployCliOptions extends AuthOptions {
  board: string;
  host: string;
  plan: string;
  segment?: string;
  port?: string;
  sshPort?: string;
  identity?: string;
  sshOption: string[];
  prefix?: string;
  name?: string;
}

function planFile(arg: string): string {
  const file = fs.existsSync(arg) && fs.statSync(arg).isDirectory() ? path.join(arg, 'plan.json') : arg;
  if (!fs.existsSync(file)) throw new CleaveError('FILE_NOT_FOUND', `${file}: no such plan (give --plan DIR or DIR/plan.json, as written by \`cleave split\` or \`cleave plan -o\`)`);
  return file;
}

export function register(program: Command): void {
  program
    .command('deploy')
    .description('install a plan\'s segment on a Linux board over SSH and start it as a service')
    .requiredOption('--board <id>', 'the board\'s descriptor (`cleave boards`): its architecture picks the addon build')
    .requiredOption('--host <user@address>', 'where to reach the board over SSH')
    .option('--plan <dir>', 'plan directory or plan.json', 'plan')
    .option('--segment <k>', 'the segment this board serves (default: the last)')
    .option('--port <port>', 'TCP port the board serves on', '7000')
    .option('--token <token>', 'peers must present this token (stored on the board, mode 600)')
    .option('--token-file <file>', 'read the token from the first line of this file')
    .option('--ssh-port <port>', 'the board\'s SSH port (default: ssh\'s own)')
    .option('--identity <file>', 'SSH private key')
    .option('--ssh-option <key=value>', 'passed to ssh as -o (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--prefix <dir>', 'install root on the board', '/opt/cleave')
    .option('--name <name>', 'service name (default: cleave-<board>)')
    .action(async (opts: DeployCliOptions) => {
      const board = findBoard(loadBoardCatalog(), opts.board);
      const segment = opts.segment === undefined ? undefined : Number(opts.segment);
      if (segment !== undefined && (!Number.isInteger(segment) || segment < 0)) throw new CleaveError('BAD_ARGUMENT', `--segment must be a segment index, got "${opts.segment}"`);
      const result = await deploy({
        board,
        target: {
          ...parseSshHost(opts.host),
          ...(opts.sshPort !== undefined ? { port: positiveInt(opts.sshPort, '--ssh-port') } : {}),
          ...(opts.identity !== undefined ? { identity: opts.identity } : {}),
          options: opts.sshOption,
        },
        planPath: planFile(opts.plan),
        ...(segment !== undefined ? { segment } : {}),
        port: positiveInt(opts.port, '--port'),
        token: readToken(opts),
        prefix: opts.prefix,
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        onStep: (line) => process.stderr.write(`cleave deploy: ${line}\n`),
      });
      process.stdout.write(`deployed ${result.release} on ${opts.host}: serving at ${result.address} (${result.serviceManager === 'systemd' ? 'systemd service' : 'no service manager: started detached'})\n`);
    });
}
