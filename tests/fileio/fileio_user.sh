#!/usr/bin/env bash
# Runs test_fileio_user as root with an unprivileged user and a group it is not in, both
# created here if missing (idempotent; another test may be creating them at the same time).
# usage: fileio_user.sh TEST_BINARY
set -u
BIN=$1
USER_NAME=dsv-fiotest GROUP_NAME=dsv-fiogrp
if [ "$(id -u)" != 0 ]; then
  echo "skipped: needs root to create $USER_NAME and switch to it" >&2
  exit 77
fi
getent group "$GROUP_NAME" >/dev/null || groupadd --system "$GROUP_NAME" ||
  getent group "$GROUP_NAME" >/dev/null || exit 1
id -u "$USER_NAME" >/dev/null 2>&1 ||
  useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$USER_NAME" ||
  id -u "$USER_NAME" >/dev/null 2>&1 || exit 1
exec "$BIN" "$(id -u "$USER_NAME")" "$(id -g "$USER_NAME")" \
  "$(getent group "$GROUP_NAME" | cut -d: -f3)"
