-- +goose Up

-- A forest-fire incident whose position changes (its point moved, its area redrawn) announces
-- itself on yitu_command, so its spread estimate (command.fire_perimeter) and hazard fences are
-- computed again from where the fire is now (package command, FireSpread.Run). One that is over
-- (rejected, merged, resolved, evaluated) has its hazard fences removed: the watch stops alarming
-- on a fire that no longer burns (its last perimeters stay, as the record of the estimate).

-- +goose StatementBegin
CREATE FUNCTION command.notify_fire_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('yitu_command', 'fire_moved:' || NEW.id);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER fire_moved AFTER UPDATE OF geom ON command.incident
    FOR EACH ROW WHEN (NEW.type = 'forest_fire' AND NEW.geom IS NOT NULL AND NOT (OLD.geom IS NOT NULL AND ST_Equals(OLD.geom, NEW.geom)))
    EXECUTE FUNCTION command.notify_fire_moved();

-- +goose StatementBegin
CREATE FUNCTION command.disarm_fire() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM live.fence WHERE props->>'fire_incident' = NEW.id::text;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER fire_over AFTER UPDATE OF state ON command.incident
    FOR EACH ROW WHEN (NEW.type = 'forest_fire' AND NEW.state IN ('rejected', 'merged', 'resolved', 'evaluated') AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION command.disarm_fire();

-- +goose Down
DROP TRIGGER fire_over ON command.incident;
DROP FUNCTION command.disarm_fire();
DROP TRIGGER fire_moved ON command.incident;
DROP FUNCTION command.notify_fire_moved();
