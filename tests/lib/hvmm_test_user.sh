# An unprivileged user and a group it is not in, for the tests of hvmm --uid/--gid/--groups.
# Created when missing (idempotent; another test may be creating them at the same time).
# Sets TEST_USER, TEST_UID, TEST_GID and EXTRA_GID; returns 1 when they cannot be had.
TEST_USER=dsv-fiotest
TEST_GROUP=dsv-fiogrp

hvmm_test_user() {
  getent group "$TEST_GROUP" >/dev/null || groupadd --system "$TEST_GROUP" 2>/dev/null ||
    getent group "$TEST_GROUP" >/dev/null || return 1
  id -u "$TEST_USER" >/dev/null 2>&1 ||
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$TEST_USER" \
      2>/dev/null || id -u "$TEST_USER" >/dev/null 2>&1 || return 1
  TEST_UID=$(id -u "$TEST_USER")
  TEST_GID=$(id -g "$TEST_USER")
  EXTRA_GID=$(getent group "$TEST_GROUP" | cut -d: -f3)
}
