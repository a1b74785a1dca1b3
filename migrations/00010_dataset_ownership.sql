-- +goose Up

-- What an import wrote besides rows keyed by dataset_id: the tables it created (a reference layer's
-- own table, dropped when the dataset is replaced or deleted) and the catalog layers it touched (so
-- the change notification of a re-import names the layers the old version was in, too).
ALTER TABLE catalog.dataset
    ADD COLUMN owned_tables text[] NOT NULL DEFAULT '{}', -- schema-qualified, as written by the loader
    ADD COLUMN layers       text[] NOT NULL DEFAULT '{}'; -- catalog.layer ids the import wrote into

-- Reference layers (boundaries and other vector data): one table per dataset, with the source's own
-- attribute columns.
CREATE SCHEMA IF NOT EXISTS reference;

-- +goose Down
DELETE FROM catalog.layer WHERE schema_name = 'reference';
DROP SCHEMA reference CASCADE;
ALTER TABLE catalog.dataset DROP COLUMN layers, DROP COLUMN owned_tables;
