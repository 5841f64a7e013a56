-- Ids are 16-byte UUID blobs; times are milliseconds since the Unix epoch (UTC).

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE workspaces (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    grade_labels TEXT
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
CREATE INDEX places_by_name ON places (workspace_id, name COLLATE NOCASE);

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

-- Every record people edit, as Automerge bytes: a saved document or the changes that
-- make it (Automerge loads either). WITHOUT ROWID: one B-tree page per write, not two.
CREATE TABLE documents (
    id BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    bytes BLOB NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Changes made on this device that no server has acknowledged yet. A refused change
-- keeps its row, with the server's reason, so nothing the user wrote is dropped.
-- `seq` is the rowid: new rows always get the largest, so it orders changes as made.
-- Every local change is new, so the hash needs no index here; the server dedups by it.
CREATE TABLE pending_changes (
    seq INTEGER PRIMARY KEY,
    doc_id BLOB NOT NULL,
    hash BLOB NOT NULL,
    bytes BLOB NOT NULL,
    refused TEXT
) STRICT;

-- How far this device has pulled from its server, per workspace.
CREATE TABLE sync_state (
    workspace_id BLOB PRIMARY KEY,
    cursor INTEGER NOT NULL DEFAULT 0,
    register_version INTEGER NOT NULL DEFAULT 0,
    bootstrapped INTEGER NOT NULL DEFAULT 0,
    last_synced_at INTEGER
) STRICT;

-- The observation projection: what lists, maps and the lägesbild read, so that no query
-- loads documents. Maintained from the documents on every write.
CREATE TABLE observations (
    id BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    place_id BLOB NOT NULL,
    category TEXT NOT NULL,
    grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 5),
    observed_at INTEGER NOT NULL,
    observed_until INTEGER,
    week INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    server_seen_at INTEGER,
    org_id BLOB NOT NULL,
    reporter_id BLOB NOT NULL,
    reporter_name TEXT NOT NULL,
    role TEXT NOT NULL,
    visibility TEXT NOT NULL,
    status TEXT NOT NULL,
    people INTEGER,
    age_group TEXT,
    source TEXT,
    description TEXT NOT NULL,
    place_detail TEXT,
    lat REAL,
    lon REAL,
    accuracy_m REAL,
    note_count INTEGER NOT NULL,
    link_count INTEGER NOT NULL,
    reviewed INTEGER NOT NULL,
    -- 1 when only the summary is known: this device may not read the details.
    restricted INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
-- Covers the weekly lägesbild: one range scan per week, no table lookups. Lists walk it
-- newest week first too, so recording maintains one index, not two.
CREATE INDEX observations_by_week
    ON observations (workspace_id, week, place_id, grade, category, org_id);
