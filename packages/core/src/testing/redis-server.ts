import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

/** A `redis-server` of a test's own on a loopback port, started and killed by its process id. */
export interface ThrowawayRedis {
  port: number;
  url: string;
  /** Process id of the running server, or null while it is down. */
  readonly pid: number | null;
  /** Starts it (again) on the same port and waits until it answers PING. */
  start(): Promise<void>;
  /** Kills it with SIGKILL (as a crash would) and waits until the process has exited. */
  kill(): Promise<void>;
  /** Kills it if it runs; safe to call twice. */
  stop(): Promise<void>;
}

/** A port nothing listens on right now (the kernel's pick), for a server that will be started later. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Whether `redis-server` can be run here. */
export async function hasRedisServer(binary = 'redis-server'): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn(binary, ['--version'], { stdio: 'ignore' });
    p.once('error', () => resolve(false));
    p.once('exit', (code) => resolve(code === 0));
  });
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

/**
 * Prepares a throwaway Redis (no persistence) on `port`, or on a free port; `start()` runs it. It is never
 * the shared server: it listens on its own port, and only its own process id is ever signalled.
 */
export async function throwawayRedis(options: { port?: number; binary?: string; startTimeoutMs?: number } = {}): Promise<ThrowawayRedis> {
  const port = options.port ?? (await freeLoopbackPort());
  const binary = options.binary ?? 'redis-server';
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const kill = async () => {
    const running = child;
    if (!running) return;
    child = null;
    if (running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
    await exited;
  };

  const handle: ThrowawayRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? null;
    },
    async start() {
      if (child) return;
      const p = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = p;
      exited = new Promise((resolve) => p.once('exit', () => resolve()));
      let stderr = '';
      p.stderr?.on('data', (d) => {
        stderr += String(d);
      });
      const spawnError = new Promise<Error>((resolve) => p.once('error', resolve));
      const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
      while (Date.now() < deadline) {
        const failed = await Promise.race([spawnError, new Promise<null>((r) => setTimeout(() => r(null), 50))]);
        if (failed || p.exitCode !== null) {
          child = null;
          throw new Error(`redis-server on port ${port} did not start: ${failed ? failed.message : stderr.trim() || `exit ${p.exitCode}`}`);
        }
        if (await pingOnce(port)) return;
      }
      await kill();
      throw new Error(`redis-server on port ${port} did not answer PING within ${options.startTimeoutMs ?? 10_000} ms`);
    },
    kill,
    stop: kill,
  };
  return handle;
}
