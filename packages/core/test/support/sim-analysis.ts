/**
 * Estimators that recover the simulator's truth from the rows it wrote, using only what RFID3 itself
 * would hold (scans, item master, class mappings). Shared by the simulator suite.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { dayRange, weekday, type DatabaseHandle } from '../../src/index.js';
import { GRADES, demandFactor, weibullHazard, type SimulationTruth } from '../../src/simulator/index.js';

/** sha256 over every row of the tables, each row as sorted-key JSON, rows sorted: equal data ⇔ equal hash. */
export async function contentHash(handle: DatabaseHandle, tables: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const table of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(handle.db);
    const lines = rows.rows
      .map((r) =>
        JSON.stringify(
          Object.keys(r)
            .sort()
            .map((k) => [k, r[k]]),
        ),
      )
      .sort();
    h.update(`${table}\n${lines.join('\n')}\n`);
  }
  return h.digest('hex');
}

export interface ScanRow {
  id: number;
  tag_id: string;
  scan_type: string;
  scan_date: string;
  status: string | null;
  quality: string | null;
  contract_number: string | null;
  notes: string | null;
  category: string;
  rental_class_num: string;
}

/** Every scan with its category, in time order per tag (ties by id, i.e. by insertion). */
export async function scansByTag(handle: DatabaseHandle): Promise<Map<string, ScanRow[]>> {
  const r = await sql<ScanRow>`
    select t.id, t.tag_id, t.scan_type, t.scan_date, t.status, t.quality, t.contract_number, t.notes, t.rental_class_num, m.category
    from id_transactions t join rental_class_mappings m on m.rental_class_id = t.rental_class_num
    order by t.tag_id, t.scan_date, t.id`.execute(handle.db);
  const out = new Map<string, ScanRow[]>();
  for (const s of r.rows) {
    let list = out.get(s.tag_id);
    if (!list) out.set(s.tag_id, (list = []));
    list.push(s);
  }
  return out;
}

/** Units sent out per day (distinct tags with a Rental or Delivery scan), over every day of the simulation. */
export async function dailyUnitsOut(handle: DatabaseHandle, truth: SimulationTruth, category?: string): Promise<number[]> {
  const q = category
    ? sql<{
        day: string;
        units: number;
      }>`select date(t.scan_date) as day, count(distinct t.tag_id) as units from id_transactions t join rental_class_mappings m on m.rental_class_id = t.rental_class_num where t.scan_type in ('Rental', 'Delivery') and m.category = ${category} group by 1`
    : sql<{ day: string; units: number }>`select date(scan_date) as day, count(distinct tag_id) as units from id_transactions where scan_type in ('Rental', 'Delivery') group by 1`;
  const rows = await q.execute(handle.db);
  const byDay = new Map(rows.rows.map((r) => [String(r.day), Number(r.units)]));
  return dayRange(truth.start, truth.end).map((d) => byDay.get(d) ?? 0);
}

/** Mean units out per weekday (0 = Sunday) divided by the mean over weekdays. */
export function weeklyProfile(days: string[], units: number[]): number[] {
  const sum = new Array<number>(7).fill(0);
  const n = new Array<number>(7).fill(0);
  days.forEach((d, i) => {
    sum[weekday(d)]! += units[i]!;
    n[weekday(d)]!++;
  });
  const avg = sum.map((s, i) => s / n[i]!);
  const mean = avg.reduce((a, b) => a + b, 0) / 7;
  return avg.map((a) => a / mean);
}

/** Ordinary least squares by the normal equations (Gaussian elimination); returns coefficients and their standard errors. */
export function ols(X: number[][], y: number[]): { beta: number[]; se: number[] } {
  const k = X[0]!.length;
  const A = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const b = new Array<number>(k).fill(0);
  X.forEach((x, i) => {
    for (let a = 0; a < k; a++) {
      b[a]! += x[a]! * y[i]!;
      for (let c = 0; c < k; c++) A[a]![c]! += x[a]! * x[c]!;
    }
  });
  const inv = invert(A);
  const beta = inv.map((row) => row.reduce((s, v, j) => s + v * b[j]!, 0));
  const resid = X.map((x, i) => y[i]! - x.reduce((s, v, j) => s + v * beta[j]!, 0));
  const sigma2 = resid.reduce((s, r) => s + r * r, 0) / (X.length - k);
  return { beta, se: inv.map((row, j) => Math.sqrt(sigma2 * row[j]!)) };
}

