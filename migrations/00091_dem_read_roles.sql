-- +goose Up

-- Who may read a DEM (twin/terrain): a row here restricts one imported DEM to roles, beside
-- terrain.read_roles for all the terrain; without a row a DEM is read as the terrain is. A caller's
-- terrain (the DEM list, heights, quantized-mesh and Terrarium tiles) is built from the DEMs they
-- may read; the server's own uses (fire slope, standing buildings) read them all. A change here is
-- announced like a DEM import, so every replica drops its terrain caches.
CREATE TABLE terrain.dem_access (
    dataset_id bigint PRIMARY KEY REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    read_roles text[] NOT NULL CHECK (cardinality(read_roles) > 0)
);

-- +goose StatementBegin
CREATE FUNCTION terrain.dem_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('yitu_change', '{"layers":["terrain"],"reason":"catalog"}');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER dem_access_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON terrain.dem_access
    FOR EACH STATEMENT EXECUTE FUNCTION terrain.dem_access_changed();

-- +goose Down
DROP TABLE terrain.dem_access;
DROP FUNCTION terrain.dem_access_changed();
