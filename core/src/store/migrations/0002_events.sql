-- Reports linked as one event share an event id: the smallest id among themselves and
-- the reports they link to. The lägesbild counts events beside reports.
ALTER TABLE observations ADD COLUMN event_id BLOB;
