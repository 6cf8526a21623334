-- depends: 0002_leases
-- Each job belongs to a principal (a tenant of the HTTP transport); older jobs are the local user's.
ALTER TABLE jobs ADD COLUMN principal TEXT NOT NULL DEFAULT 'local';
CREATE INDEX IF NOT EXISTS jobs_principal ON jobs (principal, created_at);
