-- The console's latest failures of a business number: the statuses of
-- parts that failed for good or were scheduled for a resend, and only
-- those, newest first (a part that goes well adds nothing here).
CREATE INDEX message_statuses_failures ON message_statuses (id)
    WHERE state = 'FAILED' OR (state = 'QUEUED' AND result_code <> 112001);
