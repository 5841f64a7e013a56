-- A device belongs to the workspace that enrolled it, and an enrolment code to the
-- workspace it was issued in (migration 0006 on SQLite): older devices and codes of a
-- person with exactly one membership belong to it; those of a person with several to
-- none (the device acts nowhere until enrolled again, the code enrols nothing).
ALTER TABLE devices ADD COLUMN workspace_id uuid REFERENCES workspaces (id);
ALTER TABLE enrolment_codes ADD COLUMN workspace_id uuid REFERENCES workspaces (id);
UPDATE devices d
   SET workspace_id = (SELECT m.workspace_id FROM memberships m WHERE m.user_id = d.user_id)
 WHERE (SELECT count(*) FROM memberships m WHERE m.user_id = d.user_id) = 1;
UPDATE enrolment_codes c
   SET workspace_id = (SELECT m.workspace_id FROM memberships m WHERE m.user_id = c.user_id)
 WHERE (SELECT count(*) FROM memberships m WHERE m.user_id = c.user_id) = 1;

-- Failed enrolments, counted per minute and per workspace (the nil id: the server's).
CREATE TABLE failed_enrolments (
    window_start bigint NOT NULL,
    scope uuid NOT NULL,
    unknown bigint NOT NULL DEFAULT 0,
    used bigint NOT NULL DEFAULT 0,
    expired bigint NOT NULL DEFAULT 0,
    addresses bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (window_start, scope)
);
CREATE TABLE failed_enrolment_addresses (
    window_start bigint NOT NULL,
    scope uuid NOT NULL,
    address text NOT NULL,
    PRIMARY KEY (window_start, scope, address)
);
