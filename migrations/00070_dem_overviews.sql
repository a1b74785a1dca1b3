-- +goose Up

-- DEM overviews: besides its full-resolution blocks (overview 1), an imported DEM keeps coarser
-- copies, each cell the average of overview × overview cells, so that a low-zoom terrain tile
-- reads a few blocks of a coarse copy instead of every block of the DEM.
ALTER TABLE terrain.dem ADD COLUMN overview smallint NOT NULL DEFAULT 1 CHECK (overview >= 1);
DROP INDEX terrain.dem_dataset_id_idx;
CREATE INDEX ON terrain.dem (dataset_id, overview);

-- +goose Down
DROP INDEX terrain.dem_dataset_id_overview_idx;
CREATE INDEX ON terrain.dem (dataset_id);
ALTER TABLE terrain.dem DROP COLUMN overview;
