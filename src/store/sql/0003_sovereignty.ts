/**
 * Migration 3: the sovereignty schema. Policies added through the admin API (the config file's are never stored),
 * blocks, and the audit log with its chain head. The same tables, columns and constraints in both dialects.
 *
 * - `blocks` rows are never deleted: unblocking sets `removed_at`/`removed_by`, so the history stays readable.
 * - `audit_log` is append-only (triggers refuse UPDATE, DELETE and TRUNCATE); `before`/`after` are canonical JSON
 *   kept as TEXT in both dialects, byte for byte what the MAC covers (JSONB would reorder keys).
 * - `audit_head` is the single chain-head row (seq and mac of the last row). Writers lock it (`SELECT … FOR UPDATE`
 *   on PostgreSQL; SQLite's BEGIN IMMEDIATE) before appending, so concurrent writers on any number of replicas
 *   queue and the chain cannot fork. Its `seq` doubles as the change counter replicas poll to refresh their
 *   policies and blocks.
 */

export const sqlite = `
CREATE TABLE policies (
  name       TEXT PRIMARY KEY,
  body       TEXT NOT NULL CHECK (json_valid(body)),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
) STRICT;

CREATE TABLE blocks (
  id         TEXT PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('origin', 'provider', 'model')),
  value      TEXT NOT NULL,
  reason     TEXT,
  until      TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  removed_at TEXT,
  removed_by TEXT
) STRICT;
CREATE INDEX blocks_removed_at_idx ON blocks (removed_at);

CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY CHECK (seq >= 1),
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  before      TEXT,
  after       TEXT,
  key_id      TEXT,
  prev_mac    TEXT NOT NULL,
  mac         TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id);

CREATE TABLE audit_head (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  mac TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, '');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`;

export const postgres = `
CREATE TABLE policies (
  name       TEXT PRIMARY KEY,
  body       JSONB NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE blocks (
  id         TEXT PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('origin', 'provider', 'model')),
  value      TEXT NOT NULL,
  reason     TEXT,
  until      TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  removed_at TEXT,
  removed_by TEXT
);
CREATE INDEX blocks_removed_at_idx ON blocks (removed_at);

CREATE TABLE audit_log (
  seq         BIGINT PRIMARY KEY CHECK (seq >= 1),
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  before      TEXT,
  after       TEXT,
  key_id      TEXT,
  prev_mac    TEXT NOT NULL,
  mac         TEXT NOT NULL
);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id);

CREATE TABLE audit_head (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  mac TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, '');

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
`;
