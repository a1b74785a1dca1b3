-- +goose Up

-- The 1:500 base map, one table per feature class (the CASS layer/code table in importers maps source
-- layers and codes onto these). Common columns: dataset_id (which import wrote the row), source_layer
-- (DXF layer or source table), code (CASS code), name, props (every other source attribute), geom in
-- SRID 4490 and geom_3857, the indexed Web Mercator copy that tiles read (derived, never written).

CREATE TABLE basemap.building ( -- 房屋
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    floors       integer,
    structure    text,
    height       real,
    address      text,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(MultiPolygon, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.building USING gist (geom_3857);
CREATE INDEX ON basemap.building USING gist (geom);
CREATE INDEX ON basemap.building (dataset_id);
CREATE INDEX ON basemap.building USING gin (name gin_trgm_ops);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.building', '房屋', 'Buildings', 'basemap', 10, 'basemap', 'building', 'MultiPolygon', 14, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}, {"name": "floors", "title_zh": "层数", "title_en": "Floors", "type": "integer"}, {"name": "structure", "title_zh": "结构", "title_en": "Structure", "type": "string"}, {"name": "height", "title_zh": "高度(米)", "title_en": "Height (m)", "type": "number"}, {"name": "address", "title_zh": "地址", "title_en": "Address", "type": "string"}]');

CREATE TABLE basemap.road ( -- 道路
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    grade        text,
    width        real,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Geometry, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.road USING gist (geom_3857);
CREATE INDEX ON basemap.road USING gist (geom);
CREATE INDEX ON basemap.road (dataset_id);
CREATE INDEX ON basemap.road USING gin (name gin_trgm_ops);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.road', '道路', 'Roads', 'basemap', 20, 'basemap', 'road', 'Geometry', 12, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}, {"name": "grade", "title_zh": "等级", "title_en": "Grade", "type": "string"}, {"name": "width", "title_zh": "宽度(米)", "title_en": "Width (m)", "type": "number"}]');

CREATE TABLE basemap.facility ( -- 独立地物
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Geometry, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.facility USING gist (geom_3857);
CREATE INDEX ON basemap.facility USING gist (geom);
CREATE INDEX ON basemap.facility (dataset_id);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.facility', '独立地物', 'Standalone features', 'basemap', 30, 'basemap', 'facility', 'Geometry', 15, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}]');

CREATE TABLE basemap.water ( -- 水系
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Geometry, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.water USING gist (geom_3857);
CREATE INDEX ON basemap.water USING gist (geom);
CREATE INDEX ON basemap.water (dataset_id);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.water', '水系', 'Water', 'basemap', 40, 'basemap', 'water', 'Geometry', 12, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}]');

CREATE TABLE basemap.vegetation ( -- 植被土质
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Geometry, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.vegetation USING gist (geom_3857);
CREATE INDEX ON basemap.vegetation USING gist (geom);
CREATE INDEX ON basemap.vegetation (dataset_id);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.vegetation', '植被土质', 'Vegetation and soil', 'basemap', 50, 'basemap', 'vegetation', 'Geometry', 14, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}]');

CREATE TABLE basemap.landform ( -- 地貌
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Geometry, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.landform USING gist (geom_3857);
CREATE INDEX ON basemap.landform USING gist (geom);
CREATE INDEX ON basemap.landform (dataset_id);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.landform', '地貌', 'Landforms', 'basemap', 60, 'basemap', 'landform', 'Geometry', 15, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}]');

CREATE TABLE basemap.contour ( -- 等高线
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    elevation    real,
    is_index     boolean,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Geometry, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.contour USING gist (geom_3857);
CREATE INDEX ON basemap.contour USING gist (geom);
CREATE INDEX ON basemap.contour (dataset_id);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.contour', '等高线', 'Contours', 'basemap', 70, 'basemap', 'contour', 'Geometry', 14, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}, {"name": "elevation", "title_zh": "高程(米)", "title_en": "Elevation (m)", "type": "number"}, {"name": "is_index", "title_zh": "计曲线", "title_en": "Index contour", "type": "boolean"}]');

CREATE TABLE basemap.elevation_point ( -- 高程点
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    elevation    real,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Point, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.elevation_point USING gist (geom_3857);
CREATE INDEX ON basemap.elevation_point USING gist (geom);
CREATE INDEX ON basemap.elevation_point (dataset_id);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.elevation_point', '高程点', 'Spot heights', 'basemap', 80, 'basemap', 'elevation_point', 'Point', 16, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}, {"name": "elevation", "title_zh": "高程(米)", "title_en": "Elevation (m)", "type": "number"}]');

CREATE TABLE basemap.control_point ( -- 控制点
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    point_name   text,
    grade        text,
    elevation    real,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Point, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.control_point USING gist (geom_3857);
CREATE INDEX ON basemap.control_point USING gist (geom);
CREATE INDEX ON basemap.control_point (dataset_id);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.control_point', '控制点', 'Control points', 'basemap', 90, 'basemap', 'control_point', 'Point', 15, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}, {"name": "point_name", "title_zh": "点名", "title_en": "Point name", "type": "string"}, {"name": "grade", "title_zh": "等级", "title_en": "Grade", "type": "string"}, {"name": "elevation", "title_zh": "高程(米)", "title_en": "Elevation (m)", "type": "number"}]');

CREATE TABLE basemap.pipe_facility ( -- 管线设施
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Geometry, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.pipe_facility USING gist (geom_3857);
CREATE INDEX ON basemap.pipe_facility USING gist (geom);
CREATE INDEX ON basemap.pipe_facility (dataset_id);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.pipe_facility', '管线设施', 'Pipeline facilities', 'basemap', 100, 'basemap', 'pipe_facility', 'Geometry', 16, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}]');

CREATE TABLE basemap.boundary ( -- 境界
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Geometry, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.boundary USING gist (geom_3857);
CREATE INDEX ON basemap.boundary USING gist (geom);
CREATE INDEX ON basemap.boundary (dataset_id);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.boundary', '境界', 'Boundaries', 'basemap', 110, 'basemap', 'boundary', 'Geometry', 10, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}]');

CREATE TABLE basemap.annotation ( -- 注记
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    text         text NOT NULL,
    font_height  real,
    rotation     real,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Point, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.annotation USING gist (geom_3857);
CREATE INDEX ON basemap.annotation USING gist (geom);
CREATE INDEX ON basemap.annotation (dataset_id);
CREATE INDEX ON basemap.annotation USING gin (text gin_trgm_ops);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.annotation', '注记', 'Annotations', 'basemap', 120, 'basemap', 'annotation', 'Point', 16, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}, {"name": "text", "title_zh": "注记", "title_en": "Text", "type": "string"}, {"name": "font_height", "title_zh": "字高", "title_en": "Font height", "type": "number"}, {"name": "rotation", "title_zh": "角度", "title_en": "Rotation", "type": "number"}]');

CREATE TABLE basemap.other ( -- 其他
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id   bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    source_layer text,
    code         text,
    name         text,
    props        jsonb NOT NULL DEFAULT '{}',
    geom         geometry(Geometry, 4490) NOT NULL,
    geom_3857    geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON basemap.other USING gist (geom_3857);
CREATE INDEX ON basemap.other USING gist (geom);
CREATE INDEX ON basemap.other (dataset_id);
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES ('basemap.other', '其他', 'Other', 'basemap', 130, 'basemap', 'other', 'Geometry', 16, '[{"name": "code", "title_zh": "编码", "title_en": "Code", "type": "string"}, {"name": "name", "title_zh": "名称", "title_en": "Name", "type": "string"}, {"name": "source_layer", "title_zh": "图层", "title_en": "Source layer", "type": "string"}]');

-- +goose Down
DELETE FROM catalog.layer WHERE schema_name = 'basemap';
DROP TABLE basemap.other;
DROP TABLE basemap.annotation;
DROP TABLE basemap.boundary;
DROP TABLE basemap.pipe_facility;
DROP TABLE basemap.control_point;
DROP TABLE basemap.elevation_point;
DROP TABLE basemap.contour;
DROP TABLE basemap.landform;
DROP TABLE basemap.vegetation;
DROP TABLE basemap.water;
DROP TABLE basemap.facility;
DROP TABLE basemap.road;
DROP TABLE basemap.building;
