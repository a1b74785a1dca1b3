-- +goose Up

-- Replicas (live.outbox = true): every hub writes the changes it accepted (and the alarm changes it
-- made) here, a batch a row, in the transaction that writes their history, and NOTIFY yitu_outbox;
-- the other replicas' hubs read the rows of others and apply them, so each hub stays complete.
-- Rows older than a few minutes are deleted.
CREATE TABLE live.outbox (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    origin     text NOT NULL,            -- the replica that wrote it
    created_at timestamptz NOT NULL DEFAULT now(),
    changes    bytea NOT NULL            -- JSON array of live.Change
);
CREATE INDEX ON live.outbox (created_at);

-- +goose Down
DROP TABLE live.outbox;
