import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy in front of a real server, to take that server away from a client under test:
 * `cut()` is a server that died (connections reset, new ones refused), `freeze()` a server that was
 * stopped (connections stay open, nothing answers), `restore()` brings it back on the same port.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(port = 0): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      // Nothing is read while frozen: bytes wait in the kernel, as they do for a stopped process.
      client.on('data', (d) => upstream.write(d));
      upstream.on('data', (d) => client.write(d));
      if (this.frozen) {
        client.pause();
        upstream.pause();
      }
    });
    await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** The server is gone: every connection is reset and the port refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((ok) => server.close(() => ok()));
  }

  /** The server is stopped: connections are accepted and kept, but nothing passes either way. */
  freeze(): void {
    this.frozen = true;
    for (const s of this.sockets) s.pause();
  }

  /** Back: after `cut()` listening again on the same port; after `freeze()` traffic flows again. */
  async restore(): Promise<void> {
    this.frozen = false;
    for (const s of this.sockets) s.resume();
    if (!this.server) await this.start(this.port);
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
