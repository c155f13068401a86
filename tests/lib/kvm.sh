# KVM availability for the shell tests (sh and bash; every caller lives in tests/<dir>/).
# need_kvm skips the whole TAP script, with the reason, when this process cannot use
# /dev/kvm; kvm_why prints that reason and fails (prints nothing when KVM is usable).
_kvm_probe="$(dirname "$0")/../lib/kvm_probe.py"

kvm_why() { python3 "$_kvm_probe"; }

kvm_usable() { python3 "$_kvm_probe" >/dev/null; }

need_kvm() {
	_kvm_reason=$(kvm_why) || { echo "1..0 # SKIP $_kvm_reason"; exit 0; }
}
