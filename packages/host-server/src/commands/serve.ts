import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../cli-io.js';
import { parsePort } from '../config.js';
import { startServer } from '../server.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('Load the plugins and serve the API, /metrics, the OpenAPI document and the dashboard')
    .option('--port <port>', 'port to listen on (overrides PORT and the config file)')
    .option('--host <host>', 'address to listen on (overrides HOST and the config file)')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { port?: string; host?: string }>();
      const port = opts.port === undefined ? undefined : parsePort(opts.port, '--port');
      const handle = await startServer({ cwd: io.cwd, env: io.env, configPath: opts.config, overrides: { port, host: opts.host } });
      await handle.closed;
    });
}
