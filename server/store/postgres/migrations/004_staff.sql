-- Staff accounts, their sessions and the MHA office's API keys. Passwords, session
-- tokens and API keys are stored only as hashes.
CREATE TABLE users (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role          text        NOT NULL CHECK (role IN ('advocate', 'coordinator', 'ward_staff', 'admin')),
    ward          text        NOT NULL DEFAULT '' CHECK (length(ward) <= 100),
    password_hash text        NOT NULL CHECK (length(password_hash) BETWEEN 1 AND 512),
    failed_logins integer     NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until  timestamptz,
    created_at    timestamptz NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash text        PRIMARY KEY CHECK (length(token_hash) = 64),
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       text        NOT NULL CHECK (length(csrf) BETWEEN 1 AND 128),
    created_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX staff_sessions_expires_at ON staff_sessions (expires_at);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

CREATE TABLE api_keys (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    key_hash   text        NOT NULL UNIQUE CHECK (length(key_hash) = 64),
    created_by text        NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

---- create above / drop below ----

DROP TABLE api_keys;
DROP TABLE staff_sessions;
DROP TABLE users;
