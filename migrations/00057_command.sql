-- +goose Up

-- Command (package command): incidents carried through the closed loop 发现、受理、分拨、处置、督办、评估.
-- An incident's row is its current state; every transition is an immutable event in its timeline.
-- version makes concurrent transitions safe: one wins, the other is told (409) and sees the new state.
CREATE SCHEMA IF NOT EXISTS command;

CREATE TABLE command.incident (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type        text NOT NULL CHECK (type <> ''),           -- forest_fire, hazmat, mine, sensor, other…
    title       text NOT NULL CHECK (title <> ''),
    description text NOT NULL DEFAULT '',
    state       text NOT NULL DEFAULT 'reported'
                CHECK (state IN ('reported', 'accepted', 'rejected', 'merged', 'dispatched', 'handling', 'resolved', 'evaluated')),
    geom        geometry(Geometry, 4490),
    source      text NOT NULL DEFAULT 'manual',             -- manual, alarm, hotspot, jt808
    source_ref  text,                                       -- the alarm id, the hotspot cluster…
    assignee    text,                                       -- the department or team dispatched to
    deadline    timestamptz,
    supervised  boolean NOT NULL DEFAULT false,
    merged_into bigint REFERENCES command.incident (id),
    version     integer NOT NULL DEFAULT 1,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON command.incident (state, created_at DESC);
CREATE INDEX ON command.incident USING gist (geom);

CREATE TABLE command.incident_event (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES command.incident (id),
    action      text NOT NULL,                -- report, accept, reject, merge, dispatch, handle, resolve, supervise, evaluate
    from_state  text,
    to_state    text NOT NULL,
    actor       text NOT NULL,
    note        text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',  -- assignee, deadline, score, merged_into…
    geom        geometry(Point, 4490),        -- where the actor was, when given
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON command.incident_event (incident_id, id);

-- Events are immutable.
-- +goose StatementBegin
CREATE FUNCTION command.immutable_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incident events are immutable' USING ERRCODE = '55000';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER immutable BEFORE UPDATE OR DELETE ON command.incident_event
    FOR EACH ROW EXECUTE FUNCTION command.immutable_event();

-- +goose Down
DROP SCHEMA command CASCADE;
