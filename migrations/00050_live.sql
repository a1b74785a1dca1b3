-- +goose Up

-- The live half of the one map (package live): registered devices, the current state of every live
-- object, and history (positions, observations, device events) in tables partitioned by day, which
-- the server creates ahead and drops past the retention (live.Config). Hotspots (NASA FIRMS) have
-- their own table, deduplicated across files by a key.

-- Devices: JT/T 808 terminals (vehicles, teams; id = the phone number as the terminal sends it),
-- sensors (id = the MQTT user name), cameras and watchtowers.
CREATE TABLE live.device (
    id             text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'),
    kind           text NOT NULL CHECK (kind IN ('vehicle', 'team', 'sensor', 'camera')),
    name           text,
    plate          text,
    plate_color    smallint NOT NULL DEFAULT 0,
    carrier        text,
    vehicle_kind   text,
    un_number      text,
    hazard_class   text,
    sensor_kind    text,
    unit           text,
    view_direction double precision CHECK (view_direction IS NULL OR view_direction >= 0 AND view_direction < 360),
    stream_url     text,
    owner          text,
    group_name     text,
    geom           geometry(Point, 4490),
    props          jsonb NOT NULL DEFAULT '{}',
    -- What a JT/T 808 terminal receives in 0x8100 and sends back in 0x0102.
    auth_code      text NOT NULL DEFAULT substr(md5(random()::text || clock_timestamp()::text), 1, 12),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON live.device (kind);
CREATE INDEX ON live.device (group_name) WHERE group_name IS NOT NULL;

-- Every replica's hub reloads the registry when it changes (LISTEN yitu_live).
-- +goose StatementBegin
CREATE FUNCTION live.notify_device_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('yitu_live', 'devices');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER device_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON live.device
    FOR EACH STATEMENT EXECUTE FUNCTION live.notify_device_change();

-- The current state of every live object, kept by the hub (written every few seconds for the objects
-- that changed): what the hub starts from after a restart, and what the catalog's live layers read
-- (tiles, OGC API Features) through the views below.
CREATE TABLE live.object_state (
    id          text PRIMARY KEY,
    kind        text NOT NULL,
    layer       text NOT NULL,
    name        text,
    time        timestamptz,                 -- of the last report, by the device's clock (NULL: none yet)
    received_at timestamptz,
    lon         double precision,
    lat         double precision,
    speed       real,                        -- km/h
    heading     real,                        -- degrees from north
    altitude    real,
    alarm       bigint NOT NULL DEFAULT 0,   -- JT/T 808 alarm word
    status      bigint NOT NULL DEFAULT 0,
    vals        jsonb,                       -- a sensor's last readings {"value": 2.1} or named ones
    state       jsonb,                       -- a device's last state report
    online      boolean NOT NULL DEFAULT true,
    geom        geometry(Point, 4490) GENERATED ALWAYS AS (
                    CASE WHEN lon IS NOT NULL AND lat IS NOT NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4490) END) STORED,
    geom_3857   geometry(Point, 3857) GENERATED ALWAYS AS (
                    CASE WHEN lon IS NOT NULL AND lat IS NOT NULL AND lat BETWEEN -85 AND 85
                         THEN ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4490), 3857) END) STORED
);
CREATE INDEX ON live.object_state USING gist (geom_3857);
CREATE INDEX ON live.object_state (layer);

-- History, one partition a day (UTC). The hub writes it in batches with COPY.
CREATE TABLE live.position (
    time        timestamptz NOT NULL,
    object_id   text NOT NULL,
    lon         double precision NOT NULL,
    lat         double precision NOT NULL,
    altitude    real,
    speed       real,
    heading     real,
    alarm       bigint NOT NULL DEFAULT 0,
    status      bigint NOT NULL DEFAULT 0,
    extra       jsonb,
    source      text NOT NULL,
    received_at timestamptz NOT NULL
) PARTITION BY RANGE (time);
CREATE INDEX ON live.position (object_id, time);

CREATE TABLE live.observation (
    time        timestamptz NOT NULL,
    sensor_id   text NOT NULL,
    name        text NOT NULL DEFAULT 'value',
    value       double precision NOT NULL,
    unit        text,
    source      text NOT NULL,
    received_at timestamptz NOT NULL
) PARTITION BY RANGE (time);
CREATE INDEX ON live.observation (sensor_id, time);

