import type { Page } from 'playwright-core';

/**
 * What the manager-facing checks read from a page: written apart from the dashboard's own code (its own
 * list of money fields, its own walk over the API's answers) so that they judge the page, not repeat it.
 */

/** The API's money fields, by name (prices, costs, revenue, profit, savings). */
export const MONEY_FIELDS = new Set([
  'currentPrice',
  'recommendedPrice',
  'purchaseCost',
  'unitCost',
  'subRentCost',
  'expectedProfit',
  'replacementCost',
  'netReplacementCost',
  'resaleNow',
  'remainingRevenue',
  'revenuePerRental',
  'turnoverYtdPerItem',
  'preventiveCost',
  'expectedEmergencyCost',
  'expectedSaving',
  'expectedRepairCost',
  'expectedCostWithPlan',
  'expectedCostWithoutPlan',
  'revenue',
  'revenueLastYear',
  'amountUsd',
  'expectedChangePerPeriod',
  // GET kpis
  'perContract',
  'perUnit',
  'unplannedCost',
  'plannedCost',
  'predictedImpact',
  'actualImpact',
]);

/** Every money value in an answer, however deep. */
export function moneyValues(answer: unknown): number[] {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'number' && MONEY_FIELDS.has(k)) out.push(x);
      else walk(x);
    }
  };
  walk(answer);
  return out;
}

/** (class number → name) for every row of an answer that names its class (`rentalClass`/`pack` beside `commonName`/`name`). */
export function namesInAnswer(answer: unknown, into = new Map<string, string>()): Map<string, string> {
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const r = v as Record<string, unknown>;
    const id = r.rentalClass ?? r.pack;
    const name = r.commonName ?? r.name;
    if (typeof id === 'string' && typeof name === 'string' && name) into.set(id, name);
    Object.values(r).forEach(walk);
  };
  walk(answer);
  return into;
}

/** Opens every "Show all N rows" and every folded detail, so the checks see every row the view holds. */
export async function expandAll(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const b of document.querySelectorAll<HTMLButtonElement>('#view button.more')) b.click();
    for (const d of document.querySelectorAll('#view details')) (d as HTMLDetailsElement).open = true;
  });
}

export interface PageReading {
  innerWidth: number;
  scrollWidth: number;
  /** Approve buttons whose box is not wholly inside the viewport's width. */
  approveOutside: string[];
  approveCount: number;
  /** Each class shown: its number, the name beside it (null when the page says it has none). */
  classes: { id: string; name: string | null }[];
  /** The page's visible text with every class label hidden: a class number left in it has no name beside it. */
  textWithoutClasses: string;
  text: string;
  moneyTexts: string[];
}

export async function readPage(page: Page): Promise<PageReading> {
  return page.evaluate(() => {
    const approve = [...document.querySelectorAll<HTMLButtonElement>('#view button.approve')];
    const approveOutside = approve
      .map((b) => ({ b, r: b.getBoundingClientRect() }))
      .filter(({ r }) => r.left < 0 || r.right > window.innerWidth + 0.5)
      .map(({ b, r }) => `${b.closest('tr')?.textContent?.slice(0, 60) ?? ''} left=${Math.round(r.left)} right=${Math.round(r.right)}`);
    const classes = [...document.querySelectorAll<HTMLElement>('#view .cls')].map((el) => {
      const name = el.querySelector('.cls-name');
      return { id: el.dataset.class ?? '', name: name && !name.classList.contains('missing') ? (name.textContent ?? '').trim() : null };
    });
    const text = document.body.innerText;
    // Hidden through the CSSOM: the host's Content-Security-Policy refuses an injected <style>.
    const labels = [...document.querySelectorAll<HTMLElement>('#view .cls')];
    for (const el of labels) el.style.display = 'none';
    const textWithoutClasses = document.body.innerText;
    for (const el of labels) el.style.removeProperty('display');
    return {
      innerWidth: window.innerWidth,
      scrollWidth: document.scrollingElement!.scrollWidth,
      approveOutside,
      approveCount: approve.length,
      classes,
      textWithoutClasses,
      text,
      moneyTexts: [...document.querySelectorAll('#view .money')].map((e) => (e.textContent ?? '').trim()),
    };
  });
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Class numbers standing alone in the text (not part of a longer number, a tag id or a date). */
export function bareClassNumbers(text: string, ids: Iterable<string>): string[] {
  const found: string[] = [];
  for (const id of ids) {
    const m = new RegExp(`(?<![0-9A-Za-z.,$-])${escapeRegExp(id)}(?![0-9A-Za-z%])`).exec(text);
    if (m) found.push(`${id} in "…${text.slice(Math.max(0, m.index - 60), m.index + 60).replace(/\s+/g, ' ')}…"`);
  }
  return found;
}

/**
 * Money values shown without a dollar sign. Only values the page would show with cents (10 to 9,999.99,
 * not whole dollars) are looked for, so a count or a percentage that happens to equal a price does not count.
 */
const withCents = (values: number[]): string[] =>
  values
    .map(Math.abs)
    .filter((abs) => abs >= 10 && abs < 10_000 && Math.round(abs * 100) % 100 !== 0)
    .map((abs) => abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));

export function moneyWithoutDollar(text: string, values: number[]): string[] {
  const bad = new Set<string>();
  for (const s of withCents(values)) {
    for (const m of text.matchAll(new RegExp(`(?<![0-9.,])(\\$?)${escapeRegExp(s)}(?![0-9])`, 'g'))) if (!m[1]) bad.add(s);
  }
  return [...bad];
}

/** A value as a manager reads dollars: "$1,023.52", "$21", cents only when there are any (under $10,000). */
export function dollars(v: number): string {
  const abs = Math.abs(v);
  const cents = Math.round(abs * 100) % 100 !== 0 && abs < 10_000;
  return `$${abs.toLocaleString('en-US', { minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: cents ? 2 : 0 })}`;
}

/** How many of the values the page shows in dollars (cents when there are any): the check above is not vacuous. */
export const countMoneyWithDollar = (text: string, values: number[]): number => values.filter((v) => text.includes(dollars(v))).length;
