-- The audit log: every administrative act, register change, review correction,
-- erasure, revocation and enrolment (failed ones too). Append-only for everyone: the
-- triggers refuse to change or delete a row, whoever asks.
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The workspace acted in; none for server-wide acts (a device, an enrolment).
    workspace_id BLOB,
    at INTEGER NOT NULL,
    -- Who: the person and device, or none for the operator's command line.
    user_id BLOB,
    user_name TEXT,
    device_id BLOB,
    -- The client's address, for requests.
    address TEXT,
    action TEXT NOT NULL,
    target TEXT,
    -- What was done, never what a report says.
    detail TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_workspace ON audit (workspace_id, seq);

CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
