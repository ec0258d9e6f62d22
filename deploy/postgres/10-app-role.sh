#!/bin/sh
# Run once by the postgres image when it creates the database (docker-entrypoint-initdb.d).
#
# Two roles: POSTGRES_USER (ocit_owner) owns the schema and runs the migrations (the compose `migrate` service);
# ocit_app is what web, worker and beat connect as. It owns nothing, so it cannot change the schema; it may read and
# write the records, and (after migration ocit/0004) only read and append to the audit trail.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$POSTGRES_APP_PASSWORD" -v database="$POSTGRES_DB" <<'SQL'
CREATE ROLE ocit_app LOGIN PASSWORD :'app_password';
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO ocit_app;
GRANT USAGE ON SCHEMA public TO ocit_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ocit_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ocit_app;
SQL