function invert(M: number[][]): number[][] {
  const n = M.length;
  const A = M.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    const pivot = A[c]![c]!;
    for (let j = 0; j < 2 * n; j++) A[c]![j]! /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r]![c]!;
      for (let j = 0; j < 2 * n; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  return A.map((row) => row.slice(n));
}

/**
 * Yearly cycle of a category: regress units out ÷ (weekly factor × trend) on [1, cos, sin] of the day
 * of year. amplitude = √(b₁² + b₂²) / b₀, peak day = atan2(b₂, b₁) · 365.25 / 2π.
 */
export function yearlyCycle(truth: SimulationTruth, units: number[]): { amplitude: number; peakDay: number; amplitudeSe: number } {
  const days = dayRange(truth.start, truth.end);
  const X: number[][] = [];
  const y: number[] = [];
  days.forEach((d, i) => {
    const doy = (Date.parse(`${d}T00:00:00Z`) - Date.UTC(Number(d.slice(0, 4)), 0, 1)) / 86_400_000 + 1;
    const w = (2 * Math.PI * doy) / 365.25;
    X.push([1, Math.cos(w), Math.sin(w)]);
    y.push(units[i]! / (truth.weekly[weekday(d)]! * Math.exp((truth.trendPerYear * i) / 365.25)));
  });
  const { beta, se } = ols(X, y);
  const [b0, b1, b2] = beta as [number, number, number];
  const amplitude = Math.hypot(b1, b2) / b0;
  const peakDay = ((Math.atan2(b2, b1) * 365.25) / (2 * Math.PI) + 365.25) % 365.25;
  // Delta method, treating b0 as exact (its relative error is far smaller than the cos/sin terms').
  const amplitudeSe = Math.max(se[1]!, se[2]!) / b0;
  return { amplitude, peakDay, amplitudeSe };
}

export interface HazardBin {
  from: number;
  to: number;
  atRisk: number;
  failures: number;
  /** Failures the truth's Weibull hazard predicts for the same rentals. */
  expected: number;
}

/**
 * Empirical failure rate by rentals since the last service. The count is known only after a repair
 * (the items' starting counts are not in the data), so each tag is followed from its first
 * "repair complete" scan: every Return is one rental; a Return into Repair (or retired as Sold) is a
 * failure, after which the count waits for the next repair.
 */
export function hazardByRentals(truth: SimulationTruth, scans: Map<string, ScanRow[]>, bins: [number, number][]): HazardBin[] {
  const out = bins.map(([from, to]) => ({ from, to, atRisk: 0, failures: 0, expected: 0 }));
  for (const list of scans.values()) {
    let since = -1;
    for (const s of list) {
      if (s.notes === 'repair complete') {
        since = 0;
        continue;
      }
      if (s.scan_type !== 'Return' || since < 0) continue;
      since++;
      const failed = s.status === 'Repair' || s.status === 'Sold';
      const bin = out.find((b) => since >= b.from && since <= b.to);
      if (bin) {
        const w = truth.categories[s.category]!.weibull;
        bin.atRisk++;
        bin.expected += weibullHazard(since, w.shape, w.scale);
        if (failed) bin.failures++;
      }
      if (failed) since = -1;
    }
  }
  return out;
}

/**
 * Grade transition counts of one category: the quality of consecutive Return scans of a tag, one
 * rental apart. Pairs with a repair in between (the earlier Return went to Repair) are left out,
 * because a repair improves the grade.
 */
