#!/usr/bin/env node
// The floor: the least any Node gateway must do. A plain node:http server that reads the JSON
// request body, parses it, re-serializes it, forwards it over an undici keep-alive Pool to one
// upstream, and pipes the answer (JSON or SSE, chunk by chunk) back. No auth, no routing, no
// logging, no accounting. A gateway's throughput and added latency are read against this.
//
//   node floor-proxy.mjs --upstream http://127.0.0.1:SIMPORT/v1 [--host 127.0.0.1] [--port 0] [--connections 128]
// Prints `floor proxy listening on http://HOST:PORT` when ready.
import http from 'node:http';
import { Pool } from 'undici';

const args = parseArgs(process.argv.slice(2));
const host = args.host ?? '127.0.0.1';
const port = Number(args.port ?? 0);
if (typeof args.upstream !== 'string') {
  console.error('floor-proxy: --upstream http://HOST:PORT/v1 is required');
  process.exit(2);
}
const upstream = new URL(args.upstream);
const basePath = upstream.pathname.replace(/\/+$/, ''); // e.g. "/v1"
const pool = new Pool(upstream.origin, {
  connections: Number(args.connections ?? 128),
  pipelining: 1,
  keepAliveTimeout: 60_000,
  keepAliveMaxTimeout: 600_000,
});

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = true;
  }
  return out;
}

function fail(res, status, message) {
  if (res.headersSent) { res.destroy(); return; }
  const body = JSON.stringify({ error: { message, type: 'floor_proxy_error', code: null } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

// Response headers worth passing back; hop-by-hop ones (connection, keep-alive,
// transfer-encoding) belong to each connection and are set by node:http itself.
const PASS_BACK = ['content-type', 'cache-control', 'x-request-id', 'retry-after'];

const server = http.createServer({ keepAliveTimeout: 65_000, noDelay: true }, (req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && (url === '/health' || url === '/')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
    return;
  }
  if (req.method !== 'POST' || !url.startsWith('/v1/')) return fail(res, 404, `no route ${req.method} ${url}`);
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('error', () => res.destroy());
  req.on('end', () => {
    let payload;
    try {
      payload = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      return fail(res, 400, 'invalid JSON body');
    }
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const ac = new AbortController();
    res.on('close', () => { if (!res.writableFinished) ac.abort(); });
    pool.request({ method: 'POST', path: basePath + url.slice(3), headers, body: payload, signal: ac.signal })
      .then(({ statusCode, headers: upHeaders, body }) => {
        const out = {};
        for (const h of PASS_BACK) if (upHeaders[h] !== undefined) out[h] = upHeaders[h];
        res.writeHead(statusCode, out);
        body.on('data', (chunk) => {
          // Respect back-pressure from the client side.
          if (!res.write(chunk)) { body.pause(); res.once('drain', () => body.resume()); }
        });
        body.on('end', () => res.end());
        body.on('error', () => res.destroy());
      })
      .catch((err) => {
        if (ac.signal.aborted) return;
        fail(res, 502, `upstream error: ${err && err.message ? err.message : String(err)}`);
      });
  });
});
server.headersTimeout = 10_000;

server.listen(port, host, () => {
  const a = server.address();
  console.log(`floor proxy listening on http://${a.address}:${a.port}`);
});

const stop = () => {
  server.close(() => { pool.close().finally(() => process.exit(0)); });
  server.closeIdleConnections?.();
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
