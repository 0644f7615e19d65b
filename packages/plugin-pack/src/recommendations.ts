import type { ProposedDecision } from '@rfid3/core';
import type { PackAnalysis, PackSettings } from './analysis/pack-analysis.js';
import { PACK_MODEL_VERSION } from './model-version.js';

export const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Packs to create and to dissolve, each with the decision it stands for; the GET shows them, the propose job records them. */
export function recommendPacks(a: PackAnalysis, config: PackSettings, query: { limit: number }) {
  const packIds = new Set(a.packs.map((p) => p.rentalClass));
  const yearShare = 365 / config.windowDays;
  const seen = new Set<string>();
  const create = [];
  for (const r of a.rules) {
    if (create.length >= query.limit) break;
    const members = [...r.antecedent, ...r.consequent].sort();
    const key = members.join('+');
    if (r.lift < config.minLift || seen.has(key) || members.some((m) => packIds.has(m))) continue;
    seen.add(key);
    const together = Math.round(r.support * a.baskets * yearShare);
    const expectedProfit = together * config.handlingSavingUsd;
    const proposal: ProposedDecision = {
      type: 'pack_create',
      target: { type: 'pack', id: key },
      confidence: r3(r.confidence),
      predictedImpact: expectedProfit,
      action: { create: members },
      modelVersion: PACK_MODEL_VERSION,
      rationale: `{${r.antecedent.join(', ')}} ⇒ {${r.consequent.join(', ')}}: confidence ${r.confidence.toFixed(2)}, lift ${r.lift.toFixed(2)}, ${together} contracts a year`,
    };
    create.push({
      key,
      components: members,
      support: r3(r.support),
      confidence: r3(r.confidence),
      lift: r3(r.lift),
      contractsPerYear: together,
      expectedProfit,
      reason: proposal.rationale!,
      proposal,
    });
  }
  const dissolve = [];
  for (const p of a.packs) {
    const componentUse = p.components.length ? Math.max(...p.components.map((c) => c.utilisation)) : null;
    const reasons: string[] = [];
    if (p.utilisation < config.lowUtilisation) reasons.push(`utilisation ${(p.utilisation * 100).toFixed(1)} % < ${(config.lowUtilisation * 100).toFixed(0)} %`);
    if (componentUse !== null && componentUse > p.utilisation) reasons.push(`components are rented more (${(componentUse * 100).toFixed(1)} %) than the pack`);
    if (p.burstsPerUnit > 0.2) reasons.push(`burst ${p.bursts} times (${p.burstsPerUnit.toFixed(2)} per unit)`);
    if (reasons.length === 0 || (p.utilisation >= config.lowUtilisation && p.burstsPerUnit <= 0.2)) continue;
    const expectedProfit = Math.round(p.bursts * yearShare * config.burstCostUsd);
    const proposal: ProposedDecision = {
      type: 'pack_dissolve',
      target: { type: 'pack', id: p.rentalClass },
      confidence: r3(Math.min(0.95, 1 - p.utilisation / Math.max(config.lowUtilisation, 1e-9) / 2)),
      predictedImpact: expectedProfit,
      action: { dissolve: p.rentalClass },
      modelVersion: PACK_MODEL_VERSION,
      rationale: reasons.join('; '),
    };
    dissolve.push({ pack: p.rentalClass, name: p.name, utilisation: r3(p.utilisation), bursts: p.bursts, expectedProfit, reasons, proposal });
    if (dissolve.length >= query.limit) break;
  }
  return { a, create, dissolve };
}

export type PackRecommendations = ReturnType<typeof recommendPacks>;
