import { describe, expect, it } from 'vitest';
import { JsonAnswer, SerializedAnswers, isJsonAnswer } from '../src/index.js';

describe('SerializedAnswers', () => {
  const rest = { dataThrough: '2026-05-31', weeks: 4, note: 'ü "quoted" \u2028', series: [{ key: 'Chairs', points: [{ value: 1.5, lower: null }] }] };

  it('gives the bytes JSON.stringify gives for the whole answer, with the first field as served now', () => {
    const answers = new SerializedAnswers();
    const entry = {};
    const first = answers.set(entry, 'q', ['generatedAt', '2026-06-01 12:00:00'], rest);
    expect(first).toBeInstanceOf(JsonAnswer);
    expect(first.value).toEqual({ generatedAt: '2026-06-01 12:00:00', ...rest });
    expect(Object.keys(first.value as object)[0]).toBe('generatedAt');
    expect(first.json.toString('utf8')).toBe(JSON.stringify(first.value));
    const later = answers.get(entry, 'q', ['generatedAt', '2026-06-01 12:00:07'])!;
    expect(later.json.toString('utf8')).toBe(JSON.stringify({ generatedAt: '2026-06-01 12:00:07', ...rest }));
    // The same second again: the same bytes, not made again.
    expect(answers.get(entry, 'q', ['generatedAt', '2026-06-01 12:00:07'])!.json).toBe(later.json);
    // An answer with nothing but its first field is still valid JSON.
    expect(answers.set(entry, 'empty', ['at', 'now'], {}).json.toString()).toBe('{"at":"now"}');
  });

  it('keeps answers per entry and per key, and at most perEntry variants of one entry', () => {
    const answers = new SerializedAnswers(2);
    const a = {};
    const b = {};
    answers.set(a, 'x', ['t', '1'], { n: 1 });
    expect(answers.get(b, 'x', ['t', '1'])).toBeUndefined();
    expect(answers.get(a, 'y', ['t', '1'])).toBeUndefined();
    answers.set(a, 'y', ['t', '1'], { n: 2 });
    answers.set(a, 'z', ['t', '1'], { n: 3 });
    expect(answers.get(a, 'x', ['t', '1'])).toBeUndefined();
    expect(answers.get(a, 'z', ['t', '1'])!.value).toEqual({ t: '1', n: 3 });
  });

  it('recognises a JsonAnswer made by another copy of core by its shape', () => {
    class JsonAnswerOfAnotherCopy {
      constructor(
        readonly value: unknown,
        readonly json: Buffer,
      ) {}
    }
    Object.defineProperty(JsonAnswerOfAnotherCopy, 'name', { value: 'JsonAnswer' });
    expect(isJsonAnswer(new JsonAnswerOfAnotherCopy({}, Buffer.from('{}')))).toBe(true);
    expect(isJsonAnswer({ value: {}, json: '{}' })).toBe(false);
    expect(isJsonAnswer(null)).toBe(false);
  });
});
