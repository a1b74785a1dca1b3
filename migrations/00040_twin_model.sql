-- +goose Up

-- 3D models served as 3D Tiles: oblique photography (ContextCapture OSGB), OBJ, and existing 3D Tiles
-- tilesets, converted on import and stored with their level-of-detail tree. Each model is served as
-- the tileset `model-<name>` (GET /3dtiles/model-<name>/tileset.json).
CREATE TABLE twin.model (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id     bigint NOT NULL UNIQUE REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    name           text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'), -- URL-safe: model-<name>
    title_zh       text NOT NULL,
    title_en       text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('oblique', 'obj', '3dtiles')),
    source_srs     text NOT NULL,           -- as the source states it: EPSG:4528, ENU:37.18,119.94, WKT ...
    -- Georeference: the root transform from the model's local frame (metres, z up: east, north, up
    -- at origin when the source is ENU) to ECEF (EPSG:4978), a column-major 4x4 matrix as 3D Tiles'
    -- tile.transform. Heights in it are ellipsoidal (the importer applies twin.height_offset).
    root_transform double precision[] NOT NULL CHECK (cardinality(root_transform) = 16),
    origin         geometry(PointZ, 4490),  -- the local frame's origin, lon/lat/ellipsoidal height
    footprint      geometry(Polygon, 4490), -- 2D extent, for the layer tree and zoom-to
    asset          jsonb NOT NULL DEFAULT '{}', -- source metadata (metadata.xml fields, tileset asset, counts)
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- The level-of-detail tree: one row per tile. A node with parent_id NULL is the root (exactly one per
-- model). Bounding volumes are 3D Tiles boundingVolume JSON ({"box": [12]}, {"sphere": [4]} or
-- {"region": [6]}) in the frame of the node (root_transform, then the transforms of its ancestors and
-- itself); geometric_error is in metres and does not grow from parent to child.
CREATE TABLE twin.model_node (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id        bigint NOT NULL REFERENCES twin.model (id) ON DELETE CASCADE,
    parent_id       bigint REFERENCES twin.model_node (id) ON DELETE CASCADE,
    name            text NOT NULL,          -- source tile path (Tile_+000_+001/Tile_+000_+001_L17_0), unique per model
    sort_order      integer NOT NULL DEFAULT 0, -- order among siblings
    bounding_volume jsonb NOT NULL CHECK (bounding_volume ?| ARRAY['box', 'sphere', 'region']),
    geometric_error double precision NOT NULL CHECK (geometric_error >= 0),
    refine          text NOT NULL DEFAULT 'REPLACE' CHECK (refine IN ('ADD', 'REPLACE')),
    transform       double precision[] CHECK (transform IS NULL OR cardinality(transform) = 16), -- relative to the parent
    -- Content: glb (written with twin/glb) or, for imported 3D Tiles 1.0, b3dm/i3dm/pnts/cmpt as found.
    -- NULL content_type: a node that only groups its children.
    content_type    text CHECK (content_type IN ('glb', 'b3dm', 'i3dm', 'pnts', 'cmpt')),
    content         bytea,
    CHECK ((content_type IS NULL) = (content IS NULL)),
    UNIQUE (model_id, name)
);
CREATE INDEX ON twin.model_node (model_id, parent_id, sort_order);
CREATE UNIQUE INDEX model_node_one_root ON twin.model_node (model_id) WHERE parent_id IS NULL;
-- Content bytes are already compressed (JPEG textures, zlib in glb is rare): skip TOAST compression.
ALTER TABLE twin.model_node ALTER COLUMN content SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE twin.model_node;
DROP TABLE twin.model;
