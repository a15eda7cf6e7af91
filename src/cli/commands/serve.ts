// `cleave serve PLAN.json --segment K --listen HOST:PORT | --serial PATH[@BAUD] | --mqtt URL [--group G]
//  [--token T | --token-file F] [--tls-cert F --tls-key F [--tls-ca F]]`: serves one segment until SIGTERM
// or SIGINT, then finishes the requests in flight and exits 0. With --mqtt it is one worker of the
// segment's pool behind the broker (src/transport/mqtt.ts); --tls-* then concern the broker.
import type { Command } from 'commander';
import { CleaveError } from '../../errors';
import { type AuthOptions, positiveInt, readClientTls, readServerTls, readToken } from '../../pipeline/cli-options';
import { readMqttCredentials, type MqttCredentialOptions } from '../../pipeline/mqtt-options';
import { SegmentServer } from '../../pipeline/serve';
import { parseHostPort, parseSerialAddress } from '../../transport/endpoint';
import { parseMqttAddress } from '../../transport/mqtt';

interface ServeCliOptions extends AuthOptions, MqttCredentialOptions {
  segment: string;
  listen?: string;
  serial?: string;
  mqtt?: string;
  group?: string;
  maxInFlight?: string;
  threads?: string;
  candidate: string[];
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve one segment of a split plan to `cleave run --remote` over TCP, TLS or a serial line')
    .argument('<plan>', 'plan.json written by `cleave split`')
    .requiredOption('--segment <k>', 'the segment to serve')
    .option('--listen <host:port>', 'TCP address to listen on (port 0: any free port, printed on start)')
    .option('--serial <path[@baud]>', 'serve on a serial line instead (default 115200 baud)')
    .option('--mqtt <url>', 'or join the segment\'s worker pool behind an MQTT v5 broker: mqtt://HOST:PORT[/fleet] (mqtts:// for TLS; --tls-ca is then the broker\'s CA)')
    .option('--group <name>', 'with --mqtt: the shared-subscription group of the pool', 'cleave')
    .option('--username <user>', 'with --mqtt: the broker user')
    .option('--password <password>', 'with --mqtt: its password')
    .option('--password-file <file>', 'with --mqtt: read the password from the first line of this file')
    .option('--token <token>', 'peers must present this token')
    .option('--token-file <file>', 'read the token from the first line of this file')
    .option('--tls-cert <file>', 'TLS: this server\'s certificate (PEM)')
    .option('--tls-key <file>', 'TLS: its private key (PEM)')
    .option('--tls-ca <file>', 'TLS: require client certificates signed by this CA')
    .option('--max-in-flight <n>', 'requests worked on at once; beyond, the server stops reading', '4')
    .option('--threads <n>', 'intra-op threads (default: available cores)')
    .option('--candidate <plan>', 'also serve segment K of this plan (another cut of the model, for `cleave run --replan`; repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (plan: string, opts: ServeCliOptions) => {
      const segment = Number(opts.segment);
      if (!Number.isInteger(segment) || segment < 0) throw new CleaveError('BAD_ARGUMENT', `--segment must be a segment index, got "${opts.segment}"`);
      if ([opts.listen, opts.serial, opts.mqtt].filter(Boolean).length !== 1) throw new CleaveError('BAD_ARGUMENT', 'give one of --listen HOST:PORT, --serial PATH[@BAUD] or --mqtt URL');
      const mqtt = opts.mqtt === undefined ? undefined : {
        address: { ...parseMqttAddress(opts.mqtt, '--mqtt'), ...readMqttCredentials(opts) }, group: opts.group, tls: readClientTls(opts),
      };
      const tls = mqtt ? undefined : readServerTls(opts);
      if (tls && opts.serial) throw new CleaveError('BAD_ARGUMENT', 'TLS runs over --listen, not --serial');
      const server = await SegmentServer.start({
        planPath: plan,
        segment,
        candidates: opts.candidate,
        ...(mqtt ? { mqtt } : opts.listen ? { listen: parseHostPort(opts.listen, '--listen') } : { serial: parseSerialAddress(opts.serial!, '--serial') }),
        token: readToken(opts),
        tls,
        maxInFlight: positiveInt(opts.maxInFlight, '--max-in-flight'),
        session: { threads: positiveInt(opts.threads, '--threads') },
      });
      server.on('log', (line) => process.stderr.write(`cleave serve: ${line}\n`));
      process.stdout.write(`${server.statusLine()}\n`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      process.stderr.write(`cleave serve: ${signal}: finishing the requests in flight\n`);
      const served = await server.close();
      process.stdout.write(`stopped after serving ${served} request(s)\n`);
    });
}
