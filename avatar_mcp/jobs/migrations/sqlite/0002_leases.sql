-- depends: 0001_jobs
-- Leases, versions and the history of status changes (user_version 2): many processes share one file.
ALTER TABLE jobs ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at REAL;
ALTER TABLE jobs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN takeovers INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS job_history (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id  TEXT NOT NULL,
    source  TEXT,
    target  TEXT NOT NULL,
    owner   TEXT,
    at      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS job_history_job ON job_history (job_id, seq);
CREATE TABLE IF NOT EXISTS vendor_assets (
    account    TEXT NOT NULL,
    digest     TEXT NOT NULL,
    asset_id   TEXT NOT NULL,
    stored_at  TEXT NOT NULL,
    PRIMARY KEY (account, digest)
);
