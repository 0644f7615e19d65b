import type { DatabaseHandle } from '@rfid3/core';
import { coreMigrations, createDatabase, migrate } from '@rfid3/core';
import type { CliIo } from '../cli-io.js';
import type { HostConfig } from '../config.js';
import { loadHostConfig } from '../config.js';

export interface OpenedDatabase {
  database: DatabaseHandle;
  config: HostConfig;
  /** Core migrations this opening applied, in order (empty when the database was up to date). */
  applied: string[];
}

/** Opens the configured database with core's tables in place, runs `use`, and always closes it. */
export async function withCoreDatabase<T>(io: CliIo, configPath: string | undefined, use: (opened: OpenedDatabase) => Promise<T>): Promise<T> {
  const config = loadHostConfig({ cwd: io.cwd, env: io.env, configPath });
  const database = createDatabase(config.databaseUrl);
  try {
    const result = await migrate(database, 'core', coreMigrations);
    const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    return await use({ database, config, applied });
  } finally {
    await database.close();
  }
}
