// A plugin for the multi-process queue tests, in plain JS so a child worker process (running core's dist)
// and the test (running core's source) load the same one. Its retrain registers a model version and writes
// predictions half way, then keeps running: a worker killed then has left outputs a retry must not repeat.

/** @param {{ definePlugin: Function, coreServices: any }} core */
export function queuePlugin(core, options = {}) {
  const stepMs = options.stepMs ?? 100;
  const steps = options.steps ?? 20;
  return core.definePlugin({
    id: 'qtest',
    version: '1.0.0',
    coreRange: '*',
    requires: { registry: core.coreServices.modelRegistry, store: core.coreServices.predictionStore },
    register(env) {
      env.job('retrain', async (_payload, ctx) => {
        const registered = await env.deps.registry.register({ modelName: 'qtest.model', modelType: 'toy', artifact: { value: 1 }, validation: { metric: 'mae', value: 1 } });
        env.deps.store.record(
          [1, 2, 3].map((day) => ({
            predictionType: 'qtest',
            target: { type: 'class', id: 'c1' },
            targetDate: `2026-01-0${day}`,
            horizon: day,
            value: day,
            confidence: 0.5,
            model: { name: 'qtest.model', version: registered.versionTag, type: 'toy' },
            source: 'model',
            drivers: [],
          })),
        );
        await env.deps.store.flush();
        for (let i = 1; i <= steps; i++) {
          await new Promise((r) => setTimeout(r, stepMs));
          ctx.progress(i / steps, `step ${i} of ${steps}`);
        }
        return { version: registered.versionTag };
      });
      env.job('work', async (payload) => {
        await new Promise((r) => setTimeout(r, payload.ms ?? 20));
        return { i: payload.i, by: options.label ?? 'unnamed' };
      });
      env.job('tick', async () => {
        options.onTick?.();
        return null;
      });
    },
  });
}
