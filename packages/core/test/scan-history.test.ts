import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { coreMigrations, foldScanHistory, insertInChunks, migrate, scansInTimeOrder, type DatabaseHandle, type ScanHistoryOptions } from '../src/index.js';
import { externalServices } from '../src/testing/index.js';
import { databaseTargets, describeEach, dropAllTables, openEmptyDatabase } from './support/targets.js';

const services = await externalServices();
afterAll(() => services.cleanup());

/** A plain generator (not the simulator): scans of a few tags, written out of time order, so row ids and times disagree. */
function scans(seed: number) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const types = ['Rental', 'Return', 'Touch', 'Return', 'Delivery'];
  const statuses = ['On Rent', 'Ready to Rent', 'Repair', 'Ready to Rent', 'Needs to be Inspected', null];
  const rows = [];
  for (let i = 0; i < 400; i++) {
    const day = 1 + Math.floor(rand() * 28);
    rows.push({
      tag_id: `T${Math.floor(rand() * 23)}`,
      scan_type: types[Math.floor(rand() * types.length)]!,
      // Some scans of one tag share a time: the row id breaks the tie.
      scan_date: `2026-02-${String(day).padStart(2, '0')} ${rand() < 0.3 ? '08:00:00' : `1${Math.floor(rand() * 10)}:00:00`}`,
      status: statuses[Math.floor(rand() * statuses.length)] ?? null,
      quality: rand() < 0.5 ? 'B' : 'A',
    });
  }
  return rows;
}

/** What the history is by definition: every matching scan, grouped by tag, in (time, id) order. */
async function reference(handle: DatabaseHandle, through?: string) {
  const all = await handle.db.selectFrom('id_transactions').select(['id', 'tag_id', 'scan_date', 'scan_type', 'status', 'quality']).execute();
  const out = new Map<string, { at: string; id: number; quality: string | null }[]>();
  for (const r of all) {
    const at = String(r.scan_date).slice(0, 19);
    const history = r.scan_type === 'Return' || r.status === 'Repair' || (r.scan_type !== 'Return' && r.status === 'Ready to Rent');
    if (!history || (through && at.slice(0, 10) > through)) continue;
    const list = out.get(String(r.tag_id)) ?? [];
    list.push({ at, id: Number(r.id), quality: r.quality ?? null });
    out.set(String(r.tag_id), list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id));
  return out;
}

const asObject = <T>(m: Map<string, T[]>): Record<string, T[]> => Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)));

/** A fold that keeps every scan it is walked through, and counts how often each item was started. */
async function collect(handle: DatabaseHandle, options: ScanHistoryOptions, skip = (_: string) => false) {
  const starts = new Map<string, number>();
  const out = await foldScanHistory<{ at: string; id: number; quality: string | null }[]>(handle, options, {
    start(tagId) {
      starts.set(tagId, (starts.get(tagId) ?? 0) + 1);
      return skip(tagId) ? undefined : [];
    },
    step(list, r, at) {
      list.push({ at, id: Number(r.id), quality: (r.quality as string | null) ?? null });
    },
  });
  return { out, starts };
}

describeEach(databaseTargets(services), 'foldScanHistory', (target) => {
  let handle: DatabaseHandle;
  beforeEach(async () => {
    handle = await openEmptyDatabase(target.url);
    await migrate(handle, 'core', coreMigrations);
    await insertInChunks(handle, 'id_transactions', scans(7));
  });
  afterEach(async () => {
    if (handle.dialect === 'mysql') await dropAllTables(handle);
    await handle.close();
  });

  it('walks each item through its history scans in time order, whatever the page size and the order they were stored in', async () => {
    const expected = asObject(await reference(handle));
    expect(Object.keys(expected).length).toBeGreaterThan(15);
    // The generator stored scans out of time order: a walk that trusted row ids would fail here.
    expect(Object.values(expected).some((list) => list.some((e, i) => i > 0 && e.id < list[i - 1]!.id))).toBe(true);
    for (const pageRows of [1, 7, 20_000]) {
      const { out, starts } = await collect(handle, { columns: ['quality'], pageRows });
      expect(asObject(out)).toEqual(expected);
      // Items whose scans came out of order were started over; the others once.
      expect([...starts.values()].every((n) => n === 1 || n === 2)).toBe(true);
      expect([...starts.values()].some((n) => n === 2)).toBe(true);
    }
  });

  it('keeps only scans through a day, only the asked items, and skips the items the walk declines', async () => {
    const through = await reference(handle, '2026-02-14');
    expect(asObject((await collect(handle, { columns: ['quality'], through: '2026-02-14', pageRows: 5 })).out)).toEqual(asObject(through));
    const all = await reference(handle);
    const some = ['T1', 'T5', 'T9', 'nobody'];
    const picked = (await collect(handle, { columns: ['quality'], tagIds: some })).out;
    expect(asObject(picked)).toEqual(asObject(new Map([...all].filter(([k]) => some.includes(k)))));
    const { out: declined, starts } = await collect(handle, { columns: ['quality'], pageRows: 3 }, (tag) => tag === 'T1');
    expect(declined.has('T1')).toBe(false);
    expect(starts.get('T1')).toBe(1);
    expect(declined.size).toBe(all.size - 1);
  });

  it('reads the scans of a range in time order, then row id, however they were stored, from a mid-day start to a mid-day end, with their values', async () => {
    const all = (await handle.db.selectFrom('id_transactions').select(['id', 'scan_date', 'tag_id', 'status', 'quality']).execute()).map((r) => ({
      id: Number(r.id),
      at: String(r.scan_date).slice(0, 19),
      tag: String(r.tag_id),
      status: r.status,
      quality: r.quality,
    }));
    const line = (r: { at: string; id: number; tag: string; status: string | null; quality: string | null }) => `${r.at}#${r.id}#${r.tag}#${r.status}#${r.quality}`;
    const inOrder = (rows: typeof all) => [...rows].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id)).map(line);
    const read = async (options: { start: string; end: string; withStatus?: boolean; pageRows?: number; internedPerColumn?: number }) => {
      const out: string[] = [];
      for await (const day of scansInTimeOrder(handle, { ...options, columns: ['tag_id', 'status', 'quality'] }))
        for (const r of day) out.push(line({ at: r.scan_date, id: r.id, tag: r.tag_id, status: r.status, quality: r.quality }));
      return out;
    };
    const start = '2026-02-03 12:00:00';
    const end = '2026-02-20 08:00:00';
    const within = all.filter((r) => r.at >= start && r.at <= end);
    // Row ids and times disagree within the range, so a read along the ids alone would be out of order.
    expect(within.some((r, i) => i > 0 && r.at < within[i - 1]!.at)).toBe(true);
    for (const pageRows of [1, 4, 5000]) expect(await read({ start, end, pageRows })).toEqual(inOrder(within));
    expect(await read({ start, end, withStatus: true, pageRows: 3 })).toEqual(inOrder(within.filter((r) => r.status !== null)));
    // Past the values a column may hold for the whole walk (23 tags, 2 grades), the rest are kept day by day.
    expect(await read({ start, end, internedPerColumn: 2 })).toEqual(inOrder(within));
    expect(await read({ start: '2027-01-01 00:00:00', end: '2027-12-31 23:59:59' })).toEqual([]);
  });
});
