import type { BreakdownRow, ConcentrationRow, DrillResult, DrillWithout } from './drill.js';

/** The exit drill's result as a text table and as a self-contained HTML page (inline CSS and SVG; nothing fetched). */

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const money = (usd: number): string => `${usd < 0 ? '-' : ''}$${Math.abs(usd).toFixed(usd !== 0 && Math.abs(usd) < 0.01 ? 6 : 2)}`;
const signed = (usd: number): string => (usd > 0 ? `+${money(usd)}` : money(usd));

export function describeWithout(w: DrillWithout): string {
  if ('origin' in w) return `origin ${w.origin}`;
  if ('provider' in w) return `provider ${w.provider}`;
  return `model ${w.model}`;
}

function table(head: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

function concentrationTable(rows: ConcentrationRow[]): string {
  return table(
    ['NAME', 'REQUESTS', 'SHARE', 'TOKENS', 'SHARE', 'SPEND', 'SHARE', ''],
    rows.map((r) => [r.name, String(r.requests), pct(r.requestShare), String(r.tokens), pct(r.tokenShare), money(r.costUsd), pct(r.costShare), r.flagged ? 'FLAG' : '']),
    new Set([1, 2, 3, 4, 5, 6]),
  );
}

function breakdownTable(title: string, rows: BreakdownRow[]): string {
  if (rows.length === 0) return '';
  return `${title}\n${table(
    ['NAME', 'REQUESTS', 'TOKENS', 'SPEND', 'REROUTED', 'NO ROUTE', 'COST Δ'],
    rows.map((r) => [r.name, String(r.requests), String(r.tokens), money(r.costUsd), String(r.rerouted), String(r.unroutable), signed(r.costDeltaUsd)]),
    new Set([1, 2, 3, 4, 5, 6]),
  )}\n`;
}

export function drillTable(r: DrillResult): string {
  const out: string[] = [];
  const share = r.total.requests > 0 ? ` (${pct(r.affected.requests / r.total.requests)} of requests)` : '';
  out.push(`Exit drill without ${r.without.map(describeWithout).join(', ')}`);
  out.push(`Window: ${r.window.from} → ${r.window.to} (${r.window.since})`);
  out.push(`Traffic: ${r.total.requests} requests, ${r.total.tokens} tokens, ${money(r.total.costUsd)}`);
  out.push(`Affected: ${r.affected.requests} requests${share}, ${r.affected.tokens} tokens, ${money(r.affected.costUsd)}`);
  const delta = r.rerouted.reduce((s, x) => s + x.costDeltaUsd, 0);
  out.push(`Rerouted: ${r.rerouted.reduce((s, x) => s + x.requests, 0)} requests, cost ${signed(delta)}; no route: ${r.unroutable.requests} requests\n`);
  if (r.rerouted.length > 0) {
    out.push('Where the traffic would go');
    out.push(
      table(
        ['FROM', 'TO', 'VIA', 'REQUESTS', 'TOKENS', 'COST Δ'],
        r.rerouted.map((x) => [x.from, x.to, x.via, String(x.requests), String(x.tokens), `${signed(x.costDeltaUsd)}${x.unpricedRequests > 0 ? ` (${x.unpricedRequests} unpriced)` : ''}`]),
        new Set([3, 4, 5]),
      ),
    );
    out.push('');
  }
  if (r.unroutable.byModel.length > 0) {
    out.push('No route at all');
    out.push(table(['MODEL', 'REQUESTS', 'WHY'], r.unroutable.byModel.map((x) => [x.model, String(x.requests), x.reason]), new Set([1])));
    out.push('');
  }
  for (const [title, rows] of [['By key', r.breakdown.byKey], ['By team', r.breakdown.byTeam], ['By model', r.breakdown.byModel]] as const) {
    const t = breakdownTable(title, rows);
    if (t) out.push(t);
  }
  const c = r.concentration;
  out.push(`Concentration of the recorded traffic (flagged above ${pct(c.threshold)})`);
  for (const [title, rows] of [['Developer', c.byDeveloper], ['Origin', c.byOrigin], ['Jurisdiction', c.byJurisdiction], ['Licence', c.byLicense]] as const) {
    out.push(`${title}\n${concentrationTable(rows)}`);
  }
  out.push(c.flags.length > 0 ? `\nFlags:\n${c.flags.map((f) => `  - ${f}`).join('\n')}` : '\nNo single dependency above the threshold.');
  return `${out.join('\n')}\n`;
}

// -- HTML ----------------------------------------------------------------------------------------------------

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

const PALETTE = ['#2f6fde', '#e07b39', '#3aa675', '#c84f7d', '#8a63d2', '#b8a03a', '#4aa3b5', '#7f7f7f'];

/** A horizontal bar chart of shares (0–1), with the threshold drawn as a dashed line. */
function shareChart(title: string, rows: { label: string; share: number; flagged?: boolean }[], threshold?: number): string {
  const barH = 22;
  const gap = 6;
  const labelW = 220;
  const chartW = 360;
  const h = rows.length * (barH + gap) + 30;
  const bars = rows
    .map((r, i) => {
      const y = 24 + i * (barH + gap);
      const w = Math.max(1, Math.round(r.share * chartW));
      const fill = r.flagged ? '#d64545' : PALETTE[i % PALETTE.length]!;
      return `<text x="${labelW - 8}" y="${y + barH * 0.7}" text-anchor="end" class="l">${esc(r.label)}</text>
<rect x="${labelW}" y="${y}" width="${w}" height="${barH}" fill="${fill}" rx="3"><title>${esc(r.label)}: ${pct(r.share)}</title></rect>
<text x="${labelW + w + 6}" y="${y + barH * 0.7}" class="v">${pct(r.share)}</text>`;
    })
    .join('\n');
  const line =
    threshold === undefined
      ? ''
      : `<line x1="${labelW + threshold * chartW}" x2="${labelW + threshold * chartW}" y1="18" y2="${h - 4}" stroke="#d64545" stroke-dasharray="4 3"/>`;
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${labelW + chartW + 70}" height="${h}" role="img" aria-label="${esc(title)}">
${bars}
${line}
</svg></figure>`;
}

/** A diverging bar chart of cost deltas (USD) per reroute. */
function deltaChart(rows: { label: string; delta: number }[]): string {
  if (rows.length === 0) return '';
  const barH = 22;
  const gap = 6;
  const labelW = 360;
  const half = 180;
  const max = Math.max(...rows.map((r) => Math.abs(r.delta)), 1e-9);
  const h = rows.length * (barH + gap) + 20;
  const zero = labelW + half;
  const bars = rows
    .map((r, i) => {
      const y = 10 + i * (barH + gap);
      const w = Math.max(1, Math.round((Math.abs(r.delta) / max) * half));
      const x = r.delta >= 0 ? zero : zero - w;
      return `<text x="${labelW - 8}" y="${y + barH * 0.7}" text-anchor="end" class="l">${esc(r.label)}</text>
<rect x="${x}" y="${y}" width="${w}" height="${barH}" fill="${r.delta > 0 ? '#d64545' : '#3aa675'}" rx="3"><title>${esc(r.label)}: ${signed(r.delta)}</title></rect>
<text x="${r.delta >= 0 ? zero + w + 6 : zero - w - 6}" y="${y + barH * 0.7}" text-anchor="${r.delta >= 0 ? 'start' : 'end'}" class="v">${signed(r.delta)}</text>`;
    })
    .join('\n');
  return `<figure><figcaption>Cost difference per reroute (red: dearer, green: cheaper)</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${labelW + 2 * half + 90}" height="${h}" role="img" aria-label="cost difference per reroute">
<line x1="${zero}" x2="${zero}" y1="4" y2="${h - 4}" stroke="#999"/>
${bars}
</svg></figure>`;
}

function htmlTable(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function drillHtml(r: DrillResult): string {
  const c = r.concentration;
  const after = r.concentrationAfter;
  const dims = [
    ['developer', c.byDeveloper, after.byDeveloper],
    ['origin country', c.byOrigin, after.byOrigin],
    ['host jurisdiction', c.byJurisdiction, after.byJurisdiction],
    ['licence', c.byLicense, after.byLicense],
  ] as const;
  const title = `Exit drill without ${r.without.map(describeWithout).join(', ')}`;
  const delta = r.rerouted.reduce((s, x) => s + x.costDeltaUsd, 0);
  const affectedShare = r.total.requests > 0 ? r.affected.requests / r.total.requests : 0;
  const breakdown = (name: string, rows: BreakdownRow[]) =>
    rows.length === 0
      ? ''
      : `<h3>${esc(name)}</h3>${htmlTable(
          ['name', 'requests', 'tokens', 'spend', 'rerouted', 'no route', 'cost Δ'],
          rows.map((x) => [x.name, String(x.requests), String(x.tokens), money(x.costUsd), String(x.rerouted), String(x.unroutable), signed(x.costDeltaUsd)]),
        )}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;min-width:180px}
.card b{display:block;font-size:1.4rem}table{border-collapse:collapse;margin:.6rem 0}th,td{border-bottom:1px solid #eee;padding:.3rem .7rem;text-align:left}
td:not(:first-child){font-variant-numeric:tabular-nums}.flag{color:#b42318;font-weight:600}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}
svg .l{font-size:12px;fill:#333}svg .v{font-size:12px;fill:#555}.pair{display:flex;gap:2rem;flex-wrap:wrap}.muted{color:#666}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="muted">Window ${esc(r.window.from)} → ${esc(r.window.to)} (${esc(r.window.since)}). Recorded traffic replayed against today's catalogue and policies.</p>
<div class="cards">
<div class="card">Traffic<b>${r.total.requests}</b>requests · ${r.total.tokens} tokens · ${money(r.total.costUsd)}</div>
<div class="card">Affected<b>${r.affected.requests}</b>${pct(affectedShare)} of requests · ${r.affected.tokens} tokens · ${money(r.affected.costUsd)}</div>
<div class="card">Rerouted<b>${r.rerouted.reduce((s, x) => s + x.requests, 0)}</b>cost ${signed(delta)}</div>
<div class="card">No route<b>${r.unroutable.requests}</b>${r.unroutable.tokens} tokens · ${money(r.unroutable.costUsd)}</div>
</div>
<h2>Where the traffic would go</h2>
${r.rerouted.length === 0 ? '<p>Nothing to reroute.</p>' : htmlTable(['from', 'to', 'via', 'requests', 'tokens', 'cost Δ', 'unpriced'], r.rerouted.map((x) => [x.from, x.to, x.via, String(x.requests), String(x.tokens), signed(x.costDeltaUsd), String(x.unpricedRequests)]))}
${deltaChart(r.rerouted.map((x) => ({ label: `${x.from} → ${x.to}`, delta: x.costDeltaUsd })))}
<h2>No route at all</h2>
${r.unroutable.byModel.length === 0 ? '<p>Every affected request has somewhere to go.</p>' : htmlTable(['model', 'requests', 'why'], r.unroutable.byModel.map((x) => [x.model, String(x.requests), x.reason]))}
<h2>Who is affected</h2>
${breakdown('By key', r.breakdown.byKey)}${breakdown('By team', r.breakdown.byTeam)}${breakdown('By model', r.breakdown.byModel)}
<h2>Concentration</h2>
<p>Shares of requests, before the drill and had it been in force; a dependency above ${pct(c.threshold)} of requests, tokens or spend is flagged.</p>
${c.flags.length > 0 ? `<ul>${c.flags.map((f) => `<li class="flag">${esc(f)}</li>`).join('')}</ul>` : '<p>No single dependency above the threshold.</p>'}
${dims
  .map(
    ([name, now, then]) => `<h3>By ${esc(name)}</h3><div class="pair">${shareChart(
      'recorded',
      now.map((x) => ({ label: x.name, share: x.requestShare, flagged: x.flagged })),
      c.threshold,
    )}${shareChart(
      'after the drill',
      then.map((x) => ({ label: x.name, share: x.requestShare, flagged: x.flagged })),
      c.threshold,
    )}</div>${htmlTable(
      ['name', 'requests', 'share', 'tokens', 'share', 'spend', 'share', ''],
      now.map((x) => [x.name, String(x.requests), pct(x.requestShare), String(x.tokens), pct(x.tokenShare), money(x.costUsd), pct(x.costShare), x.flagged ? 'flagged' : '']),
    )}`,
  )
  .join('\n')}
</body></html>
`;
}
