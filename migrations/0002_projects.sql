-- Projects (Langflow's `folder` table, same name and columns). A flow's folder_id names one.
-- auth_settings is JSON text; the edge keeps only its `auth_type` (it serves no MCP).
CREATE TABLE folder (
  id            TEXT PRIMARY KEY NOT NULL,
  name          TEXT NOT NULL,
  description   TEXT,
  auth_settings TEXT,
  parent_id     TEXT,
  user_id       TEXT REFERENCES "user" (id) ON DELETE CASCADE,
  workspace_id  TEXT,
  is_personal   INTEGER NOT NULL DEFAULT 0,
  UNIQUE (user_id, name)
);
CREATE INDEX ix_folder_user_id ON folder (user_id);
CREATE INDEX ix_flow_folder_id ON flow (folder_id);

-- Every user already here gets Langflow's default project ("Starter Project", as Langflow names
-- it), with a random version-4 id; users added later get theirs when created, or on first need.
INSERT INTO folder (id, name, description, user_id, is_personal)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2)
         || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2)
         || '-' || lower(hex(randomblob(6))),
       'Starter Project', 'Manage your own flows. Download and upload projects.', id, 1
FROM "user";

-- Their flows without a project, or in a project that was never copied here (the importer kept
-- folder_id before it carried folders), go to that default project, as Langflow moves them.
UPDATE flow
SET folder_id = (SELECT f.id FROM folder f WHERE f.user_id = flow.user_id)
WHERE user_id IS NOT NULL
  AND (folder_id IS NULL OR folder_id NOT IN (SELECT id FROM folder));
