-- The security audit log, and what the "Your sessions" page shows about each session.

-- Where and when a session was last seen. `last_used_at` is written at most once per five minutes
-- per session, after the answer (service::auth), so a signed-in request does not write to D1.
ALTER TABLE session ADD COLUMN last_used_at INTEGER;   -- unix seconds
ALTER TABLE session ADD COLUMN client_ip TEXT;         -- cf-connecting-ip, at sign-in, then when last_used_at is written
ALTER TABLE session ADD COLUMN user_agent TEXT;        -- truncated to 256 characters

-- Security events (service::audit). Nothing secret is stored: no passwords, tokens or keys.
-- Rows older than LANGFLOW_AUDIT_RETENTION_DAYS are deleted now and then, after an answer.
-- Ours: Langflow 1.13's own audit tables record flow and project changes, not sign-ins.
CREATE TABLE audit_log (
  seq           INTEGER PRIMARY KEY,             -- write order: newest first, and the page cursor
  id            TEXT NOT NULL,                   -- UUID, as Langflow's audit feed items have
  timestamp     INTEGER NOT NULL,                -- unix milliseconds
  action        TEXT NOT NULL,                   -- e.g. auth:login (README lists them)
  result        TEXT NOT NULL,                   -- succeeded | failed
  error_code    TEXT,                            -- why it failed, as a class (WRONG_CREDENTIALS, ...)
  actor_type    TEXT NOT NULL,                   -- user | api_key | anonymous
  actor_id      TEXT,                            -- the user who did it
  user_id       TEXT,                            -- the account it is about
  resource_type TEXT NOT NULL,                   -- user | session | api_key | secret_key
  resource_id   TEXT,
  resource_name TEXT,                            -- e.g. the username at the time (kept after a deletion)
  client_ip     TEXT,
  user_agent    TEXT,
  details       TEXT                             -- a small JSON object, or NULL
);
CREATE INDEX ix_audit_log_timestamp ON audit_log (timestamp);
CREATE INDEX ix_audit_log_user_id ON audit_log (user_id, seq);
CREATE INDEX ix_audit_log_actor_id ON audit_log (actor_id, seq);
