-- +goose Up

-- Vector tiles: generalized views for low zooms, and the bookkeeping that refreshes them after imports.
CREATE SCHEMA IF NOT EXISTS tiles;

-- Materialized views derived from catalog layers. A change to any of `sources` (a yitu_change
-- notification) marks the view stale; one server replica refreshes it and announces the refresh for
-- `layers` (the layers it serves), so every replica purges those tiles again.
CREATE TABLE tiles.derived (
    view_schema  text NOT NULL,
    view_name    text NOT NULL,
    sources      text[] NOT NULL,            -- catalog layers it is computed from
    layers       text[] NOT NULL,            -- catalog layers it serves tiles of
    stale        boolean NOT NULL DEFAULT false,
    stale_bbox   geometry(Polygon, 4490),    -- where the pending changes are; NULL with stale = everywhere
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (view_schema, view_name)
);

-- Which table serves a layer's tiles in a zoom band instead of the layer's own table. The table has the
-- layer's id and tile columns (and, for the CGCS2000 grid, its geometry column); exposed properties it
-- lacks are left out of those tiles.
CREATE TABLE tiles.generalized (
    layer_id    text NOT NULL REFERENCES catalog.layer (id) ON DELETE CASCADE ON UPDATE CASCADE,
    min_zoom    integer NOT NULL CHECK (min_zoom BETWEEN 0 AND 24),
    max_zoom    integer NOT NULL CHECK (max_zoom BETWEEN 0 AND 24),
    schema_name text NOT NULL,
    table_name  text NOT NULL,
    PRIMARY KEY (layer_id, min_zoom),
    CHECK (min_zoom <= max_zoom)
);

-- Buildings at z12–13: simplified to about a pixel, the smallest (sheds, kiosks) dropped.
CREATE MATERIALIZED VIEW tiles.building_z12 AS
SELECT b.id, b.code, b.name, b.floors, g.geom_3857, ST_Transform(g.geom_3857, 4490) AS geom
FROM basemap.building b
CROSS JOIN LATERAL (SELECT ST_SimplifyPreserveTopology(b.geom_3857, 2.0) AS geom_3857) g
WHERE ST_Area(b.geom_3857) >= 120;
CREATE UNIQUE INDEX ON tiles.building_z12 (id);
CREATE INDEX ON tiles.building_z12 USING gist (geom_3857);
CREATE INDEX ON tiles.building_z12 USING gist (geom);

-- Buildings at z10–11: merged into built-up blocks (buildings within 25 m of each other form one block).
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

-- Roads at z10–11: simplified; short pieces (driveways, stubs) dropped.
CREATE MATERIALIZED VIEW tiles.road_z10 AS
SELECT r.id, r.code, r.name, r.grade, r.width, g.geom_3857, ST_Transform(g.geom_3857, 4490) AS geom
FROM basemap.road r
CROSS JOIN LATERAL (SELECT ST_Simplify(r.geom_3857, 12.0, true) AS geom_3857) g
WHERE ST_Length(r.geom_3857) + ST_Perimeter(r.geom_3857) >= 150 AND NOT ST_IsEmpty(g.geom_3857);
CREATE UNIQUE INDEX ON tiles.road_z10 (id);
CREATE INDEX ON tiles.road_z10 USING gist (geom_3857);
CREATE INDEX ON tiles.road_z10 USING gist (geom);

-- Water at z10–11: simplified; ponds under 1,000 m² dropped.
CREATE MATERIALIZED VIEW tiles.water_z10 AS
SELECT w.id, w.code, w.name, g.geom_3857, ST_Transform(g.geom_3857, 4490) AS geom
FROM basemap.water w
CROSS JOIN LATERAL (SELECT ST_SimplifyPreserveTopology(w.geom_3857, 10.0) AS geom_3857) g
WHERE (ST_Dimension(w.geom_3857) < 2 AND ST_Length(w.geom_3857) >= 200) OR ST_Area(w.geom_3857) >= 1000;
CREATE UNIQUE INDEX ON tiles.water_z10 (id);
CREATE INDEX ON tiles.water_z10 USING gist (geom_3857);
CREATE INDEX ON tiles.water_z10 USING gist (geom);

