#!/usr/bin/env bash
# Runs a command with the test services (MariaDB, Redis, Dovecot) started on free loopback ports, e.g.
#   bash scripts/with-services.sh npx tsx bench/ingest.ts
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-services.sh
svc_install
svc_start
trap svc_stop EXIT
"$@"
