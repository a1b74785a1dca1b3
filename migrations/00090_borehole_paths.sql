-- +goose Up

-- Inclined boreholes (importers/geology/survey.go): a hole's path from its collar to its depth, and
-- each layer's stretch of it, as 3D lines (z = elevation, normal height). A vertical hole's are
-- vertical lines under its collar. Layer depths stay measured along the hole; top_elev and
-- bottom_elev are where the path is at those depths. NULL for rows imported before this.
ALTER TABLE geology.borehole
    ADD COLUMN inclined boolean NOT NULL DEFAULT false,  -- surveyed off the vertical
    ADD COLUMN trace geometry(LineStringZ, 4490);
ALTER TABLE geology.layer
    ADD COLUMN geom geometry(LineStringZ, 4490);
CREATE INDEX ON geology.borehole USING gist (trace);

UPDATE catalog.layer SET properties = properties ||
 '[{"name":"inclined","title_zh":"斜孔","title_en":"Inclined","type":"boolean"}]'::jsonb
WHERE id = 'geology.borehole';

-- +goose Down
UPDATE catalog.layer SET properties = (SELECT jsonb_agg(p) FROM jsonb_array_elements(properties) p WHERE p->>'name' <> 'inclined')
WHERE id = 'geology.borehole';
ALTER TABLE geology.layer DROP COLUMN geom;
ALTER TABLE geology.borehole DROP COLUMN trace, DROP COLUMN inclined;
