import { useEffect, useState } from 'react';
import { Loading, errorText } from './components/Notices';
import { SignIn, adminDisabledText } from './components/SignIn';
import { TopBar } from './components/TopBar';
import { ApiError, currentSession, onUnauthorized, signOut } from './lib/api';
import type { Session } from './lib/api-types';
import { useRoute, type Route } from './lib/router';
import { SessionContext } from './lib/session-context';
import { DrillPage } from './pages/Drill';
import { KeysPage } from './pages/Keys';
import { OverviewPage } from './pages/Overview';
import { PoliciesPage } from './pages/Policies';
import { ProvidersPage } from './pages/Providers';
import { RequestsPage } from './pages/Requests';

type Auth = { kind: 'checking' } | { kind: 'signed-out'; notice?: string } | { kind: 'signed-in'; session: Session };

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'keys':
      return <KeysPage />;
    case 'policies':
      return <PoliciesPage />;
    case 'providers':
      return <ProvidersPage />;
    case 'requests':
      return <RequestsPage selectedId={route.param} />;
    case 'drill':
      return <DrillPage />;
  }
}

export function App() {
  const [auth, setAuth] = useState<Auth>({ kind: 'checking' });
  const route = useRoute();

  useEffect(() => {
    onUnauthorized(() => setAuth({ kind: 'signed-out', notice: 'Your session has ended. Sign in again.' }));
    const controller = new AbortController();
    // A reload keeps the cookie but loses the CSRF token held in memory: the session endpoint hands it back.
    currentSession(controller.signal).then(
      (session) => setAuth(session ? { kind: 'signed-in', session } : { kind: 'signed-out' }),
      (err: unknown) => {
        if (controller.signal.aborted) return;
        const notice = err instanceof ApiError && err.code === 'admin_disabled' ? adminDisabledText(err) : errorText(err);
        setAuth({ kind: 'signed-out', notice });
      },
    );
    return () => {
      controller.abort();
      onUnauthorized(undefined);
    };
  }, []);

  if (auth.kind === 'checking') return <Loading label="the session" />;
  if (auth.kind === 'signed-out') return <SignIn notice={auth.notice} onSignedIn={(session) => setAuth({ kind: 'signed-in', session })} />;

  const leave = () => {
    signOut()
      .catch(() => undefined)
      .finally(() => setAuth({ kind: 'signed-out', notice: 'Signed out.' }));
  };

  return (
    <SessionContext.Provider value={{ role: auth.session.role }}>
      <TopBar page={route.page} role={auth.session.role} onSignOut={leave} />
      <main className="page" id="main">
        <Page key={route.page} route={route} />
      </main>
    </SessionContext.Provider>
  );
}
