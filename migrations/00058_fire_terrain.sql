-- +goose Up

-- Shared ground of the forest-fire command (package command) and the terrain (package twin):
-- a fire's spread perimeters, and the DEMs that give slope to the spread and ground to the 3D view.
CREATE EXTENSION IF NOT EXISTS postgis_raster;

-- The latest spread estimate of a fire incident: one polygon per hour ahead (1, 2, 3), replaced
-- whenever it is recomputed (wind or the fire's position changed). weather and model say what it
-- was computed from, so an arrival time can be explained.
CREATE TABLE command.fire_perimeter (
    incident_id bigint NOT NULL REFERENCES command.incident (id),
    hours       real NOT NULL CHECK (hours > 0),
    geom        geometry(Polygon, 4490) NOT NULL,
    weather     jsonb NOT NULL DEFAULT '{}',   -- wind_speed m/s, wind_direction ° (from), moisture %
    model       jsonb NOT NULL DEFAULT '{}',   -- fuel model, rate of spread m/min, length-to-breadth…
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, hours)
);
CREATE INDEX ON command.fire_perimeter USING gist (geom);

-- Digital elevation models, tiled rasters in their own CRS (ST_SRID(rast)), heights normal
-- (metres above the quasi-geoid, the twin.height_offset rule); one dataset per imported DEM.
CREATE SCHEMA IF NOT EXISTS terrain;
CREATE TABLE terrain.dem (
    rid        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    rast       raster NOT NULL
);
CREATE INDEX ON terrain.dem USING gist (ST_ConvexHull(rast));
CREATE INDEX ON terrain.dem (dataset_id);

-- +goose Down
DROP SCHEMA terrain CASCADE;
DROP TABLE command.fire_perimeter;
DROP EXTENSION IF EXISTS postgis_raster;
