-- A new document's first change is kept once: the document's bytes are that change, so
-- its row in pending_changes holds no bytes of its own (NULL) and is sent from the
-- document. `whole_pending` marks such a document: before its bytes are overwritten (an
-- edit, a merge), the pending change gets its own copy of them. A mark left after the
-- change was sent only costs that copy finding nothing.
ALTER TABLE documents ADD COLUMN whole_pending INTEGER NOT NULL DEFAULT 0;

CREATE TABLE pending_changes_new (
    seq INTEGER PRIMARY KEY,
    doc_id BLOB NOT NULL,
    hash BLOB NOT NULL,
    -- NULL: the change is the document's bytes (see above).
    bytes BLOB,
    refused TEXT
) STRICT;
INSERT INTO pending_changes_new (seq, doc_id, hash, bytes, refused)
    SELECT seq, doc_id, hash, bytes, refused FROM pending_changes;
DROP TABLE pending_changes;
ALTER TABLE pending_changes_new RENAME TO pending_changes;
