-- Incidents reported and alarms raised in each of the last 24 hours (the current one last), by the
-- database's clock. $1 incident types (NULL: all), $2 the live layers whose alarms count.
WITH hours AS (
    SELECT h FROM generate_series(date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()), interval '1 hour') AS h
)
SELECT hours.h,
       (SELECT count(*) FROM command.incident i
        WHERE i.created_at >= hours.h AND i.created_at < hours.h + interval '1 hour'
          AND ($1::text[] IS NULL OR i.type = ANY ($1))),
       (SELECT count(*) FROM live.alarm a
        WHERE a.raised_at >= hours.h AND a.raised_at < hours.h + interval '1 hour'
          AND a.layer = ANY ($2))
FROM hours
ORDER BY hours.h
