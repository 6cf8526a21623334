-- The first schema (a file of the first release has exactly this, marked user_version 1).
CREATE TABLE IF NOT EXISTS jobs (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    provider         TEXT NOT NULL,
    operation        TEXT NOT NULL,
    vendor_id        TEXT,
    request          TEXT NOT NULL,
    status           TEXT NOT NULL,
    progress         REAL NOT NULL DEFAULT 0,
    message          TEXT,
    result           TEXT,
    error            TEXT,
    vendor_state     TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    next_poll_at     REAL,
    poll_count       INTEGER NOT NULL DEFAULT 0,
    expected_seconds REAL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_poll_at);
CREATE INDEX IF NOT EXISTS jobs_vendor ON jobs (provider, vendor_id);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
