import { Option, type Command } from 'commander';
import type { Role } from '@rfid3/core';
import { ROLES } from '@rfid3/core';
import type { CliIo, GlobalOptions } from '../cli-io.js';
import { CliError } from '../cli-io.js';
import type { ApiKeyRecord } from '../keys.js';
import { ApiKeyStore } from '../keys.js';
import { withCoreDatabase } from './database.js';

function table(rows: ApiKeyRecord[]): string {
  const header = ['ID', 'NAME', 'ROLE', 'APPROVES UP TO', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'];
  const cells = rows.map((k) => [
    String(k.id),
    k.name,
    k.role,
    k.approveLimitUsd === null ? '-' : `$${k.approveLimitUsd}`,
    k.prefix,
    k.createdAt,
    k.lastUsedAt ?? '-',
    k.revokedAt ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function register(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('Create, list and revoke API keys');
  const out = (text: string) => io.stdout.write(`${text}\n`);

  keys
    .command('create')
    .description('Create an API key; it is printed once and cannot be shown again')
    .addOption(
      new Option(
        '--role <role>',
        'what the key may do: read; ingest (post scans, POS, feedback); operate (propose, reject, run jobs); approve (also approve and execute decisions); admin (everything)',
      )
        .choices(ROLES)
        .makeOptionMandatory(),
    )
    .requiredOption('--name <name>', 'who or what the key is for, e.g. ci or dashboard')
    .option('--approve-limit <usd>', 'largest amount in dollars this key may approve or execute (default: no ceiling of its own)')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { role: Role; name: string; approveLimit?: string; json?: boolean }>();
      let approveLimitUsd: number | null = null;
      if (opts.approveLimit !== undefined) {
        approveLimitUsd = Number(opts.approveLimit);
        if (!/^\d+(\.\d{1,2})?$/.test(opts.approveLimit) || !Number.isFinite(approveLimitUsd))
          throw new CliError(`--approve-limit: '${opts.approveLimit}' is not an amount of dollars (e.g. 2500)`);
      }
      const created = await withCoreDatabase(io, opts.config, ({ database }) => new ApiKeyStore({ database }).create(opts.name, opts.role, { approveLimitUsd }));
      if (opts.json) {
        out(JSON.stringify(created));
        io.stderr.write('Store the key now: it cannot be shown again.\n');
      } else {
        out(`Created API key ${created.id} '${created.name}' with role ${created.role}${created.approveLimitUsd === null ? '' : `, approving up to $${created.approveLimitUsd}`}:`);
        out(`  ${created.key}`);
        out('Store it now: it cannot be shown again (only its hash is kept).');
      }
    });

  keys
    .command('list')
    .description('List API keys (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { json?: boolean }>();
      const list = await withCoreDatabase(io, opts.config, ({ database }) => new ApiKeyStore({ database }).list());
      if (opts.json) out(JSON.stringify(list));
      else out(list.length ? table(list) : 'no API keys yet: create one with `rfid3 keys create --role <role> --name <name>`');
    });

  keys
    .command('revoke')
    .description('Revoke an API key by id; requests using it fail from then on')
    .argument('<id>', 'the key id shown by `rfid3 keys list`')
    .action(async (idText: string, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      if (!/^[1-9]\d*$/.test(idText)) throw new CliError(`<id>: '${idText}' is not a key id (a positive integer)`);
      const id = Number(idText);
      const revoked = await withCoreDatabase(io, opts.config, ({ database }) => new ApiKeyStore({ database }).revoke(id));
      if (!revoked) throw new CliError(`no API key with id ${id}`);
      out(`revoked API key ${revoked.id} '${revoked.name}' (${revoked.role}) at ${revoked.revokedAt}`);
    });
}
