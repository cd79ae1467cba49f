#!/usr/bin/env node
// A tiny stand-in for the provider simulator: OpenAI chat completions over plain node:http.
// Used by the benchmark with `--upstream stub` (and while developing the harness before the
// real simulator existed). It understands the same per-request directive as the simulator:
// `#sim{"outputTokens":N}` in the last user message sets the number of output tokens, one token
// per SSE chunk. Non-streaming requests default to 16 output tokens, streams to 100.
//
//   node stub-upstream.mjs [--host 127.0.0.1] [--port 0] [--chunk-delay-ms 0]
// Prints `stub upstream listening on http://HOST:PORT` when ready.
import http from 'node:http';

const args = parseArgs(process.argv.slice(2));
const host = args.host ?? '127.0.0.1';
const port = Number(args.port ?? 0);
const MAX_TOKENS = 4096;
// Pause between stream chunks, in ms; 0 (default) sends each chunk on the next turn of the event loop.
const chunkDelayMs = Number(args['chunk-delay-ms'] ?? 0);

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

function directive(messages) {
  if (!Array.isArray(messages)) return {};
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!m || m.role !== 'user') continue;
    const text = typeof m.content === 'string'
      ? m.content
      : Array.isArray(m.content) ? m.content.map((p) => (p && p.type === 'text' ? p.text : '')).join('') : '';
    const at = text.indexOf('#sim{');
    if (at < 0) return {};
    // The directive's JSON object runs to its matching closing brace.
    let depth = 0;
    for (let j = at + 4; j < text.length; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}' && --depth === 0) {
        try { return JSON.parse(text.slice(at + 4, j + 1)); } catch { return {}; }
      }
    }
    return {};
  }
  return {};
}

function sendJson(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let seq = 0;
function completion(req, res, body) {
  const d = directive(body.messages);
  const stream = body.stream === true;
  const n = Math.max(1, Math.min(MAX_TOKENS, Number.isFinite(d.outputTokens) ? Math.trunc(d.outputTokens) : stream ? 100 : 16));
  const id = `chatcmpl-stub-${(++seq).toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const model = typeof body.model === 'string' ? body.model : 'sim-model';
  const promptTokens = 12;
  const usage = { prompt_tokens: promptTokens, completion_tokens: n, total_tokens: promptTokens + n };
  if (!stream) {
    sendJson(res, 200, {
      id, object: 'chat.completion', created, model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'tok '.repeat(n) }, finish_reason: 'stop', logprobs: null }],
      usage,
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const includeUsage = body.stream_options && body.stream_options.include_usage === true;
  const head = `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[`;
  let i = 0;
  let closed = false;
  res.on('close', () => { closed = true; });
  // One token per chunk, each chunk on its own turn of the event loop, as a real host's would arrive.
  const step = () => {
    if (closed) return;
    if (i === 0) {
      res.write(`data: ${head}{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n`);
    }
    if (i < n) {
      res.write(`data: ${head}{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}\n\n`);
      i++;
      if (chunkDelayMs > 0) setTimeout(step, chunkDelayMs);
      else setImmediate(step);
      return;
    }
    res.write(`data: ${head}{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n`);
    if (includeUsage) res.write(`data: ${head}],"usage":${JSON.stringify(usage)}}\n\n`);
    res.end('data: [DONE]\n\n');
  };
  step();
}

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && (url === '/health' || url === '/')) return sendJson(res, 200, { ok: true });
  if (req.method === 'GET' && url === '/v1/models') {
    return sendJson(res, 200, { object: 'list', data: [{ id: 'sim-model', object: 'model', created: 0, owned_by: 'stub' }] });
  }
  if (req.method === 'POST' && url.split('?')[0] === '/v1/chat/completions') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body;
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch {
        return sendJson(res, 400, { error: { message: 'invalid JSON body', type: 'invalid_request_error', code: null } });
      }
      completion(req, res, body);
    });
    return;
  }
  sendJson(res, 404, { error: { message: `no route ${req.method} ${url}`, type: 'invalid_request_error', code: null } });
});
server.headersTimeout = 10_000;

server.listen(port, host, () => {
  const a = server.address();
  console.log(`stub upstream listening on http://${a.address}:${a.port}`);
});

const stop = () => server.close(() => process.exit(0)).closeAllConnections?.();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
