// `node bench/bare-koa.mjs <file> [content-type]`: the reference for `pnpm bench api`, a bare Koa app (the
// host's own Koa, nothing in front of it) that answers every request with the bytes of <file>. Listens on
// 127.0.0.1 and a free port, and prints the port on stdout. Stopped by its parent (SIGTERM).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Koa is the host server's dependency, not the workspace root's.
const hostPackage = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'host-server', 'package.json');
const { default: Koa } = await import(createRequire(hostPackage).resolve('koa'));

const body = readFileSync(process.argv[2]);
const type = process.argv[3] ?? 'application/json; charset=utf-8';
const app = new Koa();
app.use((ctx) => {
  ctx.type = type;
  ctx.body = body;
});
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
