-- Registered devices of the live layers $1 by kind, online (reported within $2, by the device's
-- clock as the hub keeps it; a camera reports nothing and counts as online) or not.
SELECT d.kind,
       count(*) FILTER (WHERE d.kind = 'camera' OR s.time >= now() - $2::interval),
       count(*) FILTER (WHERE NOT (d.kind = 'camera' OR coalesce(s.time >= now() - $2::interval, false)))
FROM live.device d LEFT JOIN live.object_state s ON s.id = d.id
WHERE CASE WHEN d.kind = 'vehicle' AND d.vehicle_kind = 'hazmat' THEN 'live.hazmat' ELSE 'live.' || d.kind END = ANY ($1)
GROUP BY d.kind
ORDER BY d.kind
