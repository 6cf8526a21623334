-- The job store on PostgreSQL: the same rows as SQLite's, with native types (jsonb, timestamptz).
CREATE TABLE jobs (
    seq              bigserial UNIQUE,
    id               text PRIMARY KEY,
    principal        text NOT NULL DEFAULT 'local',
    kind             text NOT NULL,
    provider         text NOT NULL,
    operation        text NOT NULL,
    vendor_id        text,
    request          jsonb NOT NULL,
    status           text NOT NULL,
    progress         double precision NOT NULL DEFAULT 0,
    message          text,
    result           jsonb,
    error            jsonb,
    vendor_state     jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    next_poll_at     timestamptz,
    poll_count       integer NOT NULL DEFAULT 0,
    expected_seconds double precision,
    version          integer NOT NULL DEFAULT 1,
    lease_owner      text,
    lease_expires_at timestamptz,
    lease_epoch      integer NOT NULL DEFAULT 0,
    takeovers        integer NOT NULL DEFAULT 0
);
CREATE INDEX jobs_due ON jobs (status, next_poll_at);
CREATE INDEX jobs_vendor ON jobs (provider, vendor_id);
CREATE INDEX jobs_principal ON jobs (principal, created_at);
CREATE INDEX jobs_created ON jobs (created_at);
CREATE TABLE job_history (
    seq     bigserial PRIMARY KEY,
    job_id  text NOT NULL,
    source  text,
    target  text NOT NULL,
    owner   text,
    at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX job_history_job ON job_history (job_id, seq);
CREATE TABLE vendor_assets (
    account    text NOT NULL,
    digest     text NOT NULL,
    asset_id   text NOT NULL,
    stored_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, digest)
);
-- One-time facts (ledger.py): webhook deliveries seen, spending confirmation codes.
CREATE TABLE once (
    kind     text NOT NULL,
    key      text NOT NULL,
    value    text NOT NULL,
    expires  timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
);
