/**
 * Migration 2: the usage ledger (docs/ledger.md).
 *
 * - `ledger_records`: one row per request, keyed by the request id (a retried batch inserts nothing twice).
 *   Deleted after `ledger.retentionDays`; the roll-ups below are kept.
 * - `ledger_rollup`: everyone's hourly sums per dimension (`dim`: all, model, provider, origin, …) and value. `scope`
 *   is '' (kept in the key so that other scopes can be added without a new table). `bucket` is whole hours since
 *   1970-01-01T00:00Z.
 * - `ledger_tenant_rollup`: each key's hourly sums per (team, model, host, origin, open weights), from which a key or
 *   a team reads its own usage grouped by any of them; `ledger_tenant_tags`: the same per tag.
 * - `ledger_host_rollup`: per host (provider, model) and hour, attempts, errors and two fixed-bucket histograms
 *   (attempt latency, time to first token) from which percentiles are read; never raw values.
 *
 * JSON columns (attempts, decision, tags, blocked) are TEXT in both dialects: written once and never queried inside.
 *
 * The SQL is written out here rather than generated from the ledger's code so that this migration never changes
 * once shipped. The histogram has 19 buckets (`lat_00` … `lat_18`, `ttft_00` … `ttft_18`) whose upper bounds are
 * listed in src/ledger/rollup.ts.
 */

const HISTOGRAM_BUCKETS = 19;

function histogramColumns(type: string): string {
  const cols: string[] = [];
  for (const prefix of ['lat', 'ttft']) {
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) cols.push(`  ${prefix}_${String(i).padStart(2, '0')} ${type} NOT NULL DEFAULT 0`);
  }
  return cols.join(',\n');
}

