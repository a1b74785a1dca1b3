#!/bin/bash
# The streaming replica's entrypoint (docker-compose service db-replica): the first time, copy the
# primary with pg_basebackup (-R: standby settings, WAL streamed); then run as a hot standby.
set -euo pipefail
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	until pg_isready -h "$PRIMARY_HOST" -U yitu -d yitu >/dev/null 2>&1; do sleep 1; done
	mkdir -p "$PGDATA"
	chown postgres: "$PGDATA"
	chmod 700 "$PGDATA"
	gosu postgres pg_basebackup -h "$PRIMARY_HOST" -U yitu -D "$PGDATA" -R -X stream -c fast
fi
exec gosu postgres postgres -c hot_standby=on -c hot_standby_feedback=on
