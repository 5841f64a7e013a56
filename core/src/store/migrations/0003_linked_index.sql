-- The lägesbild counts linked reports once per event. Counting distinct events over
-- every report of the week looked each one up in the table (the index lacks its id),
-- which made the weekly lägesbild 15× slower. Unlinked reports are each an event of
-- their own, so only linked reports need counting: this index holds just those.
-- Every report has its event id (its own id when linked to nothing, as the projection
-- has written since 0002).
UPDATE observations SET event_id = id WHERE event_id IS NULL;
CREATE INDEX observations_linked_by_week
    ON observations (workspace_id, week, place_id, grade, category, org_id, event_id)
    WHERE link_count > 0;
