# Minimal TAP helpers for the shell integration tests.
# Usage: source it, call plan N, then ok/not_ok via check, skip; finish with done_testing.
_tap_n=0
_tap_failed=0

plan() { echo "1..$1"; }

# check "description" command...: passes when the command succeeds.
check() {
  local desc=$1; shift
  _tap_n=$((_tap_n + 1))
  if "$@"; then
    echo "ok $_tap_n - $desc"
  else
    echo "not ok $_tap_n - $desc"
    _tap_failed=$((_tap_failed + 1))
  fi
}

skip() {
  _tap_n=$((_tap_n + 1))
  echo "ok $_tap_n - $1 # SKIP $2"
}

diag() { echo "# $*"; }

# Shows a file's content as TAP diagnostics (on failures).
show() { sed 's/^/#   /' "$1"; }

done_testing() {
  [ "$_tap_failed" -eq 0 ]
}
