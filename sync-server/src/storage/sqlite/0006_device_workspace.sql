-- A device belongs to the workspace that enrolled it, and an enrolment code to the
-- workspace it was issued in. Devices and codes from before belong to their person's
-- workspace when the person has exactly one membership. A person with several cannot
-- say which workspace a device was meant for: their older devices act nowhere until
-- enrolled again, and their older codes enrol nothing.
ALTER TABLE devices ADD COLUMN workspace_id BLOB REFERENCES workspaces (id);
ALTER TABLE enrolment_codes ADD COLUMN workspace_id BLOB REFERENCES workspaces (id);
UPDATE devices
   SET workspace_id = (SELECT m.workspace_id FROM memberships m WHERE m.user_id = devices.user_id)
 WHERE (SELECT count(*) FROM memberships m WHERE m.user_id = devices.user_id) = 1;
UPDATE enrolment_codes
   SET workspace_id = (SELECT m.workspace_id FROM memberships m WHERE m.user_id = enrolment_codes.user_id)
 WHERE (SELECT count(*) FROM memberships m WHERE m.user_id = enrolment_codes.user_id) = 1;
CREATE INDEX devices_by_user ON devices (user_id);

-- Failed enrolments, counted per minute and per workspace (the workspace of a real code
-- tried again or too late; the nil id for unknown codes, the server's): the audit log
-- gets the first of each minute as it happens and one row counting the rest when the
-- minute is over, never a row for each. Rows leave when they are counted in the log.
CREATE TABLE failed_enrolments (
    window_start INTEGER NOT NULL,
    scope BLOB NOT NULL,
    unknown INTEGER NOT NULL DEFAULT 0,
    used INTEGER NOT NULL DEFAULT 0,
    expired INTEGER NOT NULL DEFAULT 0,
    -- Distinct addresses seen, up to a bound.
    addresses INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (window_start, scope)
) STRICT, WITHOUT ROWID;
CREATE TABLE failed_enrolment_addresses (
    window_start INTEGER NOT NULL,
    scope BLOB NOT NULL,
    address TEXT NOT NULL,
    PRIMARY KEY (window_start, scope, address)
) STRICT, WITHOUT ROWID;