export function gradeTransitions(scans: Map<string, ScanRow[]>, category: string): number[][] {
  const counts = GRADES.map(() => new Array<number>(GRADES.length).fill(0));
  for (const list of scans.values()) {
    let prev: ScanRow | null = null;
    for (const s of list) {
      if (s.category !== category || s.scan_type !== 'Return') continue;
      if (prev && prev.status === 'Ready to Rent') {
        counts[GRADES.indexOf(prev.quality as never)]![GRADES.indexOf(s.quality as never)]!++;
      }
      prev = s;
    }
  }
  return counts;
}

export interface ElasticityEstimate {
  rentalClass: string;
  category: string;
  truth: number;
  estimate: number;
  se: number;
  units: number;
  regimes: number;
}

/**
 * Own-price elasticity of every class whose price changed: a log-log regression of units on price with
 * the day's demand factor as exposure. Daily units of a class are mostly 0 or a few, so the days are
 * summed within each price regime (the Poisson sufficient statistics): log(U_k / X_k) = a + e · log p_k,
 * with U_k the units out and X_k = Σ demandFactor(day) over regime k, weighted by U_k. The standard error
 * uses the overdispersion φ (Pearson χ² over days / dof) that contract lines of many units cause.
 */
export function priceElasticities(truth: SimulationTruth, unitsByClass: Map<string, Map<string, number>>): ElasticityEstimate[] {
  const days = dayRange(truth.start, truth.end);
  const factors = new Map<string, number[]>();
  const out: ElasticityEstimate[] = [];
  for (const c of truth.classes) {
    if (c.prices.length < 2) continue;
    let f = factors.get(c.category);
    if (!f) {
      const cat = truth.categories[c.category]!;
      factors.set(c.category, (f = days.map((d) => demandFactor(truth, cat, d))));
    }
    const units = unitsByClass.get(c.rentalClass) ?? new Map<string, number>();
    const price = days.map((d) => [...c.prices].reverse().find((p) => p.from <= d)!.price);
    const regimes = new Map<number, { U: number; X: number }>();
    days.forEach((d, i) => {
      const g = regimes.get(price[i]!) ?? { U: 0, X: 0 };
      g.U += units.get(d) ?? 0;
      g.X += f![i]!;
      regimes.set(price[i]!, g);
    });
    const pts = [...regimes.entries()].filter(([, g]) => g.U > 0);
    if (pts.length < 2) continue;
    const W = pts.reduce((s, [, g]) => s + g.U, 0);
    const xm = pts.reduce((s, [p, g]) => s + g.U * Math.log(p), 0) / W;
    const ym = pts.reduce((s, [, g]) => s + g.U * Math.log(g.U / g.X), 0) / W;
    let sxx = 0;
    let sxy = 0;
    for (const [p, g] of pts) {
      sxx += g.U * (Math.log(p) - xm) ** 2;
      sxy += g.U * (Math.log(p) - xm) * (Math.log(g.U / g.X) - ym);
    }
    const e = sxy / sxx;
    const rate = new Map(pts.map(([p, g]) => [p, g.U / g.X]));
    let chi2 = 0;
    days.forEach((d, i) => {
      const mu = (rate.get(price[i]!) ?? 0) * f![i]!;
      if (mu > 0) chi2 += ((units.get(d) ?? 0) - mu) ** 2 / mu;
    });
    const phi = Math.max(1, chi2 / (days.length - pts.length));
    out.push({ rentalClass: c.rentalClass, category: c.category, truth: c.elasticity, estimate: e, se: Math.sqrt(phi / sxx), units: W, regimes: pts.length });
  }
  return out;
}

/** Units out per class and day. */
export async function unitsByClassAndDay(handle: DatabaseHandle): Promise<Map<string, Map<string, number>>> {
  const r = await sql<{ cls: string; day: string; units: number }>`
    select rental_class_num as cls, date(scan_date) as day, count(distinct tag_id) as units
    from id_transactions where scan_type in ('Rental', 'Delivery') group by 1, 2`.execute(handle.db);
  const out = new Map<string, Map<string, number>>();
  for (const x of r.rows) {
    let m = out.get(x.cls);
    if (!m) out.set(x.cls, (m = new Map()));
    m.set(String(x.day), Number(x.units));
  }
  return out;
}
