/** What a new plugin package is made from (`rfid3 plugin new`). */
export interface PluginTemplateInput {
  /** npm package name, e.g. `rfid3-plugin-hello` or `@acme/rfid3-plugin-hello`. */
  packageName: string;
  /** Plugin id: its endpoints live under `/<id>/…` and its predictors are `<id>.*`. */
  pluginId: string;
  /** Peer range of `@rfid3/core` (the host's core satisfies it). */
  coreRange: string;
  /** devDependency spec of `@rfid3/core` to build and test against (`file:…` to the host's own, or a registry range). */
  coreSpec: string;
  /** The zod range core depends on. */
  zodRange: string;
}

/** Versions of the build and test tools a new plugin starts with (the ones this repository builds with). */
export const PLUGIN_TOOL_VERSIONS = {
  '@types/node': '^20.19.0',
  tsup: '^8.5.1',
  typescript: '~5.9.3',
  vitest: '^4.1.12',
} as const;

const camel = (id: string) => id.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The files of a new plugin package, by path relative to its folder. */
export function pluginTemplate(input: PluginTemplateInput): Record<string, string> {
  const { pluginId: id } = input;
  const constName = `${camel(id)}Plugin`;
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'package.json': json({
      name: input.packageName,
      version: '0.1.0',
      description: `RFID3 Predictive plugin: ${id}`,
      license: 'MIT',
      type: 'module',
      main: './dist/index.js',
      types: './dist/index.d.ts',
      exports: {
        '.': { types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' },
        './package.json': './package.json',
      },
      files: ['dist', 'README.md'],
      engines: { node: '>=20.19' },
      keywords: ['rfid3', 'rfid3-plugin'],
      scripts: {
        build: 'tsup',
        typecheck: 'tsc --noEmit',
        test: 'vitest run',
        prepack: 'npm run build',
      },
      peerDependencies: { '@rfid3/core': input.coreRange },
      dependencies: { zod: input.zodRange },
      devDependencies: { '@rfid3/core': input.coreSpec, ...PLUGIN_TOOL_VERSIONS },
    }),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023'],
        types: ['node'],
        strict: true,
        skipLibCheck: true,
        isolatedModules: true,
        verbatimModuleSyntax: true,
        resolveJsonModule: true,
        declaration: true,
        outDir: 'dist',
      },
      include: ['src', 'test'],
    }),
    'tsup.config.ts': `import { defineConfig } from 'tsup';

// ESM with type declarations; @rfid3/core (a peer) and zod (a dependency) stay imports, never bundled.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
`,
    '.gitignore': 'node_modules/\ndist/\n*.tgz\n',
    'src/index.ts': `import {
  addDays,
  coreServices,
  defineEndpoint,
  definePlugin,
  definePredictor,
  denseDailySeries,
  HttpProblem,
  isoDay,
  ON_RENT_STATUSES,
  seasonalNaive,
  withConformalIntervals,
  type Prediction,
} from '@rfid3/core';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };

/** The plugin's id: its endpoints live under \`/api/predictive/${id}/…\`, its predictors are \`${id}.*\`. */
export const PLUGIN_ID = '${id}';
/** The predictor below, as \`predict()\` names it. */
export const UNITS_OUT = \`\${PLUGIN_ID}.units-out\`;
const MODEL = { name: UNITS_OUT, version: \`\${UNITS_OUT}@1\`, type: 'seasonal-naive' };

/** This plugin's section of the host config (\`{ "package": "${input.packageName}", "config": { … } }\`); defaults fill in. */
const configSchema = z.object({
  historyDays: z.number().int().min(28).max(730).default(180),
});

const unitsOutQuery = z.object({
  rentalClass: z.string().min(1),
  days: z.number().int().min(1).max(28).default(7),
});

const round1 = (x: number) => Math.round(x * 10) / 10;

export const ${constName} = definePlugin({
  id: PLUGIN_ID,
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Units of a rental class on rent now, and going out per day over the next days',
  configSchema,
  requires: {
    database: coreServices.database,
    inventory: coreServices.inventory,
    predictions: coreServices.predictions,
  },
  register({ config, deps, endpoint, predictor }) {
    // A predictor: every answer is a value with an interval, the model version and its drivers. The runtime
    // validates the query, caches answers under the model version and records every prediction.
    predictor(
      definePredictor({
        id: UNITS_OUT,
        description: 'Units of a rental class going out per day: the same weekday a week earlier, with 80 % intervals calibrated on its own past errors',
        querySchema: unitsOutQuery,
        modelVersion: async () => MODEL.version,
        async predict(query, { now }) {
          const to = addDays(isoDay(now), -1);
          const from = addDays(to, -(config.historyDays - 1));
          const rows = await deps.inventory.dailyUnitsOut({ level: 'rental_class', rentalClass: query.rentalClass, from, to });
          const values = denseDailySeries(rows, from, to)[0]?.values ?? new Array<number>(config.historyDays).fill(0);
          const model = withConformalIntervals(seasonalNaive(7), { horizon: query.days, levels: [0.8], nonNegative: true });
          const forecast = model.predict(model.fit({ values }), { horizon: query.days });
          const interval = forecast.intervals[0]!;
          return forecast.mean.map(
            (value, h): Prediction => ({
              predictionType: \`\${PLUGIN_ID}.units_out\`,
              target: { type: 'rental_class', id: query.rentalClass },
              targetDate: addDays(to, h + 1),
              horizon: h + 1,
              value,
              intervals: [{ level: interval.level, lower: interval.lower[h]!, upper: interval.upper[h]! }],
              confidence: interval.level,
              model: MODEL,
              source: 'model',
              drivers: [{ name: 'same weekday a week earlier', effect: value }],
            }),
          );
        },
      }),
    );

    // An endpoint, declared as data: the host maps it to GET /api/predictive/${id}/rental-classes/:rental_class,
    // validates its input (a 400 naming the field) and documents it in OpenAPI.
    endpoint(
      defineEndpoint({
        method: 'GET',
        path: \`/\${PLUGIN_ID}/rental-classes/:rental_class\`,
        summary: 'A rental class: units owned, units on rent now, and units going out per day over the next days',
        role: 'read',
        input: {
          params: z.object({ rental_class: z.string().min(1).max(64) }),
          query: z.object({ days: z.coerce.number().int().min(1).max(28).default(7) }),
        },
        output: z.object({
          rentalClass: z.string(),
          name: z.string().nullable(),
          units: z.number(),
          onRent: z.number(),
          modelVersion: z.string(),
          forecast: z.array(z.object({ day: z.string(), units: z.number(), lower: z.number(), upper: z.number() })),
        }),
        async handler({ params, query }) {
          const found = (await deps.inventory.rentalClasses()).find((c) => c.rentalClass === params.rental_class);
          if (!found) throw HttpProblem.notFound(\`no rental class \${params.rental_class}\`);
          const onRent = await deps.database.db
            .selectFrom('id_item_master')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('rental_class_num', '=', params.rental_class)
            .where('status', 'in', [...ON_RENT_STATUSES])
            .executeTakeFirst();
          const answer = await deps.predictions.predict(UNITS_OUT, { rentalClass: params.rental_class, days: query.days });
          return {
            rentalClass: found.rentalClass,
            name: found.commonName,
            units: found.units,
            onRent: Number(onRent?.n ?? 0),
            modelVersion: answer.modelVersion,
            forecast: answer.predictions.map((p) => ({
              day: p.targetDate ?? '',
              units: round1(p.value),
              lower: round1(p.intervals?.[0]?.lower ?? p.value),
              upper: round1(p.intervals?.[0]?.upper ?? p.value),
            })),
          };
        },
      }),
    );
  },
});

export default ${constName};
`,
    'test/plugin.test.ts': `import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, { UNITS_OUT } from '../src/index.js';

interface ClassAnswer {
  rentalClass: string;
  units: number;
  onRent: number;
  modelVersion: string;
  forecast: { day: string; units: number; lower: number; upper: number }[];
}

describe('${id} plugin', () => {
  let host: TestHost;
  let busiest: string;

  beforeAll(async () => {
    // An in-memory host: SQLite in memory, a fake clock (2026-06-01), and a seeded simulated rental business.
    host = await startTestHost({ plugins: [plugin], simulate: { items: 240, days: 120 } });
    busiest = [...host.simulation!.truth.classes].sort((a, b) => b.baseDailyUnits - a.baseDailyUnits)[0]!.rentalClass;
  });
  afterAll(() => host?.close());

  it('answers for a rental class: units, what is on rent, and a forecast with intervals', async () => {
    const res = await host.call('GET', \`/${id}/rental-classes/\${busiest}?days=5\`);
    expect(res.status).toBe(200);
    const body = res.body as ClassAnswer;
    expect(body.rentalClass).toBe(busiest);
    expect(body.units).toBeGreaterThan(0);
    expect(body.onRent).toBeGreaterThanOrEqual(0);
    expect(body.onRent).toBeLessThanOrEqual(body.units);
    expect(body.forecast.map((f) => f.day)).toEqual(['2026-06-01', '2026-06-02', '2026-06-03', '2026-06-04', '2026-06-05']);
    for (const f of body.forecast) {
      expect(f.lower).toBeLessThanOrEqual(f.units);
      expect(f.upper).toBeGreaterThanOrEqual(f.units);
    }
    // The busiest class of the simulated business rents out something most weeks.
    expect(body.forecast.some((f) => f.upper > 0)).toBe(true);
  });

  it('rejects bad input with a 400 that names the field, and an unknown class with a 404', async () => {
    await expect(host.call('GET', \`/${id}/rental-classes/\${busiest}?days=0\`)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('query.days') });
    await expect(host.call('GET', '/${id}/rental-classes/no-such-class')).rejects.toMatchObject({ status: 404 });
  });

  it('the predictor can be called directly and its answer is cached under its model version', async () => {
    const first = await host.predict(UNITS_OUT, { rentalClass: busiest, days: 3 });
    expect(first.predictions).toHaveLength(3);
    expect(first.predictions[0]!.model.version).toBe(first.modelVersion);
    expect((await host.predict(UNITS_OUT, { rentalClass: busiest, days: 3 })).cached).toBe(true);
  });
});
`,
    'README.md': `# ${input.packageName}

An RFID3 Predictive plugin (\`${id}\`): \`GET /api/predictive/${id}/rental-classes/:rental_class\` gives a rental
class's units, the units on rent now, and the units going out per day over the next days (predictor
\`${id}.units-out\`).

\`\`\`
npm install          # @rfid3/core comes from ${input.coreSpec}
npm test             # the plugin in an in-memory host (startTestHost)
npm pack             # builds (prepack) and writes ${tarballName(input.packageName, '0.1.0')}
rfid3 plugin add ./${tarballName(input.packageName, '0.1.0')}   # run beside the host's rfid3.config.json
\`\`\`
`,
  };
}

/** The file name `npm pack` gives a package's tarball: `@acme/x` 1.0.0 → `acme-x-1.0.0.tgz`. */
export function tarballName(packageName: string, version: string): string {
  return `${packageName.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}
