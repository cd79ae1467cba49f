import { useEffect, useRef, type ReactNode } from 'react';
import { ErrorNotice, Loading } from '../../components/Notices';
import { StatusBadge } from '../../components/StatusBadge';
import { api } from '../../lib/api';
import type { RequestRecord } from '../../lib/api-types';
import { DASH, formatDateTime, formatInt, formatMs, formatUsd } from '../../lib/format';
import { hrefOf } from '../../lib/router';
import { useResource } from '../../lib/use-resource';
import { statusTone } from './RequestsTable';
import { RoutingDecision } from './RoutingDecision';

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function costText(usd: number | null | undefined): string {
  return usd === undefined ? DASH : usd === null ? 'unpriced' : formatUsd(usd);
}

function tokensText(r: RequestRecord): string {
  if (r.inputTokens === undefined && r.outputTokens === undefined) return DASH;
  const parts = [`${formatInt(r.inputTokens ?? 0)} in`];
  if (r.cachedInputTokens) parts.push(`${formatInt(r.cachedInputTokens)} of them cached`);
  parts.push(`${formatInt(r.outputTokens ?? 0)} out`);
  if (r.reasoningTokens) parts.push(`${formatInt(r.reasoningTokens)} reasoning`);
  return `${parts.join(', ')}${r.tokensEstimated ? ' (estimated from the delivered text)' : ''}`;
}

function Summary({ r }: { r: RequestRecord }) {
  const served = r.model ?? r.served?.model;
  const provider = r.provider ?? r.served?.provider;
  const savings = typeof r.costUsd === 'number' && typeof r.baselineCostUsd === 'number' ? r.baselineCostUsd - r.costUsd : undefined;
  return (
    <dl className="facts">
      <Fact label="Time">{formatDateTime(r.at)}</Fact>
      <Fact label="Route">{`${r.route}${r.stream ? ', streamed' : ''}`}</Fact>
      <Fact label="Status">
        <StatusBadge tone={statusTone(r.status)}>{`${r.status} ${r.outcome}${r.errorCode ? ` (${r.errorCode})` : ''}`}</StatusBadge>
      </Fact>
      <Fact label="Key / team">{`${r.keyId ?? 'admin key or open mode'}${r.teamId ? ` / ${r.teamId}` : ''}`}</Fact>
      <Fact label="Requested model">{`${r.requestedModel}${r.fallbackModels?.length ? ` (fallbacks: ${r.fallbackModels.join(', ')})` : ''}`}</Fact>
      <Fact label="Served by">{served ? `${served} @ ${provider ?? '?'}` : 'not served'}</Fact>
      <Fact label="Provenance">
        {[r.origin ? `origin ${r.origin}` : '', r.jurisdiction ? `hosted in ${r.jurisdiction}` : '', r.license ?? '', r.openWeights === undefined ? '' : r.openWeights ? 'open weights' : 'closed weights']
          .filter(Boolean)
          .join(' · ') || DASH}
      </Fact>
      <Fact label="Latency">{`${formatMs(r.latencyMs)}${r.ttftMs !== undefined ? `, first token ${formatMs(r.ttftMs)}` : ''}`}</Fact>
      <Fact label="Tokens">{tokensText(r)}</Fact>
      <Fact label="Cost">{costText(r.costUsd)}</Fact>
      <Fact label="Baseline cost">{`${costText(r.baselineCostUsd)}${r.baselineModel ? ` (${r.baselineModel})` : ''}${savings !== undefined ? `, saving ${formatUsd(savings)}` : ''}`}</Fact>
      <Fact label="Data class / policy">{`${r.dataClass ?? 'none'} / ${r.policy ?? 'none'}`}</Fact>
      {r.blocked?.length ? <Fact label="Blocks applied">{r.blocked.join('; ')}</Fact> : null}
      {r.tags?.length ? <Fact label="Tags">{r.tags.join(', ')}</Fact> : null}
      {r.warnings?.length ? <Fact label="Warnings">{r.warnings.join('; ')}</Fact> : null}
    </dl>
  );
}

/** One request: what was asked, what answered, what it cost, and why the gateway routed it as it did. */
export function RequestDetail({ id }: { id: string }) {
  const detail = useResource((signal) => api.request(id, signal), [id]);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [id]);

  return (
    <section className="panel detail" aria-labelledby="request-detail-title">
      <div className="panel-header">
        <h2 id="request-detail-title" ref={heading} tabIndex={-1}>
          Request <code>{id}</code>
        </h2>
        <a href={hrefOf('requests')} className="button-link">
          Close detail
        </a>
      </div>
      <ErrorNotice error={detail.error} />
      {!detail.data && detail.loading ? <Loading label="the request" /> : null}
      {detail.data ? (
        <>
          <Summary r={detail.data} />
          <RoutingDecision r={detail.data} />
          {detail.data.prompt !== undefined || detail.data.completion !== undefined ? (
            <details className="content">
              <summary>Stored prompt and completion (redacted)</summary>
              {detail.data.prompt !== undefined ? <pre aria-label="Prompt">{detail.data.prompt}</pre> : null}
              {detail.data.completion !== undefined ? <pre aria-label="Completion">{detail.data.completion}</pre> : null}
            </details>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
