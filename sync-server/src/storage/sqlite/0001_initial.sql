-- The sync server's store. Ids are 16-byte UUID blobs; times are milliseconds (UTC).

CREATE TABLE workspaces (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    grade_labels TEXT,
    -- Grows with every change to the register, so devices can ask "anything new?".
    register_version INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE organisations (
    id BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL
) STRICT;

CREATE TABLE places (
    id BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    area_id BLOB,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    merged_into BLOB
) STRICT;

CREATE TABLE categories (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    key TEXT NOT NULL,
    parent TEXT,
    name_sv TEXT NOT NULL,
    name_en TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    sort INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

-- A user's role and organisation in a workspace; a police officer may have several.
CREATE TABLE memberships (
    user_id BLOB NOT NULL REFERENCES users (id),
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, workspace_id)
) STRICT, WITHOUT ROWID;

-- A device's credential is a random token; only its SHA-256 is kept.
CREATE TABLE devices (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    actor BLOB NOT NULL UNIQUE,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;

-- One-time enrolment codes, hashed; short-lived.
CREATE TABLE enrolment_codes (
    code_hash BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT, WITHOUT ROWID;

-- Every document as the server holds it now, with what access decisions need.
CREATE TABLE documents (
    id BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    kind TEXT NOT NULL,
    bytes BLOB NOT NULL,
    org_id BLOB,
    visibility TEXT NOT NULL,
    -- The observation's projection (JSON), sent at bootstrap and as restricted summaries.
    projection TEXT,
    first_seen INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX documents_by_workspace ON documents (workspace_id, id);

-- The feed: every stored change and every removal, in the order the server took them.
-- AUTOINCREMENT: a sequence number is never reused, even after an erasure deletes rows.
CREATE TABLE feed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BLOB NOT NULL,
    doc_id BLOB NOT NULL,
    -- 'change' or 'remove'
    entry TEXT NOT NULL,
    doc_kind TEXT NOT NULL,
    hash BLOB,
    bytes BLOB,
    -- 1 for the change that created the document.
    creates INTEGER NOT NULL DEFAULT 0,
    device_id BLOB,
    -- The author organisation and the visibility before and after this change.
    org_id BLOB,
    visibility_before TEXT,
    visibility_after TEXT,
    received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX feed_by_workspace ON feed (workspace_id, seq);
CREATE UNIQUE INDEX feed_by_hash ON feed (hash) WHERE hash IS NOT NULL;

-- Erased documents: their changes are refused for ever, so no offline device can bring
-- them back.
CREATE TABLE erased (
    doc_id BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    erased_at INTEGER NOT NULL,
    erased_by BLOB NOT NULL
) STRICT, WITHOUT ROWID;
