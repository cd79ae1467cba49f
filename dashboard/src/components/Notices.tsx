import type { ReactNode } from 'react';
import { ApiError } from '../lib/api';

/** Messages the pages share: an error from the gateway, an empty state, the viewer's read-only note. */

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'forbidden') return `Not allowed: ${error.message}`;
    if (error.code === 'csrf_failed') return 'The gateway refused the change (CSRF check failed). Reload the page and try again.';
    return error.message;
  }
  if (error instanceof TypeError) return 'The gateway could not be reached.';
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p className="notice notice-error" role="alert">
      {errorText(error)}
    </p>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="notice notice-empty">{children}</p>;
}

export const NO_TRAFFIC = (
  <>
    No traffic yet — send a request or run <code>switchboard demo</code>.
  </>
);

export function ReadOnlyNote() {
  return <p className="notice notice-readonly">read-only (viewer): you can see everything here but change nothing.</p>;
}

export function Loading({ label }: { label: string }) {
  return (
    <p className="loading" role="status">
      Loading {label}…
    </p>
  );
}
