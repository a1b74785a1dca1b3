-- +goose Up

-- A fence edited by any route (the API, SQL, another replica) announces itself on yitu_change like
-- every other layer edit, so cached tiles of the catalog layer live.fence over its old and new area
-- are purged and /events tells the open maps. Row by row: fences are edited one at a time.

-- +goose StatementBegin
CREATE FUNCTION live.notify_fence_tiles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    g geometry; -- the old and the new area
BEGIN
    g := ST_Collect(CASE WHEN TG_OP <> 'INSERT' THEN OLD.area END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.area END);
    PERFORM pg_notify('yitu_change', json_build_object(
        'layers', json_build_array('live.fence'),
        'bbox', json_build_array(ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g)),
        'reason', CASE TG_OP WHEN 'DELETE' THEN 'delete' ELSE 'edit' END)::text);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER fence_tiles AFTER INSERT OR UPDATE OR DELETE ON live.fence
    FOR EACH ROW EXECUTE FUNCTION live.notify_fence_tiles();

-- +goose Down
DROP TRIGGER fence_tiles ON live.fence;
DROP FUNCTION live.notify_fence_tiles();