-- register, auth, deregister, online, offline, state (a device's own state report: detail).
CREATE TABLE live.device_event (
    time        timestamptz NOT NULL,
    device_id   text NOT NULL,
    name        text NOT NULL,
    detail      jsonb,
    source      text NOT NULL,
    received_at timestamptz NOT NULL
) PARTITION BY RANGE (time);
CREATE INDEX ON live.device_event (device_id, time);

-- Satellite fire detections (NASA FIRMS, MODIS and VIIRS), one row per detection whatever file or
-- poll brought it (key: instrument, satellite, time, position to 1e-4°).
CREATE TABLE live.hotspot (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key         text NOT NULL UNIQUE,
    time        timestamptz NOT NULL,        -- acq_date + acq_time, UTC
    lon         double precision NOT NULL,
    lat         double precision NOT NULL,
    instrument  text NOT NULL,
    satellite   text NOT NULL,
    confidence  text,
    brightness  double precision,
    frp         double precision,
    scan        double precision,
    track       double precision,
    daynight    text,
    version     text,
    source      text NOT NULL,               -- file or URL
    imported_at timestamptz NOT NULL DEFAULT now(),
    geom        geometry(Point, 4490) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4490)) STORED,
    geom_3857   geometry(Point, 3857) GENERATED ALWAYS AS (
                    ST_Transform(ST_SetSRID(ST_MakePoint(lon, LEAST(GREATEST(lat, -85), 85)), 4490), 3857)) STORED
);
CREATE INDEX ON live.hotspot (time);
CREATE INDEX ON live.hotspot USING gist (geom_3857);

-- New hotspots reach every replica's hub.
-- +goose StatementBegin
CREATE FUNCTION live.notify_hotspot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('yitu_live', 'hotspots');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER hotspot_added AFTER INSERT ON live.hotspot
    FOR EACH STATEMENT EXECUTE FUNCTION live.notify_hotspot();

-- The live layers of the one map: views over the current state, one per layer, so tiles and OGC API
-- Features serve them like any other layer; the viewer draws them from /live/objects.
-- +goose StatementBegin
DO $$
DECLARE
    l text;
BEGIN
    FOREACH l IN ARRAY ARRAY['vehicle', 'hazmat', 'team', 'sensor', 'camera'] LOOP
        EXECUTE format($v$
            CREATE VIEW live.%I AS
            SELECT s.id, s.kind, s.name, d.plate, d.carrier, d.vehicle_kind, d.un_number, d.hazard_class,
                   d.sensor_kind, d.unit, d.group_name, d.owner, d.view_direction, d.stream_url,
                   s.time, s.speed, s.heading, s.altitude, s.alarm, s.vals, s.online, s.geom, s.geom_3857
            FROM live.object_state s LEFT JOIN live.device d ON d.id = s.id
            WHERE s.layer = %L$v$, l || '_now', 'live.' || l);
    END LOOP;
END
$$;
-- +goose StatementEnd

INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type, min_zoom, properties)
VALUES
('live.hazmat', '危化品运输车辆', 'Hazmat trucks', 'live', 10, 'live', 'hazmat_now', 'Point', 6,
 '[{"name":"name","title_zh":"名称","title_en":"Name","type":"string"},
   {"name":"plate","title_zh":"车牌","title_en":"Plate","type":"string"},
   {"name":"carrier","title_zh":"运输企业","title_en":"Carrier","type":"string"},
   {"name":"un_number","title_zh":"UN编号","title_en":"UN number","type":"string"},
   {"name":"hazard_class","title_zh":"危险类别","title_en":"Hazard class","type":"string"},
   {"name":"time","title_zh":"定位时间","title_en":"Fix time","type":"datetime"},
   {"name":"speed","title_zh":"速度(km/h)","title_en":"Speed (km/h)","type":"number"},
   {"name":"heading","title_zh":"方向(度)","title_en":"Heading (°)","type":"number"},
   {"name":"online","title_zh":"在线","title_en":"Online","type":"boolean"}]'),
