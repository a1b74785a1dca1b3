-- How long each stage of the closed loop took, from the immutable events: for each incident of the
-- filter the first time it was reported, accepted, dispatched, handled, resolved and evaluated; a
-- stage counts where both its ends happened. Median and 90th percentile are interpolated
-- (percentile_cont), in seconds.
WITH inc AS (
    SELECT id FROM command.incident
    WHERE ($1::text[] IS NULL OR type = ANY ($1))
      AND ($2::timestamptz IS NULL OR created_at >= $2)
      AND ($3::timestamptz IS NULL OR created_at < $3)
), steps AS (
    SELECT e.incident_id,
           min(e.at) FILTER (WHERE e.action = 'report')   AS reported,
           min(e.at) FILTER (WHERE e.action = 'accept')   AS accepted,
           min(e.at) FILTER (WHERE e.action = 'dispatch') AS dispatched,
           min(e.at) FILTER (WHERE e.action = 'handle')   AS handling,
           min(e.at) FILTER (WHERE e.action = 'resolve')  AS resolved,
           min(e.at) FILTER (WHERE e.action = 'evaluate') AS evaluated
    FROM command.incident_event e JOIN inc ON inc.id = e.incident_id
    GROUP BY e.incident_id
), spans AS (
    SELECT v.stage, extract(epoch FROM v.b - v.a)::float8 AS s
    FROM steps, LATERAL (VALUES ('reported_accepted', reported, accepted),
                                ('accepted_dispatched', accepted, dispatched),
                                ('dispatched_handling', dispatched, handling),
                                ('handling_resolved', handling, resolved),
                                ('resolved_evaluated', resolved, evaluated),
                                ('reported_resolved', reported, resolved)) AS v (stage, a, b)
    WHERE v.a IS NOT NULL AND v.b IS NOT NULL
)
SELECT stage, count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY s),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY s),
       max(s)
FROM spans
GROUP BY stage
