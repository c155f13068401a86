# Running hvmm in the TAP scripts of tests/hvmm: each run's stdout, stderr and status
# are kept in $T (set by the caller) under its name, for the checks that follow.
# Needs $HVMM and tests/lib/tap.sh (for diag and show).

# The bound ends a hang; it is no expected duration (the nested KVM pass emulates everything).
# HVMM_RUN_BOUND overrides it for runs that never start a guest.
run() { # run NAME ARGS... : stdout, stderr and status into $T/NAME.{out,err,rc}
  local name=$1; shift
  timeout "${HVMM_RUN_BOUND:-600}" "$HVMM" "$@" >"$T/$name.out" 2>"$T/$name.err"
  echo $? >"$T/$name.rc"
}
rc() { cat "$T/$1.rc"; }
has() { grep -q -- "$2" "$T/$1" || { diag "$1 lacks '$2':"; show "$T/$1"; false; }; }
