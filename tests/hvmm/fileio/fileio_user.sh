#!/usr/bin/env bash
# Runs test_fileio_user as root with an unprivileged user and a group it is not in.
# usage: fileio_user.sh TEST_BINARY
set -u
. "$(dirname "$0")/../../lib/hvmm_test_user.sh"
if [ "$(id -u)" != 0 ]; then
  echo "skipped: needs root to create $TEST_USER and switch to it" >&2
  exit 77
fi
hvmm_test_user || { echo "cannot create $TEST_USER or $TEST_GROUP" >&2; exit 1; }
exec "$1" "$TEST_UID" "$TEST_GID" "$EXTRA_GID"
