-- +goose Up

-- geom_3857 was a generated column: PostGIS ran ST_Transform for every row a COPY wrote, on the
-- database server, which is the loader's bottleneck (one backend per import). Measured on 50,000
-- building footprints: ST_Transform costs the server 4–6 µs per row (EXPLAIN ANALYZE trigger time),
-- the loader's Web Mercator in Go 0.6 µs per row on the client, in parallel with the server
-- (BenchmarkWalkEWKB). Now geom_3857 is a plain column that stays exactly as consistent: a trigger
-- computes it from geom on every insert and on every update of geom or geom_3857, except inside an
-- import, where the loader computes it (the spherical Web Mercator formula PROJ uses; tested against
-- ST_Transform) and says so with the transaction setting yitu.geom_3857 = 'loader'.

-- +goose StatementBegin
CREATE FUNCTION catalog.sync_geom_3857() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.geom_3857 := ST_Force2D(ST_Transform(NEW.geom, 3857));
    RETURN NEW;
END
$$;

-- Attach the trigger to a table with geom and a plain geom_3857 column (also used for tables created
-- later, such as reference layers).
CREATE FUNCTION catalog.track_geom_3857(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($f$CREATE TRIGGER geom_3857_on_insert BEFORE INSERT ON %s FOR EACH ROW
        WHEN (current_setting('yitu.geom_3857', true) IS DISTINCT FROM 'loader')
        EXECUTE FUNCTION catalog.sync_geom_3857()$f$, tbl);
    EXECUTE format($f$CREATE TRIGGER geom_3857_on_update BEFORE UPDATE OF geom, geom_3857 ON %s FOR EACH ROW
        EXECUTE FUNCTION catalog.sync_geom_3857()$f$, tbl);
END
$$;

DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.oid::regclass AS tbl FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE a.attname = 'geom_3857' AND a.attgenerated = 's' AND n.nspname IN ('basemap', 'pipeline')
             ORDER BY 1
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN geom_3857 DROP EXPRESSION', t.tbl);
        PERFORM catalog.track_geom_3857(t.tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT tgrelid::regclass AS tbl FROM pg_trigger
             WHERE tgname = 'geom_3857_on_insert' AND tgrelid::regclass::text ~ '^(basemap|pipeline)\.'
    LOOP
        EXECUTE format('DROP TRIGGER geom_3857_on_insert ON %s', t.tbl);
        EXECUTE format('DROP TRIGGER geom_3857_on_update ON %s', t.tbl);
        EXECUTE format('ALTER TABLE %s DROP COLUMN geom_3857', t.tbl);
        EXECUTE format('ALTER TABLE %s ADD COLUMN geom_3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED', t.tbl);
        EXECUTE format('CREATE INDEX ON %s USING gist (geom_3857)', t.tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION catalog.track_geom_3857(regclass);
DROP FUNCTION catalog.sync_geom_3857();
