// A closed-loop HTTP/1.1 load generator for the bench suites (no dependency: autocannon is not one of the
// project's): `connections` keep-alive sockets on loopback, each sending the next GET as soon as the last answer
// has fully arrived. Answers are framed by Content-Length (what Koa sends for a string or Buffer body); a chunked
// answer stops the run, since it could not be timed to its last byte here. Kept out of bench/suites so that it is
// not taken for a suite.
import net from 'node:net';
import { quantile } from './suites/util.mjs';

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Sends GET `path` to 127.0.0.1:`port` (or round-robin over `ports`: connection i to ports[i mod n], as a client
 * balancing over several hosts does) over `connections` sockets for `warmupSeconds` (not counted) and then
 * `seconds` (counted). Returns requests per second, latency quantiles (ms), how many answers were not 200, and
 * the body length of the last answer (to check that every target served the same bytes).
 */
export async function closedLoop({ port, ports = [port], path, connections = 50, seconds = 8, warmupSeconds = 2, host = '127.0.0.1' }) {
  const request = (p) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}:${p}\r\nAccept: application/json\r\n\r\n`);
  const latencies = [];
  const statuses = new Map();
  let bodyBytes = null;
  let counting = false;
  let stopping = false;
  let failure = null;

  const connection = (_, i) =>
    new Promise((resolve) => {
      const to = ports[i % ports.length];
      const ask = request(to);
      const socket = net.connect({ port: to, host, noDelay: true });
      let chunks = [];
      let buffered = 0;
      let need = -1; // bytes of the whole answer (headers + body) once its headers are in; -1 before
      let sentAt = 0;
      let status = 0;
      const send = () => {
        if (stopping || failure) {
          socket.end();
          return;
        }
        sentAt = performance.now();
        socket.write(ask);
      };
      socket.on('connect', send);
      socket.on('data', (chunk) => {
        chunks.push(chunk);
        buffered += chunk.length;
        if (need < 0) {
          const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          chunks = [all];
          const end = all.indexOf(HEADER_END);
          if (end < 0) return;
          const head = all.subarray(0, end).toString('latin1');
          status = Number(head.slice(9, 12));
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          if (!length) {
            failure = new Error(`an answer without Content-Length (${head.split('\r\n')[0]}): this generator times framed answers only`);
            socket.destroy();
            return;
          }
          need = end + 4 + Number(length[1]);
          bodyBytes = Number(length[1]);
        }
        if (buffered < need) return;
        if (buffered > need) {
          failure = new Error('more bytes than one answer: the server sent something unasked');
          socket.destroy();
          return;
        }
        if (counting) {
          latencies.push(performance.now() - sentAt);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
        chunks = [];
        buffered = 0;
        need = -1;
        send();
      });
      socket.on('error', (err) => {
        if (!stopping) failure ??= err;
      });
      socket.on('close', resolve);
    });

  const running = Array.from({ length: connections }, connection);
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  counting = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const elapsed = (performance.now() - started) / 1000;
  stopping = true;
  await Promise.all(running);
  if (failure) throw failure;
  const ok = statuses.get(200) ?? 0;
  return {
    requests: latencies.length,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: Math.max(...latencies),
    non200: latencies.length - ok,
    bodyBytes,
  };
}
