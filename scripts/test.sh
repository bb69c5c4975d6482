#!/usr/bin/env bash
# `npm test`: type-checks, starts the real services the tests use (MariaDB, Redis, Dovecot) on free loopback
# ports, runs the whole jest suite against them, and stops them again. Extra arguments go to jest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-services.sh
svc_install
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p agent-console/tsconfig.json
svc_start
trap svc_stop EXIT
echo "test services: MariaDB $TEST_MARIADB_URL, Redis $TEST_REDIS_URL, IMAP $TEST_IMAP_HOST:$TEST_IMAP_PORT" | sed 's/:[^:@/]*@/:***@/'
if (($#)); then
  npx jest --forceExit "$@"
else
  # --forceExit: IMAP and socket clients of a failed test must not keep the run open.
  npx jest --forceExit --testPathIgnorePatterns emailResilience tests/browser
  # The browser suites check what an agent sees within a second: they run one at a time, not beside OCR.
  npx jest --forceExit --runInBand tests/browser
  # The resilience suite restarts Dovecot, so it runs alone.
  npx jest --forceExit tests/integration/emailResilience.test.ts
fi
