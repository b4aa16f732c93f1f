#!/usr/bin/env bash
# Runs once, when the compose PostgreSQL starts on an empty volume (docker-entrypoint-initdb.d):
# creates docintel's two roles and its database with deploy/postgres/roles.sql. The owner runs
# migrations; the services connect as docintel_app, which can only SELECT and INSERT the audit log.
set -euo pipefail
: "${DOCINTEL_OWNER_DB_PASSWORD:?set it in deploy/compose/.env}"
: "${DOCINTEL_APP_DB_PASSWORD:?set it in deploy/compose/.env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="'${DOCINTEL_OWNER_DB_PASSWORD//\'/\'\'}'" \
    -v app_password="'${DOCINTEL_APP_DB_PASSWORD//\'/\'\'}'" \
    -f "${DOCINTEL_ROLES_SQL:-/docintel/postgres/roles.sql}"
