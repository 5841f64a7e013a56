-- The server's timeline as this device last saw it: a new one means the server was
-- restored from a backup (see `Store::follow_timeline`).
ALTER TABLE sync_state ADD COLUMN timeline BLOB;
