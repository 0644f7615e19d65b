/**
 * Probability calibration fitted on scores the model did not train on. Platt scaling on the logit of
 * the raw score is strictly increasing, so it keeps the ranking (PR-AUC and ROC-AUC are unchanged) and
 * only moves the probabilities onto observed frequencies.
 */
export interface PlattCalibration {
  kind: 'platt';
  a: number;
  b: number;
  /** Raw scores are clipped to [eps, 1 − eps] before the logit. */
  eps: number;
}

const logit = (p: number, eps: number) => {
  const q = Math.min(1 - eps, Math.max(eps, p));
  return Math.log(q / (1 - q));
};

/** Fits p = σ(a·logit(s) + b) by Newton's method with Platt's smoothed targets. */
export function fitPlatt(y: ArrayLike<number>, score: ArrayLike<number>, eps = 1e-3): PlattCalibration {
  const n = y.length;
  let P = 0;
  for (let i = 0; i < n; i++) P += y[i] === 1 ? 1 : 0;
  const tPos = (P + 1) / (P + 2);
  const tNeg = 1 / (n - P + 2);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = logit(score[i]!, eps);
  let a = 1;
  let b = 0;
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-(a * z[i]! + b)));
      const t = y[i] === 1 ? tPos : tNeg;
      const d = p - t;
      const w = p * (1 - p);
      ga += d * z[i]!;
      gb += d;
      haa += w * z[i]! * z[i]!;
      hab += w * z[i]!;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  // A non-increasing map would reverse the ranking; fall back to the identity on the logit scale.
  if (!(a > 0) || !Number.isFinite(b)) return { kind: 'platt', a: 1, b: 0, eps };
  return { kind: 'platt', a, b, eps };
}

/** Maps a raw score to a calibrated probability with a fitted Platt calibration. */
export function applyPlatt(c: PlattCalibration, score: number): number {
  return 1 / (1 + Math.exp(-(c.a * logit(score, c.eps) + c.b)));
}
