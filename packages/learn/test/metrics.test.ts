import { describe, expect, it } from 'vitest';
import { averagePrecision, bestF1Threshold, binaryScores, calibrationTable, rocAuc } from '../src/index.js';

describe('classification metrics', () => {
  // scikit-learn's documented example: average_precision_score 0.8333…, roc_auc_score 0.75.
  const y = [0, 0, 1, 1];
  const s = [0.1, 0.4, 0.35, 0.8];

  it('average precision and ROC-AUC match the scikit-learn documentation example', () => {
    expect(averagePrecision(y, s)).toBeCloseTo(0.8333333, 6);
    expect(rocAuc(y, s)).toBeCloseTo(0.75, 10);
  });

  it('counts tied scores as one threshold (ROC-AUC of a constant score is 0.5)', () => {
    expect(rocAuc([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3])).toBe(0.5);
    expect(averagePrecision([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3])).toBe(0.5);
  });

  it('F1, precision and recall at a threshold', () => {
    const r = binaryScores([1, 1, 0, 0, 1], [0.9, 0.2, 0.8, 0.1, 0.7], 0.5);
    expect(r.precision).toBeCloseTo(2 / 3, 10);
    expect(r.recall).toBeCloseTo(2 / 3, 10);
    expect(r.f1).toBeCloseTo(2 / 3, 10);
  });

  it('the best-F1 threshold separates the scores that give the best F1', () => {
    const best = bestF1Threshold([1, 1, 0, 0, 1], [0.9, 0.2, 0.8, 0.1, 0.7]);
    // going down to 0.2 catches all three positives with one false alarm: F1 = 6/7, the best
    expect(best.f1).toBeCloseTo(6 / 7, 10);
    expect(best.threshold).toBeGreaterThan(0.1);
    expect(best.threshold).toBeLessThanOrEqual(0.2);
    expect(binaryScores([1, 1, 0, 0, 1], [0.9, 0.2, 0.8, 0.1, 0.7], best.threshold).f1).toBeCloseTo(6 / 7, 10);
  });

  it('expected calibration error is zero for a perfectly calibrated bin and the gap otherwise', () => {
    expect(calibrationTable([1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]).ece).toBeCloseTo(0, 12);
    expect(calibrationTable([1, 1, 0, 0], [0.25, 0.25, 0.25, 0.25]).ece).toBeCloseTo(0.25, 12);
  });
});
