-- +goose Up

-- Where incidents come from besides people: alarms (one incident per condition, later alarms of it
-- attach) and clusters of satellite fire hotspots (detections close in space and time, across
-- passes). Each alarm and each hotspot is taken once, whichever replica takes it (the primary keys).
CREATE TABLE command.incident_alarm (
    alarm_id    text PRIMARY KEY REFERENCES live.alarm (id) ON DELETE CASCADE,
    incident_id bigint NOT NULL REFERENCES command.incident (id),
    attached_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON command.incident_alarm (incident_id);

CREATE TABLE command.incident_hotspot (
    hotspot_id  bigint PRIMARY KEY REFERENCES live.hotspot (id) ON DELETE CASCADE,
    incident_id bigint REFERENCES command.incident (id),   -- NULL: masked (a known static heat source) or too weak
    masked_by   text,                                      -- why it made no incident
    taken_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON command.incident_hotspot (incident_id);

-- At most one open incident per condition of an automatic source (an alarm key, a device's emergency).
CREATE UNIQUE INDEX incident_one_open_per_source ON command.incident (source, source_ref)
    WHERE source <> 'manual' AND source_ref IS NOT NULL AND state IN ('reported', 'accepted', 'dispatched', 'handling');

-- Files that people attach to an incident (photos, reports), stored in the database with it.
CREATE TABLE command.attachment (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES command.incident (id),
    name        text NOT NULL CHECK (name <> ''),
    media_type  text NOT NULL,
    size        bigint NOT NULL,
    sha256      text NOT NULL,
    data        bytea NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON command.attachment (incident_id);

-- +goose Down
DROP TABLE command.attachment;
DROP INDEX command.incident_one_open_per_source;
DROP TABLE command.incident_hotspot;
DROP TABLE command.incident_alarm;
