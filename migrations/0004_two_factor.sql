-- Two-factor sign-in (TOTP, RFC 6238). Our own tables: Langflow has none for this.

-- One row per user who started or finished enrolling. The secret is a Fernet token, re-encrypted
-- by the secret-key rotation like every other stored secret.
CREATE TABLE two_factor (
  user_id        TEXT PRIMARY KEY NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
  secret         TEXT NOT NULL,                -- Fernet token of the base32 secret
  confirmed_at   INTEGER,                      -- unix seconds; NULL while enrolment awaits its first code
  last_used_step INTEGER,                      -- the last accepted time step: a code works once
  created_at     INTEGER NOT NULL
);

-- Ten per enrolment, shown once; each works once.
CREATE TABLE two_factor_recovery_code (
  code_hash TEXT PRIMARY KEY NOT NULL,         -- hex SHA-256 of the canonical code
  user_id   TEXT NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
  used_at   INTEGER
);
CREATE INDEX ix_two_factor_recovery_code_user_id ON two_factor_recovery_code (user_id);
