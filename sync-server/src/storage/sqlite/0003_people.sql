-- A person can be deactivated in a workspace (and reactivated); devices say when they
-- were last seen and which app version they run.
ALTER TABLE memberships ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE devices ADD COLUMN last_seen_at INTEGER;
ALTER TABLE devices ADD COLUMN app_version TEXT;
