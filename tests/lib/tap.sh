# TAP helpers for the shell integration tests (hvmm, hostile, dsvd, interference).
# Usage: source it; either call plan N first and done_testing last, or, when the count is
# not known up front, only finish at the end (it prints the plan then). In between: check,
# ok/not_ok, skip, diag; skip_all instead of any test.
# The counters are _tap_*: the tests use short names such as T for their own files.
_tap_n=0
_tap_failed=0

plan() { echo "1..$1"; }

ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }

# check "description" command...: passes when the command succeeds; returns 1 when it
# fails, so that a test can add diagnostics or stop (check ... || diag ...).
check() {
  local desc=$1; shift
  if "$@"; then ok "$desc"; else not_ok "$desc"; return 1; fi
}

# skip "description" [reason]
skip() {
  _tap_n=$((_tap_n + 1))
  echo "ok $_tap_n - $1 # SKIP${2:+ $2}"
}

# The whole script is skipped: prints an empty plan and exits.
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# Diagnostics, one "# " line per line of text.
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }

# Shows a file's content as TAP diagnostics (on failures).
show() { sed 's/^/#   /' "$1"; }

# True when some test has failed so far.
tap_any_failed() { [ "$_tap_failed" -ne 0 ]; }

done_testing() { ! tap_any_failed; }

# The plan at the end, for scripts without plan N; the status says whether all passed.
finish() { echo "1..$_tap_n"; done_testing; }
