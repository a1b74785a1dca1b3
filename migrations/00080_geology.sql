-- +goose Up

-- Geology: borehole tables (钻孔表, 分层表) imported by `yitu import --as boreholes`, and the stratum
-- model built from them at import (importers/geology). One dataset per import; a re-import replaces
-- its boreholes, layers and model (ON DELETE CASCADE). Heights are normal heights (1985 national
-- height datum) as surveyed; the 3D tileset adds twin.height_offset.
CREATE SCHEMA IF NOT EXISTS geology;

-- The strata of a dataset in model order (top to bottom), from the legend given with the import or
-- from the sequence in the holes.
CREATE TABLE geology.stratum (
    dataset_id  bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    seq         integer NOT NULL,           -- 1 = uppermost
    code        text NOT NULL,              -- 地层编号 (①, ②-1, Q4ml, ...)
    name        text,                       -- 地层名称 (素填土, 粉质黏土, ...)
    color       text NOT NULL,              -- #rrggbb
    PRIMARY KEY (dataset_id, code),
    UNIQUE (dataset_id, seq)
);

-- Boreholes (钻孔): the collar as a 3D point, z = collar elevation (孔口高程, normal height).
CREATE TABLE geology.borehole (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id  bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    hole_no     text NOT NULL,              -- 钻孔编号
    x           double precision,           -- source coordinates as surveyed (X north, Y east)
    y           double precision,
    collar_elev real NOT NULL,              -- 孔口高程 (m)
    depth       real NOT NULL,              -- 孔深 (m)
    layers      integer NOT NULL,           -- number of layers
    props       jsonb NOT NULL DEFAULT '{}',
    geom        geometry(PointZ, 4490) NOT NULL,
    geom_3857   geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED,
    UNIQUE (dataset_id, hole_no)
);
CREATE INDEX ON geology.borehole USING gist (geom_3857);
CREATE INDEX ON geology.borehole USING gist (geom);

-- Layers (分层) of a borehole, top to bottom: depths below the collar and elevations.
CREATE TABLE geology.layer (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL,
    hole_no      text NOT NULL,
    seq          integer NOT NULL,          -- 1 = top layer of the hole
    top_depth    real NOT NULL,             -- 层顶深度 (m)
    bottom_depth real NOT NULL,             -- 层底深度 (m)
    top_elev     real NOT NULL,             -- 层顶高程 (m)
    bottom_elev  real NOT NULL,             -- 层底高程 (m)
    code         text NOT NULL,             -- 地层编号
    name         text,                      -- 地层名称
    lithology    text,                      -- 岩性描述
    props        jsonb NOT NULL DEFAULT '{}',
    FOREIGN KEY (dataset_id, hole_no) REFERENCES geology.borehole (dataset_id, hole_no) ON DELETE CASCADE,
    UNIQUE (dataset_id, hole_no, seq),
    CHECK (bottom_depth > top_depth)
);

-- The stratum model: bottom surfaces of each stratum on a regular grid in an east-north-up plane at
-- origin (metres), cells clipped to the boreholes' hull plus a margin. Built at import.
CREATE TABLE geology.model (
    dataset_id  bigint PRIMARY KEY REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    origin_lon  double precision NOT NULL,  -- the plane's origin (grid node 0,0 is at e0, n0)
    origin_lat  double precision NOT NULL,
    e0          double precision NOT NULL,
    n0          double precision NOT NULL,
    cell        double precision NOT NULL CHECK (cell > 0), -- metres
    nx          integer NOT NULL CHECK (nx >= 2),          -- grid nodes east
    ny          integer NOT NULL CHECK (ny >= 2),          -- grid nodes north
    inside      boolean[] NOT NULL,         -- (nx-1)·(ny-1) cells, row by row from the south: in the model
    ground      real[] NOT NULL,            -- nx·ny node elevations of the top (collars interpolated)
    method      jsonb NOT NULL,             -- interpolation method and parameters
    footprint   geometry(Polygon, 4490) NOT NULL, -- the hull plus margin
    zmin        double precision NOT NULL,
    zmax        double precision NOT NULL
);

CREATE TABLE geology.surface (
    dataset_id  bigint NOT NULL REFERENCES geology.model (dataset_id) ON DELETE CASCADE,
    seq         integer NOT NULL,           -- geology.stratum.seq
    code        text NOT NULL,
    bottom      real[] NOT NULL,            -- nx·ny node elevations of the stratum's bottom
    PRIMARY KEY (dataset_id, seq)
);

INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES
('geology.borehole', '钻孔', 'Boreholes', 'geology', 10, 'geology', 'borehole', 'Point', 12,
 '[{"name":"hole_no","title_zh":"钻孔编号","title_en":"Hole no.","type":"string"},
   {"name":"collar_elev","title_zh":"孔口高程(米)","title_en":"Collar elevation (m)","type":"number"},
   {"name":"depth","title_zh":"孔深(米)","title_en":"Depth (m)","type":"number"},
   {"name":"layers","title_zh":"分层数","title_en":"Layers","type":"integer"}]');

-- +goose Down
DELETE FROM catalog.layer WHERE schema_name = 'geology';
DROP SCHEMA geology CASCADE;
