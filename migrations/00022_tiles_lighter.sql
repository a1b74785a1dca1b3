-- +goose Up
-- Lighter low-zoom tiles. Measured on the demo city (22,003 buildings, 26,982 pipe segments), the
-- composite tile over the town centre weighed 0.8 MB at z12–z14:
-- * buildings at z12–13 were every building simplified by 2 m, although a 15 m house is under a
--   pixel there (z12 tile: 21,987 features, 789 KB). They become built-up blocks as at z10, at a
--   finer scale: buildings within 8 m of each other merge, sharp corners kept (z12 tile: 1,228 blocks,
--   64 KB);
-- * pipe segments at z14–15 were served one by one with all their attributes (z14: 7,772 segments,
--   514 KB; z15: 1,996 segments, 138 KB). They get runs of pipe merged per type and diameter in 250 m
--   cells, carrying what the one-map style draws with below z17 (type colour, diameter width; the
--   labels start at z17): z14 2,120 features, 97 KB; z15 603 features, 26 KB. Identify reads the
--   tables themselves, so no record is out of reach.
DROP MATERIALIZED VIEW tiles.building_z12;
CREATE MATERIALIZED VIEW tiles.building_z12 AS
WITH clustered AS (
    SELECT geom_3857, ST_ClusterDBSCAN(geom_3857, eps => 8, minpoints => 1) OVER () AS cluster
    FROM basemap.building
), blocks AS (
    SELECT cluster,
           ST_SimplifyPreserveTopology(ST_Buffer(ST_Buffer(ST_Collect(geom_3857), 4, 'join=mitre'), -4, 'join=mitre'), 4) AS geom_3857
    FROM clustered GROUP BY cluster
)
SELECT cluster::bigint + 1 AS id, geom_3857, ST_Transform(geom_3857, 4490) AS geom
FROM blocks WHERE NOT ST_IsEmpty(geom_3857) AND ST_Area(geom_3857) >= 300;
CREATE UNIQUE INDEX ON tiles.building_z12 (id);
CREATE INDEX ON tiles.building_z12 USING gist (geom_3857);
CREATE INDEX ON tiles.building_z12 USING gist (geom);

CREATE MATERIALIZED VIEW tiles.pipeline_z14 AS
WITH cells AS (
    SELECT pipe_type, diameter_mm,
           floor(ST_X(ST_Centroid(geom_3857)) / 250) AS cx, floor(ST_Y(ST_Centroid(geom_3857)) / 250) AS cy,
           ST_Simplify(ST_LineMerge(ST_Collect(geom_3857)), 1.0) AS geom_3857
    FROM pipeline.segment
    GROUP BY 1, 2, 3, 4
)
SELECT row_number() OVER (ORDER BY pipe_type, diameter_mm, cx, cy) AS id, pipe_type, diameter_mm,
       geom_3857, ST_Transform(geom_3857, 4490) AS geom
FROM cells WHERE NOT ST_IsEmpty(geom_3857);
CREATE UNIQUE INDEX ON tiles.pipeline_z14 (id);
CREATE INDEX ON tiles.pipeline_z14 USING gist (geom_3857);
CREATE INDEX ON tiles.pipeline_z14 USING gist (geom);

INSERT INTO tiles.generalized (layer_id, min_zoom, max_zoom, schema_name, table_name)
VALUES ('pipeline.segment', 14, 15, 'tiles', 'pipeline_z14');
INSERT INTO tiles.derived (view_schema, view_name, sources, layers)
VALUES ('tiles', 'pipeline_z14', '{pipeline.segment}', '{pipeline.segment}');

-- +goose Down
DELETE FROM tiles.generalized WHERE table_name = 'pipeline_z14';
DELETE FROM tiles.derived WHERE view_name = 'pipeline_z14';
DROP MATERIALIZED VIEW tiles.pipeline_z14;
DROP MATERIALIZED VIEW tiles.building_z12;
CREATE MATERIALIZED VIEW tiles.building_z12 AS
SELECT b.id, b.code, b.name, b.floors, g.geom_3857, ST_Transform(g.geom_3857, 4490) AS geom
FROM basemap.building b
CROSS JOIN LATERAL (SELECT ST_SimplifyPreserveTopology(b.geom_3857, 2.0) AS geom_3857) g
WHERE ST_Area(b.geom_3857) >= 120;
CREATE UNIQUE INDEX ON tiles.building_z12 (id);
CREATE INDEX ON tiles.building_z12 USING gist (geom_3857);
CREATE INDEX ON tiles.building_z12 USING gist (geom);
