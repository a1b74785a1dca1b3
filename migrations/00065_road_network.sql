-- +goose Up

-- The road network of the forest-fire command (package command, route.go): who can get to a fire
-- first, and where a village's people go. It is built from the base map's road layer(s) (catalog
-- layers named by command.road_layers): lines noded where they cross, end points within the snap
-- tolerance joined into one vertex, each edge's travel time in seconds from its length and the speed
-- of its road class. It is rebuilt when a road layer changes (yitu_change) or, lazily, when a request
-- finds it stale. pgRouting (pgr_withPoints) finds the fastest paths.
CREATE EXTENSION IF NOT EXISTS pgrouting;

-- Travel speeds by road class (km/h, a fire engine on that road, not its design speed). The class is
-- the road layer's class attribute (grade, 等级, highway, fclass…) in lower case; a Chinese route
-- number (G206, S304, X012, Y005, C101) stands for its class (国道, 省道, 县道, 乡道, 村道). '*' is the
-- speed of any other class, and of roads without one.
CREATE TABLE command.road_speed (
    class text PRIMARY KEY CHECK (class = lower(btrim(class)) AND class <> ''),
    kmh   real NOT NULL CHECK (kmh > 0 AND kmh <= 150),
    note  text NOT NULL DEFAULT ''
);
INSERT INTO command.road_speed (class, kmh, note) VALUES
    ('*',            30, 'unknown class, or none'),
    -- Highways (公路) by administrative class and technical grade.
    ('高速公路',     100, 'expressway'),
    ('高速',         100, 'expressway'),
    ('国道',          70, 'national road (G…)'),
    ('省道',          60, 'provincial road (S…)'),
    ('县道',          50, 'county road (X…)'),
    ('乡道',          40, 'township road (Y…)'),
    ('村道',          25, 'village road (C…)'),
    ('专用公路',      40, 'special-purpose road (Z…)'),
    ('一级公路',      80, 'grade I highway'),
    ('二级公路',      60, 'grade II highway'),
    ('三级公路',      40, 'grade III highway'),
    ('四级公路',      30, 'grade IV highway'),
    ('等外公路',      20, 'substandard road'),
    -- Urban roads (城市道路, CJJ 37).
    ('快速路',        60, 'urban expressway'),
    ('城市快速路',    60, 'urban expressway'),
    ('主干路',        40, 'urban arterial'),
    ('城市主干路',    40, 'urban arterial'),
    ('次干路',        30, 'urban collector'),
    ('城市次干路',    30, 'urban collector'),
    ('支路',          20, 'urban local street'),
    ('城市支路',      20, 'urban local street'),
    ('街巷',          15, 'lane'),
    ('内部道路',      15, 'estate road'),
    -- Rural and forest tracks.
    ('机耕路',        15, 'farm track'),
    ('机耕道',        15, 'farm track'),
    ('林道',          20, 'forest road'),
    ('林区道路',      20, 'forest road'),
    ('防火通道',      20, 'fire access road'),
    ('乡村路',        25, 'country lane'),
    ('小路',           5, 'footpath (on foot)'),
    ('步道',           5, 'footpath (on foot)'),
    -- OpenStreetMap highway=* (and Geofabrik fclass) values.
    ('motorway',     100, ''),
    ('motorway_link', 60, ''),
    ('trunk',         80, ''),
    ('trunk_link',    50, ''),
    ('primary',       60, ''),
    ('primary_link',  40, ''),
    ('secondary',     50, ''),
    ('secondary_link',35, ''),
    ('tertiary',      40, ''),
    ('tertiary_link', 30, ''),
    ('unclassified',  30, ''),
    ('residential',   25, ''),
    ('living_street', 10, ''),
    ('service',       15, ''),
    ('road',          30, ''),
    ('track',         15, ''),
    ('track_grade1',  20, ''),
    ('track_grade2',  15, ''),
    ('track_grade3',  12, ''),
    ('track_grade4',  10, ''),
    ('track_grade5',   8, ''),
    ('path',           5, 'on foot'),
    ('footway',        5, 'on foot'),
    ('pedestrian',     5, 'on foot'),
    ('bridleway',      5, 'on foot'),
    ('cycleway',       5, 'on foot'),
    ('steps',          2, 'on foot');

-- The network as built: edges with their vertices (pgRouting's source/target), cost in seconds both
-- ways, and where each came from.
CREATE TABLE command.road_vertex (
    id   bigint PRIMARY KEY,
    geom geometry(Point, 4490) NOT NULL
);
CREATE INDEX ON command.road_vertex USING gist (geom);

CREATE TABLE command.road_edge (
    id           bigint PRIMARY KEY,
    source       bigint NOT NULL,
    target       bigint NOT NULL,
    cost         double precision NOT NULL,   -- seconds, source → target
    reverse_cost double precision NOT NULL,   -- seconds, target → source
    length_m     double precision NOT NULL,
    class        text,                        -- as the layer has it
    kmh          real NOT NULL,
    layer        text NOT NULL,               -- the catalog layer and row it was cut from
    road_id      bigint,
    name         text,
    component    bigint NOT NULL DEFAULT 0,   -- connected component (pgr_connectedComponents)
    geom         geometry(LineString, 4490) NOT NULL
);
CREATE INDEX ON command.road_edge USING gist (geom);

-- One row: when the network was built, from what, and whether a road layer changed since.
CREATE TABLE command.road_network (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    layers    text[] NOT NULL DEFAULT '{}',
    edges     integer NOT NULL DEFAULT 0,
    vertices  integer NOT NULL DEFAULT 0,
    built_at  timestamptz,
    took_ms   real,
    components integer NOT NULL DEFAULT 0,
    main_component bigint,                    -- the component with the most edges: places snap to it first
    stale     boolean NOT NULL DEFAULT true,
    problem   text                            -- why it could not be built (no road layer, no roads)
);
INSERT INTO command.road_network DEFAULT VALUES;

-- A changed speed makes the network stale (its costs were computed with the old one).
-- +goose StatementBegin
CREATE FUNCTION command.road_speed_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE command.road_network SET stale = true;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER road_speed_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON command.road_speed
    FOR EACH STATEMENT EXECUTE FUNCTION command.road_speed_changed();

-- +goose Down
-- pgrouting stays: scripts/pg installs it in every database, and other work may use it.
DROP TABLE command.road_network;
DROP TABLE command.road_edge;
DROP TABLE command.road_vertex;
DROP TABLE command.road_speed;
DROP FUNCTION command.road_speed_changed();
