-- The referral queue. What the referrer told us is kept as JSON in body (one source of
-- truth, compared on idempotent retries); the columns the queue filters and sorts on
-- are copied out of it at every write. Times are fixed-width UTC text, as in feedback.
CREATE TABLE referrals (
    id               INTEGER PRIMARY KEY,
    reference        TEXT    NOT NULL UNIQUE CHECK (length(reference) = 9),
    idempotency_key  TEXT    NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 16 AND 64),
    kind             TEXT    NOT NULL CHECK (kind IN ('self', 'on_behalf', 'non_instructed', 'automatic')),
    status           TEXT    NOT NULL CHECK (status IN ('new', 'acknowledged', 'allocated', 'contacted', 'closed', 'withdrawn')),
    ward             TEXT    NOT NULL DEFAULT '' CHECK (length(ward) <= 100),
    source           TEXT    NOT NULL CHECK (length(source) BETWEEN 1 AND 20),
    flags            INTEGER NOT NULL CHECK (flags >= 0),
    priority         INTEGER NOT NULL CHECK (priority >= 0),
    -- Minus the priority, so (queue_rank, created_at, id) ascending is queue order and
    -- keyset pagination is one row-value comparison the index can seek to.
    queue_rank       INTEGER NOT NULL CHECK (queue_rank = -priority),
    advocate_id      TEXT    NOT NULL DEFAULT '' CHECK (length(advocate_id) <= 64),
    version          INTEGER NOT NULL CHECK (version >= 1),
    body             TEXT    NOT NULL CHECK (json_valid(body) AND length(body) <= 65536),
    created_at       TEXT    NOT NULL CHECK (length(created_at) = 27),
    updated_at       TEXT    NOT NULL CHECK (length(updated_at) = 27),
    acknowledged_at  TEXT,
    allocated_at     TEXT,
    first_contact_at TEXT,
    closed_at        TEXT
) STRICT;

-- status, flags and kind ride along so the queue's filters are checked in the index
-- without reading each skipped row.
CREATE INDEX referrals_queue ON referrals (queue_rank, created_at, id, status, flags, kind);
CREATE INDEX referrals_status_queue ON referrals (status, queue_rank, created_at, id);
CREATE INDEX referrals_ward_queue ON referrals (ward, queue_rank, created_at, id);

-- Opt-outs are never deleted: revoking sets revoked_at, so the history of a person's
-- choices stays on record.
CREATE TABLE optouts (
    id          INTEGER PRIMARY KEY,
    person_name TEXT NOT NULL DEFAULT '' CHECK (length(person_name) <= 100),
    ward        TEXT NOT NULL DEFAULT '' CHECK (length(ward) <= 100),
    hospital    TEXT NOT NULL DEFAULT '' CHECK (length(hospital) <= 150),
    reference   TEXT NOT NULL DEFAULT '' CHECK (length(reference) IN (0, 9)),
    reason      TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    recorded_by TEXT NOT NULL CHECK (length(recorded_by) BETWEEN 1 AND 64),
    created_at  TEXT NOT NULL CHECK (length(created_at) = 27),
    revoked_at  TEXT,
    revoked_by  TEXT NOT NULL DEFAULT '' CHECK (length(revoked_by) <= 64)
) STRICT;

CREATE INDEX optouts_ward ON optouts (ward, id);
CREATE INDEX optouts_reference ON optouts (reference, id);

-- Append-only: the triggers refuse changes, so even a direct SQL session cannot
-- quietly rewrite the record.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    actor   TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),
    action  TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    subject TEXT NOT NULL DEFAULT '' CHECK (length(subject) <= 64),
    detail  TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 500),
    at      TEXT NOT NULL CHECK (length(at) = 27)
) STRICT;

CREATE INDEX audit_log_subject ON audit_log (subject, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE chat_sessions (
    token      TEXT    PRIMARY KEY CHECK (length(token) BETWEEN 16 AND 128),
    state      BLOB    NOT NULL CHECK (length(state) <= 16384),
    version    INTEGER NOT NULL CHECK (version >= 1),
    expires_at TEXT    NOT NULL CHECK (length(expires_at) = 27)
) STRICT, WITHOUT ROWID;

CREATE INDEX chat_sessions_expires_at ON chat_sessions (expires_at);
