-- An area's outline as the coordinator drew it (JSON: [[lon, lat], …]), and the map tile
-- address the coordinator set for the workspace: both come with the register.
ALTER TABLE places ADD COLUMN outline TEXT;
ALTER TABLE workspaces ADD COLUMN tiles TEXT;
