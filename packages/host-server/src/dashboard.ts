import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { assetsDir } from '@rfid3/dashboard';
import type { Context, Middleware, Next } from 'koa';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.webmanifest', '.txt']);

/** The build names scripts and styles after a hash of their content (`app.d5752135eb.js`): those never change. */
const CONTENT_HASHED = /\.[0-9a-f]{8,}\.[a-z0-9]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Only the page's own files; no inline script or style, no other origin (the Pi may be offline anyway). */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface DashboardAsset {
  type: string;
  body: Buffer;
  br: Buffer | null;
  gzip: Buffer | null;
  etag: string;
  cacheControl: string;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/**
 * The built dashboard as a table from URL path to file, read once: the set of files is fixed by the build,
 * so serving from memory (compressed ahead of time) costs no disk access per request and no request can
 * name a file outside the table. Null when the assets have not been built.
 */
export function loadDashboardAssets(dir: string = assetsDir): Map<string, DashboardAsset> | null {
  if (!existsSync(join(dir, 'index.html')) || !statSync(dir).isDirectory()) return null;
  const assets = new Map<string, DashboardAsset>();
  for (const file of listFiles(dir)) {
    const ext = extname(file).toLowerCase();
    const type = TYPES[ext];
    if (!type) continue;
    const body = readFileSync(file);
    const urlPath = `/${relative(dir, file).split(sep).join('/')}`;
    const smaller = (packed: Buffer) => (packed.length < body.length ? packed : null);
    const compress = COMPRESSIBLE.has(ext) && body.length > 256;
    assets.set(urlPath, {
      type,
      body,
      br: compress ? smaller(brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } })) : null,
      gzip: compress ? smaller(gzipSync(body, { level: 9 })) : null,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      cacheControl: CONTENT_HASHED.test(urlPath) ? IMMUTABLE : 'no-cache',
    });
  }
  assets.set('/', assets.get('/index.html')!);
  return assets;
}

/**
 * Serves the built dashboard at `/` (index.html) and its files beside it, with their content types,
 * ETags and cache headers. When the dashboard has not been built it passes every request on, and the
 * host's status page answers `/` instead.
 */
export function dashboard(options: { dir?: string } = {}): Middleware {
  const assets = loadDashboardAssets(options.dir);
  // Not async: every API request passes through here, and an async wrapper would add a promise to each.
  return (ctx: Context, next: Next) => {
    const asset = assets && (ctx.method === 'GET' || ctx.method === 'HEAD') ? assets.get(ctx.path) : undefined;
    if (!asset) return next();
    (ctx.state as { route?: string }).route = ctx.path === '/' || ctx.path === '/index.html' ? '/' : '/:asset';
    ctx.status = 200;
    ctx.type = asset.type;
    ctx.set('ETag', asset.etag);
    ctx.set('Cache-Control', asset.cacheControl);
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (asset.type.startsWith('text/html')) ctx.set('Content-Security-Policy', CSP);
    if (asset.br || asset.gzip) ctx.vary('Accept-Encoding');
    if (ctx.fresh) {
      ctx.status = 304;
      return undefined;
    }
    // Brotli first whatever order the client lists them in: browsers send `gzip, deflate, br`.
    const accepts = (encoding: string) => ctx.acceptsEncodings(encoding) === encoding;
    if (asset.br && accepts('br')) {
      ctx.set('Content-Encoding', 'br');
      ctx.body = asset.br;
    } else if (asset.gzip && accepts('gzip')) {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = asset.gzip;
    } else ctx.body = asset.body;
    return undefined;
  };
}
