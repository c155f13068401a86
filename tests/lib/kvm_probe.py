#!/usr/bin/env python3
"""Whether this process can use /dev/kvm: exits 0 when it can, else prints why and exits 1.

The tests' mirror of common/kvm_host.c (same reasons), so that a test that needs KVM skips
with the reason instead of failing on a host that has none (e.g. a PVM guest, where kvm_pvm
loads but does not bind)."""
import errno
import os
import sys


def kvm_unusable_reason():
    """None when /dev/kvm opens read-write, else the reason."""
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC))
        return None
    except OSError as e:
        loaded = lambda m: os.path.exists("/sys/module/" + m)
        hint = ""
        if e.errno == errno.ENOENT and loaded("kvm_pvm") and not loaded("kvm_intel") \
                and not loaded("kvm_amd"):
            hint = (" (kvm_pvm is loaded but registered no device: this host is probably "
                    "itself a PVM guest, where kvm_pvm does not bind)")
        return f"cannot open /dev/kvm: {e.strerror}{hint}"


if __name__ == "__main__":
    why = kvm_unusable_reason()
    if why:
        print(why)
    sys.exit(1 if why else 0)
