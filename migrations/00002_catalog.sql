-- +goose Up

-- One row per import. Every imported feature carries its dataset id, so a re-import of the same
-- dataset (same name) deletes exactly what the previous import wrote.
CREATE TABLE catalog.dataset (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    kind          text NOT NULL,             -- basemap, pipeline, boundary, reference, cim, oblique, tileset, ...
    format        text NOT NULL,             -- dxf, shapefile, gpkg, geojson, csv, xlsx, epanet, citygml, ...
    source        text NOT NULL,             -- file or folder as given to the importer
    source_hash   text NOT NULL,             -- sha256 of the source bytes
    source_crs    text NOT NULL,             -- e.g. EPSG:4528, gcj02, local:grid.yaml
    counts        jsonb NOT NULL DEFAULT '{}', -- feature class -> rows written
    rejected      integer NOT NULL DEFAULT 0,
    bbox          geometry(Polygon, 4490),   -- extent of what was written
    imported_at   timestamptz NOT NULL DEFAULT now(),
    imported_by   text NOT NULL,
    report        jsonb                      -- the import report (rejections with reasons)
);

-- One catalog describes every layer once; it drives tiles, features, 3D and the viewer's layer tree.
CREATE TABLE catalog.layer (
    id              text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$'),
    title_zh        text NOT NULL,
    title_en        text NOT NULL,
    description     text,
    theme           text NOT NULL DEFAULT 'basemap', -- layer-tree group: basemap, pipeline, twin, reference, ...
    sort_order      integer NOT NULL DEFAULT 0,
    kind            text NOT NULL DEFAULT 'table' CHECK (kind IN ('table', 'function')),
    schema_name     text NOT NULL,
    table_name      text,                            -- kind = table
    function_name   text,                            -- kind = function: f(z int, x int, y int, params jsonb) RETURNS bytea (MVT)
    id_column       text NOT NULL DEFAULT 'id',
    geometry_column text NOT NULL DEFAULT 'geom',    -- SRID 4490
    tile_column     text NOT NULL DEFAULT 'geom_3857', -- indexed EPSG:3857 copy used by tiles
    geometry_type   text NOT NULL DEFAULT 'Geometry',
    min_zoom        integer NOT NULL DEFAULT 0 CHECK (min_zoom BETWEEN 0 AND 24),
    max_zoom        integer NOT NULL DEFAULT 22 CHECK (max_zoom BETWEEN 0 AND 24),
    extent          integer NOT NULL DEFAULT 4096,
    buffer          integer NOT NULL DEFAULT 64,
    feature_cap     integer,                         -- at most this many features per tile, NULL = no cap
    properties      jsonb NOT NULL DEFAULT '[]',     -- [{"name","title_zh","title_en","type"}]: exposed columns
    style           jsonb,                           -- MapLibre layer fragments for the one-map style
    read_roles      text[] NOT NULL DEFAULT '{public}',
    write_roles     text[] NOT NULL DEFAULT '{}',
    dataset_id      bigint REFERENCES catalog.dataset (id) ON DELETE CASCADE, -- set for per-dataset layers
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (min_zoom <= max_zoom),
    CHECK ((kind = 'table' AND table_name IS NOT NULL) OR (kind = 'function' AND function_name IS NOT NULL))
);

-- Every replica reloads its catalog when a layer changes (LISTEN yitu_catalog).
-- +goose StatementBegin
CREATE FUNCTION catalog.notify_layer_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('yitu_catalog', COALESCE(NEW.id, OLD.id));
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER layer_changed AFTER INSERT OR UPDATE OR DELETE ON catalog.layer
    FOR EACH ROW EXECUTE FUNCTION catalog.notify_layer_change();

-- +goose Down
DROP TABLE catalog.layer;
DROP FUNCTION catalog.notify_layer_change();
DROP TABLE catalog.dataset;
