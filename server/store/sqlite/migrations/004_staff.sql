-- Staff accounts, their sessions and the MHA office's API keys. Passwords, session
-- tokens and API keys are stored only as hashes.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role          TEXT    NOT NULL CHECK (role IN ('advocate', 'coordinator', 'ward_staff', 'admin')),
    ward          TEXT    NOT NULL DEFAULT '' CHECK (length(ward) <= 100),
    password_hash TEXT    NOT NULL CHECK (length(password_hash) BETWEEN 1 AND 512),
    failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until  TEXT,
    created_at    TEXT    NOT NULL CHECK (length(created_at) = 27)
) STRICT;

CREATE TABLE staff_sessions (
    token_hash TEXT    PRIMARY KEY CHECK (length(token_hash) = 64),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT    NOT NULL CHECK (length(csrf) BETWEEN 1 AND 128),
    created_at TEXT    NOT NULL CHECK (length(created_at) = 27),
    last_seen  TEXT    NOT NULL CHECK (length(last_seen) = 27),
    expires_at TEXT    NOT NULL CHECK (length(expires_at) = 27)
) STRICT, WITHOUT ROWID;

CREATE INDEX staff_sessions_expires_at ON staff_sessions (expires_at);

CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    key_hash   TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64),
    created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),
    created_at TEXT NOT NULL CHECK (length(created_at) = 27),
    revoked_at TEXT
) STRICT;
