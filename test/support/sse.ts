/** Splits an SSE body into the payloads of its `data:` events, in order (`[DONE]` included as text). */
export function sseData(body: string): string[] {
  const out: string[] = [];
  for (const event of body.split(/\r?\n\r?\n/)) {
    const lines = event.split(/\r?\n/).filter((l) => l.startsWith('data:'));
    if (lines.length > 0) out.push(lines.map((l) => l.slice(5).replace(/^ /, '')).join('\n'));
  }
  return out;
}

/** POSTs JSON to the URL and returns the response; `scenario` goes in the x-sim-scenario header. */
export function postJson(url: string, body: unknown, scenario?: object, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (scenario) h['x-sim-scenario'] = JSON.stringify(scenario);
  return fetch(url, { method: 'POST', headers: h, body: typeof body === 'string' ? body : JSON.stringify(body) });
}
