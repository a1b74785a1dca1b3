-- +goose Up

-- One row per feature change made through OGC API – Features Part 4: who, when, and the row before
-- and after (to_jsonb of the row, geometry as GeoJSON; NULL before a create and after a delete).
CREATE TABLE catalog.feature_audit (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_id   text NOT NULL,
    feature_id text NOT NULL,
    action     text NOT NULL CHECK (action IN ('create', 'replace', 'update', 'delete')),
    actor      text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    before     jsonb,
    after      jsonb
);
CREATE INDEX ON catalog.feature_audit (layer_id, feature_id, at);

-- /search reads named features with pg_trgm: names and annotation texts have their index from the
-- base map migration; building addresses and the other named classes get theirs here.
CREATE INDEX building_address_trgm ON basemap.building USING gin (address gin_trgm_ops);
CREATE INDEX water_name_trgm ON basemap.water USING gin (name gin_trgm_ops);
CREATE INDEX facility_name_trgm ON basemap.facility USING gin (name gin_trgm_ops);
CREATE INDEX boundary_name_trgm ON basemap.boundary USING gin (name gin_trgm_ops);

-- +goose Down
DROP INDEX basemap.boundary_name_trgm;
DROP INDEX basemap.facility_name_trgm;
DROP INDEX basemap.water_name_trgm;
DROP INDEX basemap.building_address_trgm;
DROP TABLE catalog.feature_audit;
