-- langflow-edge schema. Langflow's tables keep Langflow's names and columns so a Langflow
-- database can be imported; ids are UUIDs with dashes, booleans 0/1, JSON as text.
-- Our own tables (session, login_attempt, app_secret) sit beside them.

CREATE TABLE "user" (
  id            TEXT PRIMARY KEY NOT NULL,
  username      TEXT NOT NULL,
  password      TEXT NOT NULL,                 -- Argon2id PHC string, or a Langflow bcrypt hash until next login
  profile_image TEXT,
  is_active     INTEGER NOT NULL DEFAULT 0,
  is_superuser  INTEGER NOT NULL DEFAULT 0,
  create_at     TEXT NOT NULL,                 -- sic: Langflow's name
  updated_at    TEXT NOT NULL,
  last_login_at TEXT,
  store_api_key TEXT,                          -- Fernet token
  optins        TEXT
);
-- Langflow: usernames are unique ignoring case, matched exactly at login.
CREATE UNIQUE INDEX ix_user_username_lower ON "user" (lower(username));
CREATE INDEX ix_user_username ON "user" (username);

-- One row per login (deviation 1): access and refresh tokens carry its id as `sid`.
CREATE TABLE session (
  id           TEXT PRIMARY KEY NOT NULL,
  user_id      TEXT NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
  refresh_hash TEXT NOT NULL,                  -- hex SHA-256 of the one refresh token still valid
  created_at   INTEGER NOT NULL,               -- unix seconds
  expires_at   INTEGER NOT NULL,
  revoked_at   INTEGER
);
CREATE INDEX ix_session_user_id ON session (user_id);

-- Brute-force counters shared by every isolate (deviation 6): key is "ip:<addr>",
-- "account:<lowercased username>" or "reset:<user id>".
CREATE TABLE login_attempt (
  key          TEXT PRIMARY KEY NOT NULL,
  window_start INTEGER NOT NULL,
  count        INTEGER NOT NULL
);

-- The generated secret key when LANGFLOW_SECRET_KEY is unset (deviation 4).
CREATE TABLE app_secret (
  name       TEXT PRIMARY KEY NOT NULL,
  value      TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE apikey (
  id           TEXT PRIMARY KEY NOT NULL,
  name         TEXT,
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  total_uses   INTEGER NOT NULL DEFAULT 0,
  is_active    INTEGER NOT NULL DEFAULT 1,
  expires_at   TEXT,
  api_key      TEXT NOT NULL,                  -- Fernet token of the plaintext key
  api_key_hash TEXT,                           -- hex SHA-256 of the plaintext key, for lookup
  user_id      TEXT NOT NULL REFERENCES "user" (id) ON DELETE CASCADE
);
CREATE INDEX ix_apikey_user_id ON apikey (user_id);
CREATE INDEX ix_apikey_api_key_hash ON apikey (api_key_hash);

CREATE TABLE flow (
  id                 TEXT PRIMARY KEY NOT NULL,
  name               TEXT NOT NULL,
  description        TEXT,
  icon               TEXT,
  icon_bg_color      TEXT,
  gradient           TEXT,
  data               TEXT,
  is_component       INTEGER DEFAULT 0,
  updated_at         TEXT,
  webhook            INTEGER DEFAULT 0,
  endpoint_name      TEXT,
  tags               TEXT,
  locked             INTEGER DEFAULT 0,
  mcp_enabled        INTEGER DEFAULT 0,
  action_name        TEXT,
  action_description TEXT,
  access_type        TEXT NOT NULL DEFAULT 'PRIVATE',
  flow_type          TEXT NOT NULL DEFAULT 'workflow',
  a2a_enabled        INTEGER DEFAULT 0,
  a2a_card_overrides TEXT,
  user_id            TEXT REFERENCES "user" (id) ON DELETE CASCADE,
  folder_id          TEXT,
  workspace_id       TEXT,
  version_token      TEXT,
  UNIQUE (user_id, name),
  UNIQUE (user_id, endpoint_name)
);
CREATE INDEX ix_flow_user_id ON flow (user_id);

CREATE TABLE variable (
  id             TEXT PRIMARY KEY NOT NULL,
  name           TEXT NOT NULL,
  value          TEXT NOT NULL,                -- Fernet token for Credential, plaintext for Generic
  type           TEXT,
  default_fields TEXT,
  created_at     TEXT,
  updated_at     TEXT,
  user_id        TEXT NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
  UNIQUE (user_id, name)
);
CREATE INDEX ix_variable_user_id ON variable (user_id);