export const sqlite = `
CREATE TABLE ledger_records (
  id                  TEXT PRIMARY KEY,
  at                  TEXT NOT NULL,
  hour                INTEGER NOT NULL,
  route               TEXT NOT NULL,
  stream              INTEGER NOT NULL,
  key_id              TEXT,
  team_id             TEXT,
  requested_model     TEXT NOT NULL,
  model               TEXT,
  provider            TEXT,
  origin              TEXT,
  jurisdiction        TEXT,
  license             TEXT,
  open_weights        INTEGER,
  developer           TEXT,
  input_tokens        INTEGER,
  cached_input_tokens INTEGER,
  output_tokens       INTEGER,
  reasoning_tokens    INTEGER,
  tokens_estimated    INTEGER NOT NULL DEFAULT 0,
  cost_nano           INTEGER,
  attempts_cost_nano  INTEGER,
  baseline_cost_nano  INTEGER,
  baseline_model      TEXT,
  latency_ms          INTEGER NOT NULL,
  ttft_ms             INTEGER,
  status              INTEGER NOT NULL,
  outcome             TEXT NOT NULL,
  error_code          TEXT,
  data_class          TEXT,
  policy              TEXT,
  blocked             TEXT,
  tags                TEXT,
  attempts            TEXT NOT NULL,
  prompt              TEXT,
  completion          TEXT,
  decision            TEXT
) STRICT;
CREATE INDEX ledger_records_at ON ledger_records (at);

CREATE TABLE ledger_rollup (
  scope               TEXT NOT NULL,
  dim                 TEXT NOT NULL,
  bucket              INTEGER NOT NULL,
  value               TEXT NOT NULL,
  requests            INTEGER NOT NULL DEFAULT 0,
  errors              INTEGER NOT NULL DEFAULT 0,
  priced_requests     INTEGER NOT NULL DEFAULT 0,
  estimated_requests  INTEGER NOT NULL DEFAULT 0,
  input_tokens        INTEGER NOT NULL DEFAULT 0,
  cached_input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens       INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens    INTEGER NOT NULL DEFAULT 0,
  cost_nano           INTEGER NOT NULL DEFAULT 0,
  baseline_nano       INTEGER NOT NULL DEFAULT 0,
  latency_ms          INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, dim, bucket, value)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger_tenant_rollup (
  key_id              TEXT NOT NULL,
  bucket              INTEGER NOT NULL,
  team_id             TEXT NOT NULL,
  model               TEXT NOT NULL,
  provider            TEXT NOT NULL,
  origin              TEXT NOT NULL,
  open_weights        TEXT NOT NULL,
  requests            INTEGER NOT NULL DEFAULT 0,
  errors              INTEGER NOT NULL DEFAULT 0,
  priced_requests     INTEGER NOT NULL DEFAULT 0,
  estimated_requests  INTEGER NOT NULL DEFAULT 0,
  input_tokens        INTEGER NOT NULL DEFAULT 0,
  cached_input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens       INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens    INTEGER NOT NULL DEFAULT 0,
  cost_nano           INTEGER NOT NULL DEFAULT 0,
  baseline_nano       INTEGER NOT NULL DEFAULT 0,
  latency_ms          INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, bucket, team_id, model, provider, origin, open_weights)
) STRICT, WITHOUT ROWID;
CREATE INDEX ledger_tenant_rollup_team ON ledger_tenant_rollup (team_id, bucket);

CREATE TABLE ledger_tenant_tags (
  key_id              TEXT NOT NULL,
  bucket              INTEGER NOT NULL,
  team_id             TEXT NOT NULL,
  tag                 TEXT NOT NULL,
  requests            INTEGER NOT NULL DEFAULT 0,
  errors              INTEGER NOT NULL DEFAULT 0,
  priced_requests     INTEGER NOT NULL DEFAULT 0,
  estimated_requests  INTEGER NOT NULL DEFAULT 0,
  input_tokens        INTEGER NOT NULL DEFAULT 0,
  cached_input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens       INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens    INTEGER NOT NULL DEFAULT 0,
  cost_nano           INTEGER NOT NULL DEFAULT 0,
  baseline_nano       INTEGER NOT NULL DEFAULT 0,
  latency_ms          INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, bucket, team_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX ledger_tenant_tags_team ON ledger_tenant_tags (team_id, bucket);

CREATE TABLE ledger_host_rollup (
  bucket              INTEGER NOT NULL,
  provider            TEXT NOT NULL,
  model               TEXT NOT NULL,
  attempts            INTEGER NOT NULL DEFAULT 0,
  errors              INTEGER NOT NULL DEFAULT 0,
  latency_ms          INTEGER NOT NULL DEFAULT 0,
  ttft_count          INTEGER NOT NULL DEFAULT 0,
  ttft_ms             INTEGER NOT NULL DEFAULT 0,
${histogramColumns('INTEGER')},
  PRIMARY KEY (bucket, provider, model)
) STRICT, WITHOUT ROWID;
`;

