-- Which history this database holds. A restore from a backup starts a new timeline:
-- devices that see it go back to the sequence number the backup reached and send
-- again what they made after it (pushes are idempotent).
CREATE TABLE timeline (
    id uuid NOT NULL,
    -- The feed's head when the backup was restored (0: never restored).
    restored_head bigint NOT NULL DEFAULT 0
);
INSERT INTO timeline (id) VALUES (gen_random_uuid());
