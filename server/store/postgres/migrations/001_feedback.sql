-- Page feedback. The CHECKs mirror store.Feedback.Validate so a bug in a future writer
-- cannot store what the application would refuse.
CREATE TABLE feedback (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text        NOT NULL UNIQUE CHECK (idempotency_key ~ '^[A-Za-z0-9_-]{16,64}$'),
    page_id         text        NOT NULL CHECK (char_length(page_id) BETWEEN 1 AND 80),
    lang            text        NOT NULL CHECK (char_length(lang) BETWEEN 1 AND 16),
    variant         text        NOT NULL CHECK (variant IN ('standard', 'easy-read')),
    helpful         boolean     NOT NULL,
    comment         text        NOT NULL DEFAULT '' CHECK (char_length(comment) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Staff reports list newest first, overall or for one page.
CREATE INDEX feedback_created_at ON feedback (created_at DESC, id DESC);
CREATE INDEX feedback_page_created_at ON feedback (page_id, created_at DESC, id DESC);

---- create above / drop below ----

DROP TABLE feedback;
