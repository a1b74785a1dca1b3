-- +goose Up
-- Built-up blocks (buildings at z10–11) carry no building attributes: 00020 passed the number of
-- buildings off as `floors`, which a viewer would show, and a tile filter would test, as storeys.
DROP MATERIALIZED VIEW tiles.building_z10;
CREATE MATERIALIZED VIEW tiles.building_z10 AS
WITH clustered AS (
    SELECT geom_3857, ST_ClusterDBSCAN(geom_3857, eps => 25, minpoints => 1) OVER () AS cluster
    FROM basemap.building
), blocks AS (
    SELECT cluster,
           ST_SimplifyPreserveTopology(ST_Buffer(ST_Buffer(ST_Collect(geom_3857), 12, 'quad_segs=2'), -12, 'quad_segs=2'), 8) AS geom_3857
    FROM clustered GROUP BY cluster
)
SELECT cluster::bigint AS id, geom_3857, ST_Transform(geom_3857, 4490) AS geom
FROM blocks WHERE NOT ST_IsEmpty(geom_3857) AND ST_Area(geom_3857) >= 2000;
CREATE UNIQUE INDEX ON tiles.building_z10 (id);
CREATE INDEX ON tiles.building_z10 USING gist (geom_3857);
CREATE INDEX ON tiles.building_z10 USING gist (geom);

-- +goose Down
DROP MATERIALIZED VIEW tiles.building_z10;
CREATE MATERIALIZED VIEW tiles.building_z10 AS
WITH clustered AS (
    SELECT geom_3857, ST_ClusterDBSCAN(geom_3857, eps => 25, minpoints => 1) OVER () AS cluster
    FROM basemap.building
), blocks AS (
    SELECT cluster, count(*) AS buildings,
           ST_SimplifyPreserveTopology(ST_Buffer(ST_Buffer(ST_Collect(geom_3857), 12, 'quad_segs=2'), -12, 'quad_segs=2'), 8) AS geom_3857
    FROM clustered GROUP BY cluster
)
SELECT cluster::bigint AS id, buildings::integer AS floors, geom_3857, ST_Transform(geom_3857, 4490) AS geom
FROM blocks WHERE NOT ST_IsEmpty(geom_3857) AND ST_Area(geom_3857) >= 2000;
CREATE UNIQUE INDEX ON tiles.building_z10 (id);
CREATE INDEX ON tiles.building_z10 USING gist (geom_3857);
CREATE INDEX ON tiles.building_z10 USING gist (geom);
