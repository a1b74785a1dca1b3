#!/bin/bash
# Run once by the postgis image when it creates the primary's data folder: let the streaming replica
# (docker-compose service db-replica) connect for replication with the yitu password.
set -e
echo "host replication yitu all scram-sha-256" >> "$PGDATA/pg_hba.conf"
