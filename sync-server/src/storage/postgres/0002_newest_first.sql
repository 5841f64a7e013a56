-- When each observation was observed (ms), so that a new device can be sent the
-- summaries of the newest reports first and be usable before the rest is in.
ALTER TABLE documents ADD COLUMN observed_at bigint;
UPDATE documents
   SET observed_at = round(extract(epoch FROM (projection::json ->> 'observed_at')::timestamptz) * 1000)::bigint
 WHERE projection IS NOT NULL;
CREATE INDEX documents_newest_first ON documents (workspace_id, observed_at DESC, id DESC)
    WHERE observed_at IS NOT NULL;
