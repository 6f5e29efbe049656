-- Exports and monitoring read referrals by creation date; retention finds referrals
-- whose last contact is old. Without these both would scan the whole table.
CREATE INDEX referrals_created ON referrals (created_at, id);
CREATE INDEX referrals_updated ON referrals (updated_at);
CREATE INDEX optouts_created ON optouts (created_at);
CREATE INDEX feedback_comment_created ON feedback (created_at) WHERE comment <> '';

---- create above / drop below ----

DROP INDEX feedback_comment_created;
DROP INDEX optouts_created;
DROP INDEX referrals_updated;
DROP INDEX referrals_created;
