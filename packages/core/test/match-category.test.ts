import { describe, expect, it } from 'vitest';
import { HttpProblem, matchCategory } from '../src/index.js';

const categories = ['Tables and Chairs', 'Tents', 'Tent Accessories', 'Linens', 'Chairs'];

describe('matchCategory', () => {
  it('prefers the exact name ignoring case, else the one name containing the term', () => {
    expect(matchCategory(categories, 'tables')).toBe('Tables and Chairs');
    expect(matchCategory(categories, 'LINENS')).toBe('Linens');
    // 'chairs' is inside 'Tables and Chairs' too, but the exact name wins.
    expect(matchCategory(categories, 'Chairs')).toBe('Chairs');
    expect(matchCategory(categories, 'accessor')).toBe('Tent Accessories');
  });

  it('an ambiguous term or no match is a 404 that lists the categories', () => {
    const miss = (term: string) => {
      try {
        matchCategory(categories, term);
      } catch (e) {
        return e as HttpProblem;
      }
      throw new Error(`'${term}' matched`);
    };
    const amb = miss('tent');
    expect(amb).toBeInstanceOf(HttpProblem);
    expect(amb.status).toBe(404);
    expect(amb.detail).toContain('ambiguous (Tent Accessories, Tents)');
    const none = miss('boats');
    expect(none.status).toBe(404);
    expect(none.detail).toContain('matches no category; categories: Chairs, Linens, Tables and Chairs, Tent Accessories, Tents');
    expect(miss('  ').status).toBe(404);
  });
});
