import { HttpProblem } from '@rfid3/core';
import type { Context } from 'koa';

export const unauthorized = (detail: string, challenge = 'Bearer realm="rfid3"') =>
  new HttpProblem({ status: 401, title: 'Unauthorized', detail, headers: { 'WWW-Authenticate': challenge } });

/**
 * The API key a request presents: `Authorization: Bearer <key>` or `X-API-Key` (and, with `basic`, HTTP Basic
 * with the key as the password, which a browser resends by itself). Undefined when none; 401 when malformed.
 */
export function presentedKey(ctx: Context, options: { basic?: boolean } = {}): string | undefined {
  const authorization = ctx.get('Authorization');
  if (authorization) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (bearer) return bearer[1];
    const basic = options.basic ? /^Basic\s+(\S+)\s*$/i.exec(authorization) : null;
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const password = decoded.slice(decoded.indexOf(':') + 1).trim();
      if (decoded.includes(':') && password) return password;
    }
    throw unauthorized(
      options.basic ? "the Authorization header must be 'Bearer <key>', or Basic with the key as the password" : "the Authorization header must be 'Bearer <key>'",
    );
  }
  return ctx.get('X-API-Key') ? ctx.get('X-API-Key').trim() : undefined;
}
