# KVM availability for the shell tests (sh and bash).
# need_kvm skips the whole TAP script, with the reason, when this process cannot use
# /dev/kvm; kvm_why prints that reason and fails (prints nothing when KVM is usable).
# sh cannot tell a sourced file where it is: the calling script lives one or two levels
# below tests/ (tests/hvmm, tests/hvmm/hostile).
_kvm_probe="$(dirname "$0")/../lib/kvm_probe.py"
[ -f "$_kvm_probe" ] || _kvm_probe="$(dirname "$0")/../../lib/kvm_probe.py"

kvm_why() { python3 "$_kvm_probe"; }

kvm_usable() { python3 "$_kvm_probe" >/dev/null; }

need_kvm() {
	_kvm_reason=$(kvm_why) || { echo "1..0 # SKIP $_kvm_reason"; exit 0; }
}
