-- Documents move to an ordinary (rowid) table. A document's row, its bytes and its
-- projection, is about 1.5 KB: more than a WITHOUT ROWID table keeps in a B-tree page,
-- so every key comparison on the way to a row read its overflow pages, and a bootstrap
-- page spent most of its time there. Now a small index on the id leads to the row.
-- And each observation's time observed (ms), so that a new device can be sent the
-- summaries of the newest reports first and be usable before the rest is in.
CREATE TABLE documents_by_rowid (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    kind TEXT NOT NULL,
    bytes BLOB NOT NULL,
    org_id BLOB,
    visibility TEXT NOT NULL,
    -- The observation's projection (JSON), sent at bootstrap and as restricted summaries.
    projection TEXT,
    first_seen INTEGER NOT NULL,
    observed_at INTEGER
) STRICT;
INSERT INTO documents_by_rowid
    (id, workspace_id, kind, bytes, org_id, visibility, projection, first_seen, observed_at)
SELECT id, workspace_id, kind, bytes, org_id, visibility, projection, first_seen,
       CAST(ROUND(unixepoch(json_extract(projection, '$.observed_at'), 'subsec') * 1000) AS INTEGER)
  FROM documents ORDER BY id;
DROP TABLE documents;
ALTER TABLE documents_by_rowid RENAME TO documents;
CREATE INDEX documents_by_workspace ON documents (workspace_id, id);
CREATE INDEX documents_newest_first ON documents (workspace_id, observed_at DESC, id DESC)
    WHERE observed_at IS NOT NULL;
