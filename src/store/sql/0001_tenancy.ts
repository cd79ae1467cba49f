/**
 * Migration 1: the tenancy schema. The same tables, columns and constraints in both dialects; only the types
 * differ (SQLite STRICT tables with INTEGER and TEXT; PostgreSQL BIGINT, BOOLEAN and JSONB).
 *
 * A reservation the sweeper released stays as a tombstone (`swept_at` set, its amount no longer reserved) for a
 * day, so that a late `settle` still records the request's spend instead of losing it.
 *
 * Times are ISO-8601 text. Times the store writes itself (reservations, alerts) are always in `toISOString()`
 * form, so their text order is time order in both dialects.
 */

export const sqlite = `
CREATE TABLE teams (
  id                TEXT PRIMARY KEY,
  name              TEXT NOT NULL,
  budget_limit_nano INTEGER CHECK (budget_limit_nano >= 0),
  budget_period     TEXT CHECK (budget_period IN ('day', 'month', 'total')),
  limits            TEXT CHECK (limits IS NULL OR json_valid(limits)),
  policy            TEXT,
  created_at        TEXT NOT NULL,
  created_by        TEXT NOT NULL,
  CHECK ((budget_limit_nano IS NULL) = (budget_period IS NULL))
) STRICT;
CREATE UNIQUE INDEX teams_name_key ON teams (name);

CREATE TABLE keys (
  id                TEXT PRIMARY KEY,
  name              TEXT NOT NULL,
  team_id           TEXT REFERENCES teams (id),
  hash              TEXT NOT NULL,
  budget_limit_nano INTEGER CHECK (budget_limit_nano >= 0),
  budget_period     TEXT CHECK (budget_period IN ('day', 'month', 'total')),
  limits            TEXT CHECK (limits IS NULL OR json_valid(limits)),
  policy            TEXT,
  models            TEXT CHECK (models IS NULL OR json_valid(models)),
  expires_at        TEXT,
  metadata          TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
  store_prompts     INTEGER CHECK (store_prompts IN (0, 1)),
  min_data_class    TEXT,
  created_at        TEXT NOT NULL,
  created_by        TEXT NOT NULL,
  revoked_at        TEXT,
  CHECK ((budget_limit_nano IS NULL) = (budget_period IS NULL))
) STRICT;
CREATE UNIQUE INDEX keys_hash_key ON keys (hash);
CREATE INDEX keys_team_id_idx ON keys (team_id);

CREATE TABLE tokens (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
  hash       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at TEXT
) STRICT;
CREATE UNIQUE INDEX tokens_hash_key ON tokens (hash);

CREATE TABLE budget_counters (
  scope         TEXT NOT NULL CHECK (scope IN ('key', 'team')),
  scope_id      TEXT NOT NULL,
  period        TEXT NOT NULL,
  spent_nano    INTEGER NOT NULL DEFAULT 0,
  reserved_nano INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, scope_id, period)
) STRICT, WITHOUT ROWID;

CREATE TABLE reservations (
  id          TEXT PRIMARY KEY,
  request_id  TEXT NOT NULL,
  amount_nano INTEGER NOT NULL CHECK (amount_nano >= 0),
  scopes      TEXT NOT NULL CHECK (json_valid(scopes)),
  created_at  TEXT NOT NULL,
  swept_at    TEXT
) STRICT;
CREATE INDEX reservations_created_at_idx ON reservations (created_at);

CREATE TABLE budget_alerts (
  scope     TEXT NOT NULL CHECK (scope IN ('key', 'team')),
  scope_id  TEXT NOT NULL,
  period    TEXT NOT NULL,
  threshold INTEGER NOT NULL,
  sent_at   TEXT NOT NULL,
  PRIMARY KEY (scope, scope_id, period, threshold)
) STRICT, WITHOUT ROWID;
`;

export const postgres = `
CREATE TABLE teams (
  id                TEXT PRIMARY KEY,
  name              TEXT NOT NULL,
  budget_limit_nano BIGINT CHECK (budget_limit_nano >= 0),
  budget_period     TEXT CHECK (budget_period IN ('day', 'month', 'total')),
  limits            JSONB,
  policy            TEXT,
  created_at        TEXT NOT NULL,
  created_by        TEXT NOT NULL,
  CHECK ((budget_limit_nano IS NULL) = (budget_period IS NULL))
);
CREATE UNIQUE INDEX teams_name_key ON teams (name);

CREATE TABLE keys (
  id                TEXT PRIMARY KEY,
  name              TEXT NOT NULL,
  team_id           TEXT REFERENCES teams (id),
  hash              TEXT NOT NULL,
  budget_limit_nano BIGINT CHECK (budget_limit_nano >= 0),
  budget_period     TEXT CHECK (budget_period IN ('day', 'month', 'total')),
  limits            JSONB,
  policy            TEXT,
  models            JSONB,
  expires_at        TEXT,
  metadata          JSONB,
  store_prompts     BOOLEAN,
  min_data_class    TEXT,
  created_at        TEXT NOT NULL,
  created_by        TEXT NOT NULL,
  revoked_at        TEXT,
  CHECK ((budget_limit_nano IS NULL) = (budget_period IS NULL))
);
CREATE UNIQUE INDEX keys_hash_key ON keys (hash);
CREATE INDEX keys_team_id_idx ON keys (team_id);

CREATE TABLE tokens (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
  hash       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at TEXT
);
CREATE UNIQUE INDEX tokens_hash_key ON tokens (hash);

CREATE TABLE budget_counters (
  scope         TEXT NOT NULL CHECK (scope IN ('key', 'team')),
  scope_id      TEXT NOT NULL,
  period        TEXT NOT NULL,
  spent_nano    BIGINT NOT NULL DEFAULT 0,
  reserved_nano BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, scope_id, period)
);

CREATE TABLE reservations (
  id          TEXT PRIMARY KEY,
  request_id  TEXT NOT NULL,
  amount_nano BIGINT NOT NULL CHECK (amount_nano >= 0),
  scopes      JSONB NOT NULL,
  created_at  TEXT COLLATE "C" NOT NULL,
  swept_at    TEXT
);
CREATE INDEX reservations_created_at_idx ON reservations (created_at);

CREATE TABLE budget_alerts (
  scope     TEXT NOT NULL CHECK (scope IN ('key', 'team')),
  scope_id  TEXT NOT NULL,
  period    TEXT NOT NULL,
  threshold INTEGER NOT NULL,
  sent_at   TEXT NOT NULL,
  PRIMARY KEY (scope, scope_id, period, threshold)
);
`;