export const postgres = `
CREATE TABLE ledger_records (
  id                  TEXT COLLATE "C" PRIMARY KEY,
  at                  TEXT COLLATE "C" NOT NULL,
  hour                BIGINT NOT NULL,
  route               TEXT NOT NULL,
  stream              BOOLEAN NOT NULL,
  key_id              TEXT,
  team_id             TEXT,
  requested_model     TEXT NOT NULL,
  model               TEXT,
  provider            TEXT,
  origin              TEXT,
  jurisdiction        TEXT,
  license             TEXT,
  open_weights        BOOLEAN,
  developer           TEXT,
  input_tokens        BIGINT,
  cached_input_tokens BIGINT,
  output_tokens       BIGINT,
  reasoning_tokens    BIGINT,
  tokens_estimated    BOOLEAN NOT NULL DEFAULT FALSE,
  cost_nano           BIGINT,
  attempts_cost_nano  BIGINT,
  baseline_cost_nano  BIGINT,
  baseline_model      TEXT,
  latency_ms          BIGINT NOT NULL,
  ttft_ms             BIGINT,
  status              INTEGER NOT NULL,
  outcome             TEXT NOT NULL,
  error_code          TEXT,
  data_class          TEXT,
  policy              TEXT,
  blocked             TEXT,
  tags                TEXT,
  attempts            TEXT NOT NULL,
  prompt              TEXT,
  completion          TEXT,
  decision            TEXT
);
CREATE INDEX ledger_records_at ON ledger_records (at);

CREATE TABLE ledger_rollup (
  scope               TEXT COLLATE "C" NOT NULL,
  dim                 TEXT COLLATE "C" NOT NULL,
  bucket              BIGINT NOT NULL,
  value               TEXT COLLATE "C" NOT NULL,
  requests            BIGINT NOT NULL DEFAULT 0,
  errors              BIGINT NOT NULL DEFAULT 0,
  priced_requests     BIGINT NOT NULL DEFAULT 0,
  estimated_requests  BIGINT NOT NULL DEFAULT 0,
  input_tokens        BIGINT NOT NULL DEFAULT 0,
  cached_input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens       BIGINT NOT NULL DEFAULT 0,
  reasoning_tokens    BIGINT NOT NULL DEFAULT 0,
  cost_nano           BIGINT NOT NULL DEFAULT 0,
  baseline_nano       BIGINT NOT NULL DEFAULT 0,
  latency_ms          BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, dim, bucket, value)
);

CREATE TABLE ledger_tenant_rollup (
  key_id              TEXT COLLATE "C" NOT NULL,
  bucket              BIGINT NOT NULL,
  team_id             TEXT COLLATE "C" NOT NULL,
  model               TEXT COLLATE "C" NOT NULL,
  provider            TEXT COLLATE "C" NOT NULL,
  origin              TEXT COLLATE "C" NOT NULL,
  open_weights        TEXT COLLATE "C" NOT NULL,
  requests            BIGINT NOT NULL DEFAULT 0,
  errors              BIGINT NOT NULL DEFAULT 0,
  priced_requests     BIGINT NOT NULL DEFAULT 0,
  estimated_requests  BIGINT NOT NULL DEFAULT 0,
  input_tokens        BIGINT NOT NULL DEFAULT 0,
  cached_input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens       BIGINT NOT NULL DEFAULT 0,
  reasoning_tokens    BIGINT NOT NULL DEFAULT 0,
  cost_nano           BIGINT NOT NULL DEFAULT 0,
  baseline_nano       BIGINT NOT NULL DEFAULT 0,
  latency_ms          BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, bucket, team_id, model, provider, origin, open_weights)
);
CREATE INDEX ledger_tenant_rollup_team ON ledger_tenant_rollup (team_id, bucket);

CREATE TABLE ledger_tenant_tags (
  key_id              TEXT COLLATE "C" NOT NULL,
  bucket              BIGINT NOT NULL,
  team_id             TEXT COLLATE "C" NOT NULL,
  tag                 TEXT COLLATE "C" NOT NULL,
  requests            BIGINT NOT NULL DEFAULT 0,
  errors              BIGINT NOT NULL DEFAULT 0,
  priced_requests     BIGINT NOT NULL DEFAULT 0,
  estimated_requests  BIGINT NOT NULL DEFAULT 0,
  input_tokens        BIGINT NOT NULL DEFAULT 0,
  cached_input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens       BIGINT NOT NULL DEFAULT 0,
  reasoning_tokens    BIGINT NOT NULL DEFAULT 0,
  cost_nano           BIGINT NOT NULL DEFAULT 0,
  baseline_nano       BIGINT NOT NULL DEFAULT 0,
  latency_ms          BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, bucket, team_id, tag)
);
CREATE INDEX ledger_tenant_tags_team ON ledger_tenant_tags (team_id, bucket);

CREATE TABLE ledger_host_rollup (
  bucket              BIGINT NOT NULL,
  provider            TEXT COLLATE "C" NOT NULL,
  model               TEXT COLLATE "C" NOT NULL,
  attempts            BIGINT NOT NULL DEFAULT 0,
  errors              BIGINT NOT NULL DEFAULT 0,
  latency_ms          BIGINT NOT NULL DEFAULT 0,
  ttft_count          BIGINT NOT NULL DEFAULT 0,
  ttft_ms             BIGINT NOT NULL DEFAULT 0,
${histogramColumns('BIGINT')},
  PRIMARY KEY (bucket, provider, model)
);
`;
