-- +goose Up

-- 3D models are read like layers: the roles that may read a model's tileset (model-<name>);
-- public by default, as every layer.
ALTER TABLE twin.model ADD COLUMN read_roles text[] NOT NULL DEFAULT '{public}';

-- +goose Down
ALTER TABLE twin.model DROP COLUMN read_roles;
