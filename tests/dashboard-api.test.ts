import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiDocument } from '../scripts/api-types.mjs';

const DASHBOARD = fileURLToPath(new URL('../packages/dashboard/', import.meta.url));
const SRC = join(DASHBOARD, 'src');
const PREFIX = '/api/predictive/';
/** The typed calls of `src/api.ts`: GET by `read`, POST by `write`. */
const TYPED_CALLS: Record<string, 'get' | 'post'> = { read: 'get', write: 'post' };

type Operation = { 'x-alias-of'?: string };

/** Every `.ts` file of the dashboard's source but the generated types. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

interface Found {
  /** `file:line`. */
  at: string;
  text: string;
}

/** What the source says about the API: every string it writes (literals, template heads), and every call on `api` and of `fetch`. */
function scan(): { strings: Found[]; apiCalls: (Found & { method: string; typeArguments: boolean; path: string | null })[]; fetches: Found[] } {
  const strings: Found[] = [];
  const apiCalls: (Found & { method: string; typeArguments: boolean; path: string | null })[] = [];
  const fetches: Found[] = [];
  for (const file of sourceFiles()) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const at = (node: ts.Node) => `${relative(DASHBOARD, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node)) strings.push({ at: at(node), text: node.text });
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'api') {
          const first = node.arguments[0];
          apiCalls.push({
            at: at(node),
            text: node.getText(source).slice(0, 120),
            method: callee.name.text,
            typeArguments: (node.typeArguments?.length ?? 0) > 0,
            path: first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) ? first.text : null,
          });
        }
        if (ts.isIdentifier(callee) && callee.text === 'fetch') fetches.push({ at: at(node), text: node.getText(source).slice(0, 120) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { strings, apiCalls, fetches };
}

describe('the dashboard calls the API by its canonical, typed paths', () => {
  /** `restock/restock-alerts` → the methods it answers, for every canonical path under the prefix. */
  const canonical = new Map<string, Set<string>>();
  /** The design's alias paths (`inventory/restock-alerts`, `packs/recommendations`). */
  const aliases = new Set<string>();
  let found: ReturnType<typeof scan>;

  beforeAll(async () => {
    const doc = (await apiDocument()) as unknown as { paths: Record<string, Record<string, Operation>> };
    for (const [full, item] of Object.entries(doc.paths)) {
      if (!full.startsWith(PREFIX)) continue;
      const path = full.slice(PREFIX.length);
      for (const [method, op] of Object.entries(item)) {
        if (op?.['x-alias-of']) aliases.add(path);
        else canonical.set(path, (canonical.get(path) ?? new Set()).add(method));
      }
    }
    found = scan();
  });

  it('reads the aliases and the canonical paths from the OpenAPI document', () => {
    expect(aliases).toContain('inventory/restock-alerts');
    expect(aliases).toContain('packs/recommendations');
    expect(canonical.get('restock/restock-alerts')).toEqual(new Set(['get']));
    expect(canonical.has('inventory/restock-alerts')).toBe(false);
  });

  it('calls the API only through api.read and api.write, with no hand-written type argument', () => {
    expect(found.apiCalls.length).toBeGreaterThanOrEqual(10);
    const untyped = found.apiCalls.filter((c) => !(c.method in TYPED_CALLS) || c.typeArguments).map((c) => `${c.at} ${c.text}`);
    expect(untyped).toEqual([]);
    // Only the client itself speaks HTTP.
    expect(found.fetches.map((f) => f.at).filter((at) => !at.startsWith('src/api.ts:'))).toEqual([]);
  });

  it('passes every literal path to the method the document declares it for', () => {
    const wrong = found.apiCalls.filter((c) => c.path !== null && !canonical.get(c.path)?.has(TYPED_CALLS[c.method] ?? '?')).map((c) => `${c.at} ${c.method} ${c.path}`);
    expect(wrong).toEqual([]);
  });

  it('writes no alias path anywhere, and every path it names is canonical', () => {
    // An alias is caught whole (`packs/recommendations`) or by its start when filled in (`inventory/approve-restock/${id}`).
    const aliasStarts = [...aliases].map((a) => a.replace(/\{.*$/, ''));
    const aliasUses = found.strings.filter((s) => aliases.has(s.text) || aliasStarts.some((a) => a.endsWith('/') && s.text.startsWith(a))).map((s) => `${s.at} ${s.text}`);
    expect(aliasUses).toEqual([]);
    // What the views read and write, found among the strings: each canonical, and the main ones all there.
    const named = new Set(found.strings.map((s) => s.text).filter((t) => canonical.has(t)));
    for (const path of [
      'restock/optimization-recommendations',
      'restock/restock-alerts',
      'restock/approve-restock/{item_id}',
      'pack/performance-analysis',
      'pack/recommendations',
      'decisions/{id}/approve',
      'decisions/{id}/reject',
      'quality/degradation/{item_id}',
      'maintenance/probability/{item_id}',
      'demand/accuracy',
      'kpis',
      'jobs',
    ]) {
      expect(named, path).toContain(path);
    }
  });

  it('ships no alias path in the built bundle', () => {
    const out = join(DASHBOARD, 'dist', 'public');
    const scripts = readdirSync(out).filter((f) => /^app\..*\.js$/.test(f));
    expect(scripts).toHaveLength(1);
    const bundle = readFileSync(join(out, scripts[0]!), 'utf8');
    // (a boolean: on failure the whole minified bundle would be printed)
    expect(bundle.includes('restock/optimization-recommendations'), 'the bundle names restock/optimization-recommendations').toBe(true);
    const shipped = [...aliases].map((a) => a.replace(/\{.*$/, '')).filter((a) => bundle.includes(`"${a}`) || bundle.includes(`'${a}`) || bundle.includes(`\`${a}`));
    expect(shipped).toEqual([]);
  });
});
