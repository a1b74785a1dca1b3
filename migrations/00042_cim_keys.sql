-- +goose Up

-- Importers stream CIM rows with COPY and cannot know generated ids: parts and surfaces refer to
-- their building by gml:id within the dataset instead, checked at commit.
DROP INDEX cim.building_parent_id_idx;
ALTER TABLE cim.building DROP COLUMN parent_id;
ALTER TABLE cim.building ADD COLUMN parent_gml_id text; -- a BuildingPart's building
ALTER TABLE cim.building ADD CONSTRAINT building_parent_fkey FOREIGN KEY (dataset_id, parent_gml_id)
    REFERENCES cim.building (dataset_id, gml_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX ON cim.building (dataset_id, parent_gml_id);

ALTER TABLE cim.surface DROP COLUMN building_id;
ALTER TABLE cim.surface ADD COLUMN building_gml_id text NOT NULL;
ALTER TABLE cim.surface ADD CONSTRAINT surface_building_fkey FOREIGN KEY (dataset_id, building_gml_id)
    REFERENCES cim.building (dataset_id, gml_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX ON cim.surface (dataset_id, building_gml_id);

-- +goose Down
ALTER TABLE cim.surface DROP COLUMN building_gml_id;
ALTER TABLE cim.surface ADD COLUMN building_id bigint NOT NULL REFERENCES cim.building (id) ON DELETE CASCADE;
CREATE INDEX ON cim.surface (building_id);
ALTER TABLE cim.building DROP COLUMN parent_gml_id;
ALTER TABLE cim.building ADD COLUMN parent_id bigint REFERENCES cim.building (id) ON DELETE CASCADE;
CREATE INDEX ON cim.building (parent_id);
