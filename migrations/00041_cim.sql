-- +goose Up

-- City information model (CIM): CityGML 2.0/3.0 and CityJSON 1.1/2.0 imports. Geometry is 3D in
-- EPSG:4490 with the source's heights (normal heights; the 3D Tiles output adds twin.height_offset).
-- One LoD is kept per object (the highest up to the import's --lod, LoD2 by default).

CREATE TABLE cim.building ( -- 建筑 (Building / BuildingPart)
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id      bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    gml_id          text NOT NULL,          -- gml:id, or the CityJSON object id
    parent_id       bigint REFERENCES cim.building (id) ON DELETE CASCADE, -- a BuildingPart's building
    class           text NOT NULL DEFAULT 'Building' CHECK (class IN ('Building', 'BuildingPart')),
    name            text,
    function        text,
    usage           text,
    roof_type       text,
    measured_height real,                   -- metres
    storeys_above   integer,
    storeys_below   integer,
    year_built      integer,
    address         text,
    lod             smallint,               -- LoD of the kept geometry (0-3); NULL: the geometry is in its parts
    attributes      jsonb NOT NULL DEFAULT '{}', -- generic attributes and other properties, as in the source
    geom            geometry(MultiPolygonZ, 4490), -- every surface of the kept LoD
    footprint       geometry(MultiPolygon, 4490) NOT NULL, -- 2D outline
    geom_3857       geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Transform(footprint, 3857)) STORED,
    UNIQUE (dataset_id, gml_id)
);
CREATE INDEX ON cim.building USING gist (geom_3857);
CREATE INDEX ON cim.building USING gist (footprint);
CREATE INDEX ON cim.building (dataset_id);
CREATE INDEX ON cim.building (parent_id);

-- Thematic boundary surfaces of a building (LoD2+): roof, wall, ground, closure, ...
CREATE TABLE cim.surface (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id  bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    building_id bigint NOT NULL REFERENCES cim.building (id) ON DELETE CASCADE,
    gml_id      text,
    kind        text NOT NULL,              -- RoofSurface, WallSurface, GroundSurface, ClosureSurface, ...
    lod         smallint NOT NULL,
    attributes  jsonb NOT NULL DEFAULT '{}',
    -- Appearance: {"color": [r, g, b]} (0-1) and/or {"texture": cim.texture id, "uv": [[[u, v], ...] per ring] per polygon}.
    appearance  jsonb,
    geom        geometry(MultiPolygonZ, 4490) NOT NULL
);
CREATE INDEX ON cim.surface (building_id);
CREATE INDEX ON cim.surface (dataset_id);

-- Texture images of an import (CityJSON appearances, CityGML ParameterizedTexture).
CREATE TABLE cim.texture (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id  bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    uri         text NOT NULL,              -- as the source names it
    mime_type   text NOT NULL CHECK (mime_type IN ('image/jpeg', 'image/png')),
    data        bytea NOT NULL,
    UNIQUE (dataset_id, uri)
);
ALTER TABLE cim.texture ALTER COLUMN data SET STORAGE EXTERNAL;

-- Every other city object (roads, water bodies, vegetation, land use, bridges, relief, furniture,
-- generic city objects), kept with its class and attributes.
CREATE TABLE cim.city_object ( -- 其他城市对象
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id  bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    gml_id      text NOT NULL,
    class       text NOT NULL,              -- Road, WaterBody, PlantCover, LandUse, Bridge, TINRelief, ...
    name        text,
    lod         smallint,
    attributes  jsonb NOT NULL DEFAULT '{}',
    geom        geometry(GeometryZ, 4490) NOT NULL,
    geom_3857   geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED,
    UNIQUE (dataset_id, gml_id)
);
CREATE INDEX ON cim.city_object USING gist (geom_3857);
CREATE INDEX ON cim.city_object (dataset_id);

INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_column, geometry_type, min_zoom, properties)
VALUES
('cim.building', '城市信息模型建筑', 'CIM buildings', 'twin', 10, 'cim', 'building', 'footprint', 'MultiPolygon', 14,
 '[{"name":"gml_id","title_zh":"标识","title_en":"GML id","type":"string"},
   {"name":"class","title_zh":"类别","title_en":"Class","type":"string"},
   {"name":"name","title_zh":"名称","title_en":"Name","type":"string"},
   {"name":"function","title_zh":"功能","title_en":"Function","type":"string"},
   {"name":"roof_type","title_zh":"屋顶类型","title_en":"Roof type","type":"string"},
   {"name":"measured_height","title_zh":"高度(米)","title_en":"Height (m)","type":"number"},
   {"name":"storeys_above","title_zh":"地上层数","title_en":"Storeys above ground","type":"integer"},
   {"name":"year_built","title_zh":"建成年份","title_en":"Year built","type":"integer"},
   {"name":"address","title_zh":"地址","title_en":"Address","type":"string"},
   {"name":"lod","title_zh":"细节层次","title_en":"LoD","type":"integer"}]'),
('cim.city_object', '其他城市对象', 'Other city objects', 'twin', 20, 'cim', 'city_object', 'geom', 'Geometry', 14,
 '[{"name":"gml_id","title_zh":"标识","title_en":"GML id","type":"string"},
   {"name":"class","title_zh":"类别","title_en":"Class","type":"string"},
   {"name":"name","title_zh":"名称","title_en":"Name","type":"string"},
   {"name":"lod","title_zh":"细节层次","title_en":"LoD","type":"integer"}]');

-- +goose Down
DELETE FROM catalog.layer WHERE schema_name = 'cim';
DROP TABLE cim.city_object;
DROP TABLE cim.texture;
DROP TABLE cim.surface;
DROP TABLE cim.building;