('live.vehicle', '车辆', 'Vehicles', 'live', 20, 'live', 'vehicle_now', 'Point', 6,
 '[{"name":"name","title_zh":"名称","title_en":"Name","type":"string"},
   {"name":"plate","title_zh":"车牌","title_en":"Plate","type":"string"},
   {"name":"carrier","title_zh":"所属单位","title_en":"Operator","type":"string"},
   {"name":"vehicle_kind","title_zh":"车辆类型","title_en":"Vehicle kind","type":"string"},
   {"name":"time","title_zh":"定位时间","title_en":"Fix time","type":"datetime"},
   {"name":"speed","title_zh":"速度(km/h)","title_en":"Speed (km/h)","type":"number"},
   {"name":"heading","title_zh":"方向(度)","title_en":"Heading (°)","type":"number"},
   {"name":"online","title_zh":"在线","title_en":"Online","type":"boolean"}]'),
('live.team', '救援队伍', 'Teams', 'live', 30, 'live', 'team_now', 'Point', 6,
 '[{"name":"name","title_zh":"名称","title_en":"Name","type":"string"},
   {"name":"owner","title_zh":"所属单位","title_en":"Unit","type":"string"},
   {"name":"time","title_zh":"定位时间","title_en":"Fix time","type":"datetime"},
   {"name":"speed","title_zh":"速度(km/h)","title_en":"Speed (km/h)","type":"number"},
   {"name":"online","title_zh":"在线","title_en":"Online","type":"boolean"}]'),
('live.sensor', '物联感知设备', 'Sensors', 'live', 40, 'live', 'sensor_now', 'Point', 10,
 '[{"name":"name","title_zh":"名称","title_en":"Name","type":"string"},
   {"name":"sensor_kind","title_zh":"监测类型","title_en":"Kind","type":"string"},
   {"name":"group_name","title_zh":"分组","title_en":"Group","type":"string"},
   {"name":"vals","title_zh":"最新读数","title_en":"Last reading","type":"object"},
   {"name":"unit","title_zh":"单位","title_en":"Unit","type":"string"},
   {"name":"time","title_zh":"读数时间","title_en":"Reading time","type":"datetime"},
   {"name":"online","title_zh":"在线","title_en":"Online","type":"boolean"}]'),
('live.camera', '视频监控与瞭望塔', 'Cameras and watchtowers', 'live', 50, 'live', 'camera_now', 'Point', 10,
 '[{"name":"name","title_zh":"名称","title_en":"Name","type":"string"},
   {"name":"view_direction","title_zh":"朝向(度)","title_en":"View direction (°)","type":"number"},
   {"name":"stream_url","title_zh":"视频流","title_en":"Stream","type":"string"},
   {"name":"owner","title_zh":"所属单位","title_en":"Owner","type":"string"}]'),
('live.hotspot', '卫星火点', 'Fire hotspots', 'live', 60, 'live', 'hotspot', 'Point', 4,
 '[{"name":"time","title_zh":"过境时间","title_en":"Acquired","type":"datetime"},
   {"name":"instrument","title_zh":"传感器","title_en":"Instrument","type":"string"},
   {"name":"satellite","title_zh":"卫星","title_en":"Satellite","type":"string"},
   {"name":"confidence","title_zh":"置信度","title_en":"Confidence","type":"string"},
   {"name":"frp","title_zh":"辐射功率(MW)","title_en":"FRP (MW)","type":"number"},
   {"name":"brightness","title_zh":"亮温(K)","title_en":"Brightness (K)","type":"number"},
   {"name":"source","title_zh":"来源","title_en":"Source","type":"string"}]');

-- +goose Down
DELETE FROM catalog.layer WHERE id IN ('live.hazmat', 'live.vehicle', 'live.team', 'live.sensor', 'live.camera', 'live.hotspot');
DROP VIEW live.vehicle_now, live.hazmat_now, live.team_now, live.sensor_now, live.camera_now;
DROP TABLE live.hotspot;
DROP FUNCTION live.notify_hotspot();
DROP TABLE live.device_event;
DROP TABLE live.observation;
DROP TABLE live.position;
DROP TABLE live.object_state;
DROP TABLE live.device;
DROP FUNCTION live.notify_device_change();