-- Boundaries at z10–13: simplified.
CREATE MATERIALIZED VIEW tiles.boundary_z10 AS
SELECT b.id, b.code, b.name, g.geom_3857, ST_Transform(g.geom_3857, 4490) AS geom
FROM basemap.boundary b
CROSS JOIN LATERAL (SELECT ST_SimplifyPreserveTopology(b.geom_3857, 6.0) AS geom_3857) g;
CREATE UNIQUE INDEX ON tiles.boundary_z10 (id);
CREATE INDEX ON tiles.boundary_z10 USING gist (geom_3857);
CREATE INDEX ON tiles.boundary_z10 USING gist (geom);

-- Pipelines at z12–13: the network per type, merged within 500 m cells and simplified.
CREATE MATERIALIZED VIEW tiles.pipeline_z12 AS
WITH cells AS (
    SELECT pipe_type, floor(ST_X(ST_Centroid(geom_3857)) / 500) AS cx, floor(ST_Y(ST_Centroid(geom_3857)) / 500) AS cy,
           ST_Simplify(ST_LineMerge(ST_Collect(geom_3857)), 3.0) AS geom_3857
    FROM pipeline.segment
    GROUP BY 1, 2, 3
)
SELECT row_number() OVER (ORDER BY pipe_type, cx, cy) AS id, pipe_type, geom_3857, ST_Transform(geom_3857, 4490) AS geom
FROM cells WHERE NOT ST_IsEmpty(geom_3857);
CREATE UNIQUE INDEX ON tiles.pipeline_z12 (id);
CREATE INDEX ON tiles.pipeline_z12 USING gist (geom_3857);
CREATE INDEX ON tiles.pipeline_z12 USING gist (geom);

-- Label points: one point inside each named area (buildings, water, vegetation), so a polygon is
-- labelled once, not once per tile it crosses. rank orders labels by size (larger first).
CREATE MATERIALIZED VIEW tiles.label AS
WITH named AS (
    SELECT 'building' AS class, id AS source_id, name, geom_3857 FROM basemap.building WHERE name <> ''
    UNION ALL
    SELECT 'water', id, name, geom_3857 FROM basemap.water WHERE name <> '' AND ST_Dimension(geom_3857) = 2
    UNION ALL
    SELECT 'vegetation', id, name, geom_3857 FROM basemap.vegetation WHERE name <> '' AND ST_Dimension(geom_3857) = 2
)
SELECT row_number() OVER (ORDER BY class, source_id) AS id, class, name,
       (ST_Area(geom_3857) / 100)::integer AS rank,
       ST_PointOnSurface(geom_3857) AS geom_3857, ST_Transform(ST_PointOnSurface(geom_3857), 4490) AS geom
FROM named;
CREATE UNIQUE INDEX ON tiles.label (id);
CREATE INDEX ON tiles.label USING gist (geom_3857);
CREATE INDEX ON tiles.label USING gist (geom);

INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.label', '标注点', 'Label points', 'basemap', 125, 'tiles', 'label', 'Point', 14,
 '[{"name":"class","title_zh":"类别","title_en":"Class","type":"string"},
   {"name":"name","title_zh":"名称","title_en":"Name","type":"string"},
   {"name":"rank","title_zh":"等级","title_en":"Rank","type":"integer"}]');

INSERT INTO tiles.generalized (layer_id, min_zoom, max_zoom, schema_name, table_name) VALUES
    ('basemap.building', 10, 11, 'tiles', 'building_z10'),
    ('basemap.building', 12, 13, 'tiles', 'building_z12'),
    ('basemap.road', 10, 11, 'tiles', 'road_z10'),
    ('basemap.water', 10, 11, 'tiles', 'water_z10'),
    ('basemap.boundary', 10, 13, 'tiles', 'boundary_z10'),
    ('pipeline.segment', 12, 13, 'tiles', 'pipeline_z12');

INSERT INTO tiles.derived (view_schema, view_name, sources, layers) VALUES
    ('tiles', 'building_z12', '{basemap.building}', '{basemap.building}'),
    ('tiles', 'building_z10', '{basemap.building}', '{basemap.building}'),
    ('tiles', 'road_z10', '{basemap.road}', '{basemap.road}'),
    ('tiles', 'water_z10', '{basemap.water}', '{basemap.water}'),
    ('tiles', 'boundary_z10', '{basemap.boundary}', '{basemap.boundary}'),
    ('tiles', 'pipeline_z12', '{pipeline.segment}', '{pipeline.segment}'),
    ('tiles', 'label', '{basemap.building,basemap.water,basemap.vegetation}', '{basemap.label}');

-- +goose Down
DELETE FROM catalog.layer WHERE id = 'basemap.label';
DROP SCHEMA tiles CASCADE;
