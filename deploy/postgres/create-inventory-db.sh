#!/usr/bin/env bash
# Creates the inventory database and its owner beside the Airflow metadata database. The postgres
# image runs this once, when its data volume is first initialised (docker-entrypoint-initdb.d);
# the DAGs create and migrate their tables themselves. Names and password come from .env.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v db="${INVENTORY_DB_NAME:-inventory}" \
    -v owner="${INVENTORY_DB_USER:-inventory}" \
    -v password="${INVENTORY_DB_PASSWORD:?set INVENTORY_DB_PASSWORD}" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"owner";
SQL
echo "created database ${INVENTORY_DB_NAME:-inventory} owned by ${INVENTORY_DB_USER:-inventory}"
