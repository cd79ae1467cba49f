import { useState } from 'react';
import { ErrorNotice, Loading } from '../components/Notices';
import { PageHeader } from '../components/PageHeader';
import { api } from '../lib/api';
import type { RequestFilter } from '../lib/api-types';
import { useResource } from '../lib/use-resource';
import { RequestDetail } from './requests/RequestDetail';
import { RequestFilters } from './requests/RequestFilters';
import { RequestsTable } from './requests/RequestsTable';

const PAGE_SIZE = 50;

type Filter = Pick<RequestFilter, 'keyId' | 'teamId' | 'model' | 'status'>;

/** The ledger, newest first, paged by time (`before`); a request's id in the hash opens its detail. */
export function RequestsPage({ selectedId }: { selectedId: string }) {
  const [filter, setFilter] = useState<Filter>({});
  // The `before` of each page shown so far: the last is the current page, popping goes back to newer ones.
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const before = pages[pages.length - 1];
  const list = useResource((signal) => api.requests({ ...filter, before, limit: PAGE_SIZE }, signal), [filter, before]);
  const rows = list.data?.data ?? [];
  const oldest = rows[rows.length - 1]?.at;

  return (
    <>
      <PageHeader title="Requests">
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </PageHeader>
      {selectedId ? <RequestDetail id={selectedId} /> : null}
      <RequestFilters
        value={filter}
        onApply={(next) => {
          setFilter(next);
          setPages([undefined]);
        }}
      />
      <ErrorNotice error={list.error} />
      {!list.data && list.loading ? <Loading label="requests" /> : null}
      {list.data ? <RequestsTable rows={rows} selectedId={selectedId} /> : null}
      <nav className="pager" aria-label="Request pages">
        <button type="button" onClick={() => setPages([undefined])} disabled={pages.length === 1}>
          Newest
        </button>
        <button type="button" onClick={() => setPages((p) => p.slice(0, -1))} disabled={pages.length === 1}>
          Newer
        </button>
        <span className="hint">Page {pages.length}</span>
        <button type="button" onClick={() => oldest && setPages((p) => [...p, oldest])} disabled={!oldest || rows.length < PAGE_SIZE}>
          Older
        </button>
      </nav>
    </>
  );
}
