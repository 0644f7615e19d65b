import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../cli-io.js';
import { addPlugin } from '../plugin-cli/install.js';
import { scaffoldPlugin } from '../plugin-cli/scaffold.js';
import { writeOut } from './write-out.js';

export function register(program: Command, io: CliIo): void {
  const plugin = program.command('plugin').description('Write a plugin package, and add one to this host');

  plugin
    .command('new')
    .description('Scaffold a plugin package: package.json (with the @rfid3/core peer range), tsconfig, tsup build, one endpoint, one predictor and a startTestHost test')
    .argument('<name>', 'npm package name, e.g. rfid3-plugin-hello or @acme/rfid3-plugin-hello (the plugin id is the name without scope and a leading rfid3-plugin-)')
    .option('--dir <path>', 'folder to create (default: ./<name without scope>)')
    .option('--id <id>', 'plugin id (lower-case words joined by dashes)')
    .option('--core <spec>', "devDependency spec of @rfid3/core to build and test against (default: file: the host's own core)")
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { dir?: string; id?: string; core?: string; json?: boolean }) => {
      const made = scaffoldPlugin({ name, dir: opts.dir, id: opts.id, coreSpec: opts.core, cwd: io.cwd });
      if (opts.json) return writeOut(io, `${JSON.stringify(made, null, 2)}\n`);
      await writeOut(
        io,
        [
          `created ${made.packageName} (plugin '${made.pluginId}', @rfid3/core ${made.coreRange}) in ${made.dir}:`,
          ...made.files.map((f) => `  ${f}`),
          'next:',
          `  cd ${made.dir} && npm install && npm test && npm pack`,
          "  rfid3 plugin add <the .tgz>   (beside the host's rfid3.config.json)",
          '',
        ].join('\n'),
      );
    });

  plugin
    .command('add')
    .description("Install a plugin (folder or .tgz) into the host's folder so that it uses the host's @rfid3/core, and list it in the config's plugins")
    .argument('<source>', 'a plugin package folder (packed with npm pack) or an npm tarball')
    .option('--json', 'print the result as JSON')
    .action(async (source: string, opts: { json?: boolean }, cmd: Command) => {
      const { config } = cmd.optsWithGlobals<GlobalOptions>();
      const added = await addPlugin({ source, cwd: io.cwd, env: io.env, configPath: config, log: (text) => io.stderr.write(text) });
      if (opts.json) return writeOut(io, `${JSON.stringify(added, null, 2)}\n`);
      await writeOut(
        io,
        `added ${added.packageName}@${added.version} (plugin '${added.pluginId}') to ${added.baseDir}; ` +
          `${added.registered ? 'listed in' : 'already listed in'} ${added.configFile}: \`rfid3 serve\` loads it\n`,
      );
    });
}
