import { defineEndpoint, definePlugin } from '@rfid3/core';
import { z } from 'zod';

/** The error message of `/acme/boom`; it must never reach a client. */
export const BOOM_SECRET = 'connection to /srv/secret.db refused for password hunter2';

/** A small plugin for host tests: an endpoint that throws, one with a body, one with a path parameter. */
export const acmePlugin = definePlugin({
  id: 'acme',
  version: '1.0.0',
  coreRange: '>=0.1.0',
  register(env) {
    env.endpoint(
      defineEndpoint({
        method: 'GET',
        path: '/acme/boom',
        summary: 'Always fails with a plain Error',
        role: 'read',
        handler() {
          throw new Error(BOOM_SECRET);
        },
      }),
      defineEndpoint({
        method: 'POST',
        path: '/acme/echo',
        summary: 'Echoes a number',
        role: 'operate',
        input: { body: z.object({ n: z.number(), note: z.string().optional() }) },
        handler: ({ body }, ctx) => ({ n: body.n, by: ctx.principal?.name ?? null }),
      }),
      defineEndpoint({
        method: 'GET',
        path: '/acme/items/:item_id',
        summary: 'One item',
        role: 'read',
        input: { params: z.object({ item_id: z.string().min(3) }) },
        output: z.object({ id: z.string() }),
        handler: ({ params }) => ({ id: params.item_id }),
      }),
    );
  },
});
