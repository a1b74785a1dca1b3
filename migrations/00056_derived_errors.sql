-- +goose Up

-- A generalized view whose refresh fails (a row its query cannot take) keeps its last content and
-- says why here; the other views go on refreshing, and it is tried again with the next change.
ALTER TABLE tiles.derived ADD COLUMN last_error text, ADD COLUMN failed_at timestamptz;

-- +goose Down
ALTER TABLE tiles.derived DROP COLUMN last_error, DROP COLUMN failed_at;
