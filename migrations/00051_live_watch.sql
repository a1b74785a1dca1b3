-- +goose Up

-- Live watch (package live/watch): fences and rules that the hub's stream is matched against in
-- memory, and the alarms they raise, one per condition, with their timeline.

-- A fence: a polygon, a circle (a point and radius_m) or a corridor (a route line and width_m). area
-- is the shape matched (circles and corridors buffered on the ellipsoid), made by the trigger below.
-- A fence may be taken from a feature of a catalog polygon layer (source_layer, source_id).
CREATE TABLE live.fence (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (name <> ''),
    kind         text NOT NULL CHECK (kind IN ('polygon', 'circle', 'corridor')),
    geom         geometry(Geometry, 4490) NOT NULL,
    radius_m     double precision CHECK (radius_m > 0),
    width_m      double precision CHECK (width_m > 0),
    area         geometry(MultiPolygon, 4490) NOT NULL, -- made by the trigger fence_area
    geom_3857    geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(area, 3857)) STORED,
    rules        jsonb NOT NULL DEFAULT '[]',
    applies_to   jsonb NOT NULL DEFAULT '{}',
    valid_from   timestamptz,
    valid_to     timestamptz,
    source_layer text,
    source_id    text,
    props        jsonb NOT NULL DEFAULT '{}',
    created_by   text NOT NULL DEFAULT 'system',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'circle' OR (radius_m IS NOT NULL AND GeometryType(geom) = 'POINT')),
    CHECK (kind <> 'corridor' OR (width_m IS NOT NULL AND GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING'))),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from)
);
CREATE INDEX ON live.fence USING gist (geom_3857);

-- +goose StatementBegin
CREATE FUNCTION live.fence_area() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.area := CASE NEW.kind
        WHEN 'polygon' THEN ST_Multi(ST_CollectionExtract(ST_MakeValid(NEW.geom), 3))
        -- buffered on the ellipsoid; geography answers in WGS 84's SRID, which CGCS2000 matches to the centimetre
        WHEN 'circle' THEN ST_SetSRID(ST_Multi(ST_Buffer(NEW.geom::geography, NEW.radius_m, 'quad_segs=16')::geometry), 4490)
        ELSE ST_SetSRID(ST_Multi(ST_Buffer(NEW.geom::geography, NEW.width_m / 2, 'quad_segs=8')::geometry), 4490)
    END;
    IF NEW.area IS NULL OR ST_IsEmpty(NEW.area) THEN
        RAISE EXCEPTION 'the % fence has no area', NEW.kind USING ERRCODE = '22023';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER fence_area BEFORE INSERT OR UPDATE ON live.fence FOR EACH ROW EXECUTE FUNCTION live.fence_area();

-- Rules of device groups rather than fences: sensor thresholds, rates of change, offline, speed,
-- stops, escalation across a group.
CREATE TABLE live.rule (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    rule       jsonb NOT NULL,              -- the rule: {"kind": "threshold", "levels": {...}, ...}
    applies_to jsonb NOT NULL DEFAULT '{}', -- {"kinds": [...], "ids": [...], "groups": [...], "sensor_kinds": [...]}
    enabled    boolean NOT NULL DEFAULT true,
    created_by text NOT NULL DEFAULT 'system',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION live.notify_watch_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('yitu_live', TG_ARGV[0]);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER fence_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON live.fence
    FOR EACH STATEMENT EXECUTE FUNCTION live.notify_watch_change('fences');
CREATE TRIGGER rule_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON live.rule
    FOR EACH STATEMENT EXECUTE FUNCTION live.notify_watch_change('fences');

-- One row per alarm. An alarm is open while its condition lasts (raised, acknowledged); at most one
-- open alarm per condition key, whichever replica raised it.
CREATE TABLE live.alarm (
    id          text PRIMARY KEY,
    key         text NOT NULL,
    kind        text NOT NULL,
    object      text NOT NULL,
    layer       text,
    fence_id    bigint,
    rule        text,
    level       text NOT NULL CHECK (level IN ('blue', 'yellow', 'orange', 'red')),
    state       text NOT NULL CHECK (state IN ('raised', 'acknowledged', 'cleared', 'closed')),
    title       text NOT NULL,
    raised_at   timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    cleared_at  timestamptz,
    lon         double precision,
    lat         double precision,
    ack_by      text,
    ack_at      timestamptz,
    ack_note    text,
    evidence    jsonb NOT NULL DEFAULT '[]',
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX alarm_one_open ON live.alarm (key) WHERE state IN ('raised', 'acknowledged');
CREATE INDEX ON live.alarm (raised_at DESC);
CREATE INDEX ON live.alarm (object, raised_at DESC);
CREATE INDEX ON live.alarm (state) WHERE state <> 'closed';

-- Every change of an alarm, immutable.
CREATE TABLE live.alarm_event (
    alarm_id    text NOT NULL REFERENCES live.alarm (id) ON DELETE CASCADE,
    time        timestamptz NOT NULL,
    event       text NOT NULL,  -- raised, updated, acknowledged, cleared, closed
    who         text,
    note        text,
    level       text NOT NULL,
    state       text NOT NULL,
    data        jsonb,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON live.alarm_event (alarm_id, time);
CREATE INDEX ON live.alarm_event (received_at);

-- Fences on the map (edited through /live/fences, not the features API: their area is derived).
INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_column, geometry_type, min_zoom, properties)
VALUES ('live.fence', '电子围栏', 'Fences', 'live', 70, 'live', 'fence', 'area', 'MultiPolygon', 8,
 '[{"name":"name","title_zh":"名称","title_en":"Name","type":"string"},
   {"name":"kind","title_zh":"类型","title_en":"Kind","type":"string"},
   {"name":"rules","title_zh":"规则","title_en":"Rules","type":"object"},
   {"name":"applies_to","title_zh":"适用对象","title_en":"Applies to","type":"object"},
   {"name":"valid_from","title_zh":"生效时间","title_en":"Valid from","type":"datetime"},
   {"name":"valid_to","title_zh":"失效时间","title_en":"Valid to","type":"datetime"}]');

-- +goose Down
DELETE FROM catalog.layer WHERE id = 'live.fence';
DROP TABLE live.alarm_event;
DROP TABLE live.alarm;
DROP TABLE live.rule;
DROP TABLE live.fence;
DROP FUNCTION live.fence_area();
DROP FUNCTION live.notify_watch_change();
