-- +goose Up

-- Pipeline types of CJJ 61 with the map colours of the standard and the elevation convention of the
-- survey: gravity drains are measured to the pipe's inner bottom (管内底), pressure pipes and cable
-- ducts to the top (管顶). The importer turns a measured elevation into the centreline with
-- centre = bottom + d/2 or centre = top - d/2.
CREATE TABLE pipeline.type (
    code      text PRIMARY KEY,
    name_zh   text NOT NULL,
    name_en   text NOT NULL,
    color     text NOT NULL,  -- #rrggbb
    gravity   boolean NOT NULL,
    elev_ref  text NOT NULL CHECK (elev_ref IN ('top', 'bottom'))
);
INSERT INTO pipeline.type VALUES
    ('JS', '给水', 'Water supply',     '#00bfff', false, 'top'),
    ('PS', '排水', 'Drainage',         '#8b4513', true,  'bottom'),
    ('YS', '雨水', 'Storm water',      '#8b4513', true,  'bottom'),
    ('WS', '污水', 'Sewage',           '#7a4a1e', true,  'bottom'),
    ('RQ', '燃气', 'Gas',              '#ff00ff', false, 'top'),
    ('RL', '热力', 'Heating',          '#ff8c00', false, 'top'),
    ('DL', '电力', 'Electric power',   '#ff0000', false, 'top'),
    ('TX', '通信', 'Telecom',          '#00b050', false, 'top'),
    ('GY', '工业', 'Industrial',       '#303030', false, 'top');

-- Pipe points (管线点): features and appurtenances surveyed at a point, joined to segments by point_no.
CREATE TABLE pipeline.point (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id  bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    point_no    text NOT NULL,              -- 物探点号
    pipe_type   text NOT NULL REFERENCES pipeline.type (code),
    feature     text,                       -- 特征 (三通, 弯头, 变径, ...)
    appendage   text,                       -- 附属物 (阀门, 检修井, 消防栓, ...)
    x           double precision,           -- source coordinates as surveyed
    y           double precision,
    ground_elev real,                       -- 地面高程 (normal height, m)
    depth       real,                       -- 埋深 (m)
    well_depth  real,                       -- 井深 (m)
    cover_spec  text,                       -- 井盖规格
    road_name   text,                       -- 道路名称
    owner       text,                       -- 权属单位
    props       jsonb NOT NULL DEFAULT '{}',
    geom        geometry(PointZ, 4490) NOT NULL, -- z = pipe elevation at the point
    geom_3857   geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED,
    UNIQUE (dataset_id, point_no)
);
CREATE INDEX ON pipeline.point USING gist (geom_3857);
CREATE INDEX ON pipeline.point USING gist (geom);

-- Pipe segments (管线段) between two points, with a 3D centreline.
CREATE TABLE pipeline.segment (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id  bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE,
    pipe_type   text NOT NULL REFERENCES pipeline.type (code),
    start_no    text NOT NULL,              -- 起点点号
    end_no      text NOT NULL,              -- 终点点号
    start_depth real,                       -- 起点埋深
    end_depth   real,                       -- 终点埋深
    start_elev  real,                       -- 起点管线高程 (top or inner bottom, per pipeline.type.elev_ref)
    end_elev    real,                       -- 终点管线高程
    diameter_mm real,                       -- 管径
    width_mm    real,                       -- 断面尺寸 宽 (rectangular ducts)
    height_mm   real,                       -- 断面尺寸 高
    material    text,                       -- 材质
    burial      text,                       -- 埋设方式
    pressure    text,                       -- 压力/电压
    cables      integer,                    -- 电缆条数
    holes_total integer,                    -- 总孔数
    holes_used  integer,                    -- 已用孔数
    flow_dir    text,                       -- 流向
    built_year  integer,                    -- 建设年代
    owner       text,                       -- 权属单位
    road_name   text,                       -- 道路名称
    props       jsonb NOT NULL DEFAULT '{}',
    geom        geometry(LineStringZ, 4490) NOT NULL, -- 3D centreline
    geom_3857   geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED
);
CREATE INDEX ON pipeline.segment USING gist (geom_3857);
CREATE INDEX ON pipeline.segment USING gist (geom);
CREATE INDEX ON pipeline.segment (dataset_id);

INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES
('pipeline.segment', '管线', 'Pipe segments', 'pipeline', 10, 'pipeline', 'segment', 'LineString', 14,
 '[{"name":"pipe_type","title_zh":"管线类型","title_en":"Type","type":"string"},
   {"name":"start_no","title_zh":"起点点号","title_en":"From point","type":"string"},
   {"name":"end_no","title_zh":"终点点号","title_en":"To point","type":"string"},
   {"name":"diameter_mm","title_zh":"管径(毫米)","title_en":"Diameter (mm)","type":"number"},
   {"name":"width_mm","title_zh":"断面宽(毫米)","title_en":"Width (mm)","type":"number"},
   {"name":"height_mm","title_zh":"断面高(毫米)","title_en":"Height (mm)","type":"number"},
   {"name":"material","title_zh":"材质","title_en":"Material","type":"string"},
   {"name":"burial","title_zh":"埋设方式","title_en":"Burial","type":"string"},
   {"name":"start_depth","title_zh":"起点埋深(米)","title_en":"Start depth (m)","type":"number"},
   {"name":"end_depth","title_zh":"终点埋深(米)","title_en":"End depth (m)","type":"number"},
   {"name":"pressure","title_zh":"压力/电压","title_en":"Pressure/voltage","type":"string"},
   {"name":"flow_dir","title_zh":"流向","title_en":"Flow direction","type":"string"},
   {"name":"built_year","title_zh":"建设年代","title_en":"Year built","type":"integer"},
   {"name":"owner","title_zh":"权属单位","title_en":"Owner","type":"string"},
   {"name":"road_name","title_zh":"道路名称","title_en":"Road","type":"string"}]'),
('pipeline.point', '管线点', 'Pipe points', 'pipeline', 20, 'pipeline', 'point', 'Point', 16,
 '[{"name":"point_no","title_zh":"物探点号","title_en":"Point no.","type":"string"},
   {"name":"pipe_type","title_zh":"管线类型","title_en":"Type","type":"string"},
   {"name":"feature","title_zh":"特征","title_en":"Feature","type":"string"},
   {"name":"appendage","title_zh":"附属物","title_en":"Appurtenance","type":"string"},
   {"name":"ground_elev","title_zh":"地面高程(米)","title_en":"Ground elevation (m)","type":"number"},
   {"name":"depth","title_zh":"埋深(米)","title_en":"Depth (m)","type":"number"},
   {"name":"well_depth","title_zh":"井深(米)","title_en":"Well depth (m)","type":"number"},
   {"name":"cover_spec","title_zh":"井盖规格","title_en":"Cover","type":"string"},
   {"name":"road_name","title_zh":"道路名称","title_en":"Road","type":"string"},
   {"name":"owner","title_zh":"权属单位","title_en":"Owner","type":"string"}]');

-- +goose Down
DELETE FROM catalog.layer WHERE schema_name = 'pipeline';
DROP TABLE pipeline.segment;
DROP TABLE pipeline.point;
DROP TABLE pipeline.type;
