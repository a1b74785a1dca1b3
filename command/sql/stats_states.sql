-- Incidents of the filter by state, with those overdue (dispatched or handling past their deadline)
-- and those supervised. $1 types (NULL: all), $2 and $3 the period of creation (NULL: open-ended).
SELECT state,
       count(*),
       count(*) FILTER (WHERE deadline < now() AND state IN ('dispatched', 'handling')),
       count(*) FILTER (WHERE supervised)
FROM command.incident
WHERE ($1::text[] IS NULL OR type = ANY ($1))
  AND ($2::timestamptz IS NULL OR created_at >= $2)
  AND ($3::timestamptz IS NULL OR created_at < $3)
GROUP BY state
