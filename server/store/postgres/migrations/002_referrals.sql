-- The referral queue. What the referrer told us is kept as jsonb in body (one source of
-- truth, compared on idempotent retries); the columns the queue filters and sorts on
-- are copied out of it at every write.
CREATE TABLE referrals (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference        text        NOT NULL UNIQUE CHECK (reference ~ '^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$'),
    idempotency_key  text        NOT NULL UNIQUE CHECK (idempotency_key ~ '^[A-Za-z0-9_-]{16,64}$'),
    kind             text        NOT NULL CHECK (kind IN ('self', 'on_behalf', 'non_instructed', 'automatic')),
    status           text        NOT NULL CHECK (status IN ('new', 'acknowledged', 'allocated', 'contacted', 'closed', 'withdrawn')),
    ward             text        NOT NULL DEFAULT '' CHECK (char_length(ward) <= 100),
    source           text        NOT NULL CHECK (char_length(source) BETWEEN 1 AND 20),
    flags            integer     NOT NULL CHECK (flags >= 0),
    priority         integer     NOT NULL CHECK (priority >= 0),
    -- Minus the priority, so (queue_rank, created_at, id) ascending is queue order and
    -- keyset pagination is one row comparison the index can seek to.
    queue_rank       integer     NOT NULL CHECK (queue_rank = -priority),
    advocate_id      text        NOT NULL DEFAULT '' CHECK (char_length(advocate_id) <= 64),
    version          bigint      NOT NULL CHECK (version >= 1),
    body             jsonb       NOT NULL CHECK (pg_column_size(body) <= 65536),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    acknowledged_at  timestamptz,
    allocated_at     timestamptz,
    first_contact_at timestamptz,
    closed_at        timestamptz
);

CREATE INDEX referrals_queue ON referrals (queue_rank, created_at, id);
CREATE INDEX referrals_status_queue ON referrals (status, queue_rank, created_at, id);
CREATE INDEX referrals_ward_queue ON referrals (ward, queue_rank, created_at, id);

-- Opt-outs are never deleted: revoking sets revoked_at, so the history of a person's
-- choices stays on record.
CREATE TABLE optouts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_name text        NOT NULL DEFAULT '' CHECK (char_length(person_name) <= 100),
    ward        text        NOT NULL DEFAULT '' CHECK (char_length(ward) <= 100),
    hospital    text        NOT NULL DEFAULT '' CHECK (char_length(hospital) <= 150),
    reference   text        NOT NULL DEFAULT '' CHECK (char_length(reference) IN (0, 9)),
    reason      text        NOT NULL DEFAULT '' CHECK (char_length(reason) <= 500),
    recorded_by text        NOT NULL CHECK (char_length(recorded_by) BETWEEN 1 AND 64),
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    revoked_by  text        NOT NULL DEFAULT '' CHECK (char_length(revoked_by) <= 64)
);

CREATE INDEX optouts_ward ON optouts (ward, id);
CREATE INDEX optouts_reference ON optouts (reference, id);

-- Append-only: the trigger refuses UPDATE, DELETE and TRUNCATE, so even a direct SQL
-- session cannot quietly rewrite the record.
CREATE TABLE audit_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor   text        NOT NULL CHECK (char_length(actor) BETWEEN 1 AND 64),
    action  text        NOT NULL CHECK (char_length(action) BETWEEN 1 AND 64),
    subject text        NOT NULL DEFAULT '' CHECK (char_length(subject) <= 64),
    detail  text        NOT NULL DEFAULT '' CHECK (char_length(detail) <= 500),
    at      timestamptz NOT NULL
);

CREATE INDEX audit_log_subject ON audit_log (subject, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE chat_sessions (
    token      text        PRIMARY KEY CHECK (token ~ '^[A-Za-z0-9_-]{16,128}$'),
    state      bytea       NOT NULL CHECK (octet_length(state) <= 16384),
    version    bigint      NOT NULL CHECK (version >= 1),
    expires_at timestamptz NOT NULL
);

CREATE INDEX chat_sessions_expires_at ON chat_sessions (expires_at);

---- create above / drop below ----

DROP TABLE chat_sessions;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE optouts;
DROP TABLE referrals;
