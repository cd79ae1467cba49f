import { useId, useState, type FormEvent } from 'react';
import { ApiError, signIn } from '../lib/api';
import type { Session } from '../lib/api-types';
import { errorText } from './Notices';

interface Props {
  onSignedIn: (session: Session) => void;
  /** Why the form is shown again (a session that ended), or the gateway's admin_disabled hint. */
  notice?: string;
}

/** The gateway's own hint (set SWITCHBOARD_ADMIN_KEY and restart) when it has no admin key. */
export function adminDisabledText(error: ApiError): string {
  return `Sign-in is unavailable: ${error.message}`;
}

function refusalText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'That admin key or token was not accepted.';
    if (error.code === 'admin_disabled') return adminDisabledText(error);
  }
  return errorText(error);
}

/**
 * The credential is read from the form once, sent in the body of POST /admin/session, and the field is cleared:
 * it is never held in state, storage or the URL. The gateway answers with an HttpOnly session cookie.
 */
export function SignIn({ onSignedIn, notice }: Props) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const helpId = useId();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const credential = String(new FormData(form).get('credential') ?? '').trim();
    form.reset();
    if (credential === '') {
      setError('Enter the admin key or a token from /admin/tokens.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(credential));
    } catch (err) {
      setError(refusalText(err));
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="signin-card" onSubmit={(e) => void submit(e)} autoComplete="off">
        <h1>Switchboard</h1>
        <p className="muted">Sign in to the gateway's dashboard.</p>
        {notice ? (
          <p className="notice notice-info" role="status">
            {notice}
          </p>
        ) : null}
        <label htmlFor="credential">Admin key</label>
        <input id="credential" name="credential" type="password" autoComplete="off" spellCheck={false} aria-describedby={helpId} required />
        <p id={helpId} className="hint">
          The gateway's admin key, or a person's token (<code>sbt-…</code>) from <code>POST /admin/tokens</code>. A viewer token can read but change nothing.
        </p>
        {error ? (
          <p className="notice notice-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
