#!/usr/bin/env bash
# Runs Grid's whole test suite: unit tests of pure logic and integration tests
# against a real Docker engine and a real etcd. Sets the machine up first
# (idempotent). Extra arguments go to Maven, e.g. -pl scheduler.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
"$ROOT/scripts/setup-host.sh"
cd "$ROOT"
exec mvn -B -Dstyle.color=never verify "$@"
