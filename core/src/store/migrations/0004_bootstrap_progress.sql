-- How far a new device's bootstrap has come (JSON), written with each page it applies,
-- so that a bootstrap cut short resumes where it stopped and the app can say what is
-- in. NULL when no bootstrap is under way.
ALTER TABLE sync_state ADD COLUMN bootstrap TEXT;
