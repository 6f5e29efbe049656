-- Page feedback. created_at is fixed-width UTC text (YYYY-MM-DDTHH:MM:SS.ffffffZ) so it
-- sorts and compares correctly as text and stays readable in the sqlite3 shell.
CREATE TABLE feedback (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT    NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 16 AND 64),
    page_id         TEXT    NOT NULL CHECK (length(page_id) BETWEEN 1 AND 80),
    lang            TEXT    NOT NULL CHECK (length(lang) BETWEEN 1 AND 16),
    variant         TEXT    NOT NULL CHECK (variant IN ('standard', 'easy-read')),
    helpful         INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    comment         TEXT    NOT NULL DEFAULT '' CHECK (length(comment) <= 500),
    created_at      TEXT    NOT NULL CHECK (length(created_at) = 27)
) STRICT;

-- Staff reports list newest first, overall or for one page.
CREATE INDEX feedback_created_at ON feedback (created_at DESC, id DESC);
CREATE INDEX feedback_page_created_at ON feedback (page_id, created_at DESC, id DESC);
