-- Single sign-on (OpenID Connect): which provider account signs in as which user. Our own table;
-- Langflow has none. One row per (issuer, subject); a user may have several (one per provider).
CREATE TABLE oidc_identity (
  id            TEXT PRIMARY KEY NOT NULL,
  user_id       TEXT NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
  issuer        TEXT NOT NULL,
  subject       TEXT NOT NULL,
  email         TEXT,                          -- as the provider last sent it, for the admin page
  created_at    INTEGER NOT NULL,              -- unix seconds
  last_login_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_oidc_identity_issuer_subject ON oidc_identity (issuer, subject);
CREATE INDEX ix_oidc_identity_user_id ON oidc_identity (user_id);
