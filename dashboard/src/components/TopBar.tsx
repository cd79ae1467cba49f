import type { Role } from '../lib/api-types';
import { PAGES, hrefOf, type PageName } from '../lib/router';

interface Props {
  page: PageName;
  role: Role;
  onSignOut: () => void;
}

export function TopBar({ page, role, onSignOut }: Props) {
  return (
    <header className="topbar">
      <span className="brand">Switchboard</span>
      <nav aria-label="Dashboard">
        <ul>
          {PAGES.map((p) => (
            <li key={p.name}>
              <a href={hrefOf(p.name)} aria-current={p.name === page ? 'page' : undefined}>
                {p.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="who">
        <span>
          Signed in as <strong>{role}</strong>
          {role === 'viewer' ? <span className="readonly-tag"> · read-only (viewer)</span> : null}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
