import { HttpProblem } from '../contracts/problem.js';

/**
 * The one category a user's term means: the exact name ignoring case, else the only name that contains the
 * term (`tables` → `Tables and Chairs`). No match, or several, is a 404 whose detail lists the categories.
 */
export function matchCategory(categories: readonly string[], term: string): string {
  const all = [...new Set(categories)].sort();
  const t = term.trim().toLowerCase();
  let matches = all.filter((c) => c.toLowerCase() === t);
  if (matches.length === 0 && t) matches = all.filter((c) => c.toLowerCase().includes(t));
  if (matches.length !== 1) {
    throw HttpProblem.notFound(`category '${term}' ${matches.length ? `is ambiguous (${matches.join(', ')})` : 'matches no category'}; categories: ${all.join(', ')}`);
  }
  return matches[0]!;
}
