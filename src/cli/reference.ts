// docs/cli.md, generated from the commands' own definitions (the commander tree of main.ts), so
// the reference cannot drift from what `cleave --help` says. `npm run gen:cli-docs` writes it;
// test/cli/cli-docs.test.ts fails when the file is stale.
import type { Argument, Command, Option } from 'commander';

const HEADER = `# cleave command-line reference

Generated from the commands' own definitions by \`npm run gen:cli-docs\` (src/cli/reference.ts): do
not edit by hand. \`cleave <command> --help\` prints the same. Exit statuses and error codes:
[errors.md](errors.md).
`;

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, ' ');
}

function optionRow(o: Option): string {
  const notes: string[] = [];
  if (o.mandatory) notes.push('required');
  if (o.defaultValue !== undefined && !(Array.isArray(o.defaultValue) && o.defaultValue.length === 0) && o.defaultValue !== false) {
    notes.push(`default: \`${JSON.stringify(o.defaultValue)}\``);
  }
  if (o.argChoices) notes.push(`one of: ${o.argChoices.map((c) => `\`${c}\``).join(', ')}`);
  return `| \`${o.flags}\` | ${escapeCell(o.description)}${notes.length ? ` (${notes.join('; ')})` : ''} |`;
}

function argumentRow(a: Argument): string {
  return `| \`${a.required ? `<${a.name()}>` : `[${a.name()}]`}\` | ${escapeCell(a.description)} |`;
}

function commandSection(cmd: Command, path: string[]): string[] {
  const name = [...path, cmd.name()].join(' ');
  const lines = [`## ${name}`, '', cmd.description(), '', '```', `${name} ${cmd.usage()}`, '```', ''];
  const args = cmd.registeredArguments;
  if (args.length > 0) lines.push('| argument | meaning |', '|---|---|', ...args.map(argumentRow), '');
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length > 0) lines.push('| option | meaning |', '|---|---|', ...options.map(optionRow), '');
  for (const sub of cmd.commands) lines.push(...commandSection(sub, [...path, cmd.name()]));
  return lines;
}

/** The Markdown reference of `program` and every command under it, in registration order. */
export function cliReference(program: Command): string {
  const index = program.commands.map((c) => `- [${c.name()}](#${`${program.name()}-${c.name()}`}) — ${c.description()}`);
  const sections = program.commands.flatMap((c) => commandSection(c, [program.name()]));
  return [HEADER, '## Commands', '', ...index, '', ...sections].join('\n').replace(/\n+$/, '\n');
}
