-- Saved responses of writes sent with an Idempotency-Key, per caller, for 24 hours. A row
-- without a status is a request still in flight (or one whose outcome is unknown).
CREATE TABLE idempotency_keys (
    actor        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    status       BIGINT,
    content_type TEXT,
    body         BYTEA,
    PRIMARY KEY (actor, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

-- Who has read a notice: read state is per account, not per notice (a site's notice read by
-- one of its administrators is still unread for the others).
CREATE TABLE notice_reads (
    notice_id  BIGINT NOT NULL REFERENCES notices(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    read_at    BIGINT NOT NULL,
    PRIMARY KEY (notice_id, account_id)
);
INSERT INTO notice_reads (notice_id, account_id, read_at)
    SELECT n.id, n.recipient_id, n.read_at FROM notices n
    WHERE n.recipient_kind = 'account' AND n.read_at IS NOT NULL
      AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = n.recipient_id);
