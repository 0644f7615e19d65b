import { afterEach, describe, expect, it } from 'vitest';
import { CORE_VERSION, EventBus, coreServices, createRuntime, definePlugin, silentLogger, type DataChangedEvent, type Runtime } from '../src/index.js';

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close();
});

describe('runtime events', () => {
  it('delivers data-changed to every listener and waits for async ones before emit resolves', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on('data-changed', (e) => {
      seen.push(`a:${e.source}`);
    });
    bus.on('data-changed', async (e) => {
      await new Promise((r) => setTimeout(r, 20));
      seen.push(`b:${e.tables.join(',')}`);
    });
    const result = await bus.emit('data-changed', { source: 'ingest.scans', tables: ['id_transactions'] });
    expect(seen).toEqual(['a:ingest.scans', 'b:id_transactions']);
    expect(result).toEqual({ listeners: 2, failed: 0 });
  });

  it('a failing listener neither stops the others nor reaches the emitter; unsubscribing works', async () => {
    const bus = new EventBus({ logger: silentLogger() });
    let calls = 0;
    bus.on('data-changed', () => {
      throw new Error('boom');
    });
    bus.on('data-changed', async () => {
      throw new Error('async boom');
    });
    const off = bus.on('data-changed', () => {
      calls++;
    });
    expect(await bus.emit('data-changed', { source: 's', tables: [] })).toEqual({ listeners: 3, failed: 2 });
    expect(calls).toBe(1);
    off();
    expect(bus.listenerCount('data-changed')).toBe(2);
    await bus.emit('data-changed', { source: 's', tables: [] });
    expect(calls).toBe(1);
  });

  it('is runtime.events, and a plugin receives the same bus by requiring coreServices.events', async () => {
    const received: DataChangedEvent[] = [];
    const plugin = definePlugin({
      id: 'listener',
      version: '1.0.0',
      coreRange: `^${CORE_VERSION}`,
      requires: { events: coreServices.events },
      register({ deps }) {
        deps.events.on('data-changed', (e) => {
          received.push(e);
        });
      },
    });
    const runtime = await createRuntime({ config: { databaseUrl: 'sqlite::memory:' }, logger: silentLogger(), plugins: [plugin] });
    runtimes.push(runtime);
    const event: DataChangedEvent = { source: 'import.por', tables: ['pos_transactions'], rentalClasses: ['61885'], from: '2026-05-01', to: '2026-05-07' };
    const result = await runtime.events.emit('data-changed', event);
    expect(result.listeners).toBe(1);
    expect(received).toEqual([event]);
  });
});
