-- Open alarms (raised or acknowledged) of the live layers $1 by level.
SELECT level, count(*) FROM live.alarm
WHERE state IN ('raised', 'acknowledged') AND layer = ANY ($1)
GROUP BY level
