import { afterAll, beforeEach, expect, it } from 'vitest';
import { FakeClock, ModelRegistry, parseJsonColumn, type JsonValue, type ModelCandidate, type ModelVersionInfo } from '../src/index.js';
import { Rng } from '../src/simulator/index.js';
import { externalServices } from '../src/testing/index.js';
import { databaseTargets, describeEach, useMigratedDatabase } from './support/targets.js';

const services = await externalServices();
afterAll(() => services.cleanup());

function candidate(value: number, over: Partial<ModelCandidate> = {}): ModelCandidate {
  return {
    modelName: 'demand.daily',
    modelType: 'seasonal-naive',
    artifact: { season: 7, lastSeason: [1, 2, 3, 4, 5, 6, 7] },
    validation: { metric: 'mae', value },
    trainingRows: 365,
    ...over,
  };
}

describeEach(databaseTargets(services), 'ModelRegistry', (target) => {
  let clock: FakeClock;
  let registry: ModelRegistry;
  const db = useMigratedDatabase(target.url, ['rfid3_model_registry', 'ml_model_performance']);
  beforeEach(() => {
    clock = new FakeClock('2026-03-01T08:00:00Z');
    registry = new ModelRegistry({ database: db.handle, clock });
  });

  const statuses = async (name = 'demand.daily') => Object.fromEntries((await registry.history(name)).map((h) => [h.version, h.status]));

  it('activates the first candidate of a model', async () => {
    const r = await registry.register(candidate(12.5));
    expect(r).toMatchObject({ version: 1, versionTag: 'demand.daily@1', activated: true, previousActive: null });
    expect(r.reason).toMatch(/no active version; mae 12\.50/);
    const active = await registry.getActive('demand.daily');
    expect(active).toMatchObject({
      versionTag: 'demand.daily@1',
      status: 'active',
      validation: { metric: 'mae', value: 12.5, lowerIsBetter: true },
      trainingRows: 365,
      createdAt: '2026-03-01 08:00:00',
      activatedAt: '2026-03-01 08:00:00',
    });
    expect(await registry.getActive('unknown.model')).toBeNull();
  });

  it('keeps a worse (or equal) candidate as a candidate, saying both scores', async () => {
    await registry.register(candidate(10));
    const worse = await registry.register(candidate(12));
    expect(worse).toMatchObject({ version: 2, activated: false, previousActive: 'demand.daily@1' });
    expect(worse.reason).toContain('12.00');
    expect(worse.reason).toContain('10.00');
    expect(worse.reason).toMatch(/does not beat active demand\.daily@1/);
    const tie = await registry.register(candidate(10));
    expect(tie.activated).toBe(false);
    expect(await statuses()).toEqual({ 1: 'active', 2: 'candidate', 3: 'candidate' });
    expect((await registry.getActive('demand.daily'))!.version).toBe(1);
  });

  it('activates a better candidate and retires the one it replaces', async () => {
    const activated: ModelVersionInfo[] = [];
    registry.onActivate((info) => {
      activated.push(info);
    });
    await registry.register(candidate(10));
    await registry.register(candidate(11));
    clock.advance({ days: 1 });
    const better = await registry.register(candidate(9.25, { artifact: { season: 7, lastSeason: [9, 9, 9, 9, 9, 9, 9] } }));
    expect(better).toMatchObject({ version: 3, activated: true, previousActive: 'demand.daily@1' });
    expect(better.reason).toMatch(/mae 9\.250 beats active demand\.daily@1's 10\.00/);
    expect(await statuses()).toEqual({ 1: 'retired', 2: 'candidate', 3: 'active' });
    const active = await registry.getActive('demand.daily');
    expect(active!.artifact).toEqual({ season: 7, lastSeason: [9, 9, 9, 9, 9, 9, 9] });
    expect(active!.activatedAt).toBe('2026-03-02 08:00:00');
    expect(activated.map((a) => a.versionTag)).toEqual(['demand.daily@1', 'demand.daily@3']);
  });

  it('compares scores where higher is better when lowerIsBetter is false', async () => {
    const f1 = (value: number) => candidate(value, { modelName: 'maintenance.failure', validation: { metric: 'f1', value, lowerIsBetter: false } });
    expect((await registry.register(f1(0.8))).activated).toBe(true);
    expect((await registry.register(f1(0.75))).activated).toBe(false);
    const better = await registry.register(f1(0.85));
    expect(better.activated).toBe(true);
    expect(better.reason).toMatch(/f1 0\.8500 beats active maintenance\.failure@1's 0\.8000/);
    expect(await statuses('maintenance.failure')).toEqual({ 1: 'retired', 2: 'candidate', 3: 'active' });
    const active = await registry.getActive('maintenance.failure');
    expect(active!.validation).toEqual({ metric: 'f1', value: 0.85, lowerIsBetter: false });
  });

  it('compareWith replaces the active version’s stored score in the comparison', async () => {
    await registry.register(candidate(10));
    // Better than the stored 10, but not than the active model rescored on the new data (8).
    const notBetter = await registry.register(candidate(9), { compareWith: 8 });
    expect(notBetter.activated).toBe(false);
    expect(notBetter.reason).toMatch(/mae 9\.000 does not beat active demand\.daily@1's 8\.000 on the same data/);
    // Worse than the stored 10, but better than the active model rescored (13).
    const better = await registry.register(candidate(12), { compareWith: 13 });
    expect(better.activated).toBe(true);
    expect(better.reason).toContain('on the same data');
    expect(await statuses()).toEqual({ 1: 'retired', 2: 'candidate', 3: 'active' });
  });

  it('does not compare candidates scored on different metrics', async () => {
    await registry.register(candidate(10));
    const r = await registry.register(candidate(0.5, { validation: { metric: 'rmse', value: 0.5 } }));
    expect(r.activated).toBe(false);
    expect(r.reason).toBe('not comparable: active demand.daily@1 is scored on mae, candidate on rmse');
    expect(await statuses()).toEqual({ 1: 'active', 2: 'candidate' });
  });

  it('writes every finite validation metric of every version to ml_model_performance', async () => {
    await registry.register(candidate(10, { metrics: { rmse: 14.5, smape: 22.1, coverage80: 0.79, broken: Number.NaN } }));
    await registry.register(candidate(11, { metrics: { rmse: 15 }, trainingRows: 400 }));
    const rows = await db.handle.db.selectFrom('ml_model_performance').selectAll().orderBy('model_version').orderBy('metric_name').execute();
    expect(rows.map((r) => [r.model_version, r.metric_name, Number(r.metric_value), r.evaluation, r.sample_size])).toEqual([
      ['demand.daily@1', 'coverage80', 0.79, 'validation', 365],
      ['demand.daily@1', 'mae', 10, 'validation', 365],
      ['demand.daily@1', 'rmse', 14.5, 'validation', 365],
      ['demand.daily@1', 'smape', 22.1, 'validation', 365],
      ['demand.daily@2', 'mae', 11, 'validation', 400],
      ['demand.daily@2', 'rmse', 15, 'validation', 400],
    ]);
    expect(rows.every((r) => r.model_type === 'seasonal-naive' && r.evaluated_at === '2026-03-01 08:00:00')).toBe(true);
  });

  it('refuses a validation score that is not a finite number, storing nothing', async () => {
    await expect(registry.register(candidate(Number.NaN))).rejects.toThrow(/validation mae is not a finite number/);
    expect(await registry.history()).toEqual([]);
  });

  it('activate() rolls back to a stored version and retires the current one', async () => {
    const seen: string[] = [];
    registry.onActivate((info) => {
      seen.push(info.versionTag);
    });
    await registry.register(candidate(10, { artifact: { v: 1 } }));
    await registry.register(candidate(8, { artifact: { v: 2 } }));
    expect((await registry.getActive('demand.daily'))!.artifact).toEqual({ v: 2 });
    clock.advance({ days: 3 });
    const info = await registry.activate('demand.daily', 1);
    expect(info).toMatchObject({ versionTag: 'demand.daily@1', status: 'active', activatedAt: '2026-03-04 08:00:00' });
    expect(await statuses()).toEqual({ 1: 'active', 2: 'retired' });
    expect((await registry.getActive('demand.daily'))!.artifact).toEqual({ v: 1 });
    expect(seen).toEqual(['demand.daily@1', 'demand.daily@2', 'demand.daily@1']);
    await expect(registry.activate('demand.daily', 9)).rejects.toThrow(/demand\.daily@9 does not exist/);
    expect(await statuses()).toEqual({ 1: 'active', 2: 'retired' });
  });

  it('history() lists versions newest first, per model, within the limit', async () => {
    for (const v of [10, 12, 9, 11]) {
      await registry.register(candidate(v));
      clock.advance({ ms: 60_000 });
    }
    await registry.register(candidate(5, { modelName: 'pricing.elasticity' }));
    const h = await registry.history('demand.daily');
    expect(h.map((x) => x.version)).toEqual([4, 3, 2, 1]);
    expect(h.map((x) => x.createdAt)).toEqual(['2026-03-01 08:03:00', '2026-03-01 08:02:00', '2026-03-01 08:01:00', '2026-03-01 08:00:00']);
    expect((await registry.history('demand.daily', 2)).map((x) => x.versionTag)).toEqual(['demand.daily@4', 'demand.daily@3']);
    expect((await registry.history()).map((x) => x.versionTag)).toEqual(['demand.daily@4', 'demand.daily@3', 'demand.daily@2', 'demand.daily@1', 'pricing.elasticity@1']);
    const status = await registry.status();
    expect(status.map((s) => [s.versionTag, s.versions])).toEqual([
      ['demand.daily@3', 4],
      ['pricing.elasticity@1', 1],
    ]);
  });

  it('round-trips artifacts and configs exactly, however large', async () => {
    const rng = new Rng(3);
    const weights = Array.from({ length: 20_000 }, () => rng.normal(0, 1e3));
    const artifact: JsonValue = {
      weights,
      tiny: [5e-324, 1e-300, -2.2250738585072014e-308, 0.1 + 0.2],
      big: [Number.MAX_SAFE_INTEGER, 1.7976931348623157e308],
      text: 'grade “A+” → “C-”, 🎪 tents, \u0000 nul, \\ backslash',
      nested: { trees: [{ split: 'quality', left: null, right: [true, false] }], empty: {}, list: [] },
    };
    const config = { season: 7, levels: [0.8, 0.95], name: 'ü' };
    await registry.register(candidate(1, { artifact, config }));
    const active = await registry.getActive('demand.daily');
    expect(active!.artifact).toEqual(artifact);
    expect(JSON.stringify(active!.artifact)).toBe(JSON.stringify(artifact));
    expect(active!.config).toEqual(config);
    const row = await db.handle.db.selectFrom('rfid3_model_registry').select('config').executeTakeFirstOrThrow();
    expect(parseJsonColumn(row.config)).toEqual(config);
  });

  it('numbers versions without gaps or duplicates when two workers register at once', async () => {
    const results = await Promise.all([registry.register(candidate(10)), registry.register(candidate(9))]);
    expect(results.map((r) => r.version).sort()).toEqual([1, 2]);
    const h = await registry.history('demand.daily');
    expect(h.filter((x) => x.status === 'active')).toHaveLength(1);
  });
});
