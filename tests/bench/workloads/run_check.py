#!/usr/bin/env python3
"""Test driver for the bench workloads (meson always brings python3 along).

  run_check.py native --status S -- WORKLOAD ARGS...
      Runs the workload; passes when it exits with S and its last output line is a JSON
      result whose "ok" is true exactly when S is 0.

  run_check.py qemu --qemu PATH --lwk PATH --keys k1,k2 -- WORKLOAD ARGS...
      The same comparison with QEMU microvm booting the lwk through PVH (one vCPU, so one
      thread on both sides), on KVM, or on QEMU's TCG where /dev/kvm is not usable (the lwk
      then runs emulated: slower, same answers). Exits 77 while QEMU or the lwk are missing.

  run_check.py fwqraw -- FWQ ARGS...
      Runs fwq with --raw into a temporary file; passes when it verifies and the file holds
      one "thread cpu index ns" line per sample, every thread's indexes in order.

  run_check.py status --status S -- PROGRAM ARGS...
      Passes when PROGRAM exits with S (for --help and bad options).

  run_check.py hvmm --hvmm PATH --lwk PATH --keys k1,k2 -- WORKLOAD ARGS...
      Runs the workload natively and under hvmm + lwk on the same CPUs with the same
      thread count; passes when both verify and the answer keys are identical.
      Exits 77 (meson: SKIP), saying why, while hvmm or the lwk are not built, or while
      hvmm + lwk cannot yet run a trivial program (a 1-thread hog for one round). Once that
      probe passes, any failure is a failure. DSV_REQUIRE_VM_TESTS=1 turns skips into
      failures.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from kvm_probe import kvm_unusable_reason  # noqa: E402

SKIP = 77
PROBE_TIMEOUT_S = 60


def result_line(out):
    """The last line that is a JSON object with a "workload" key, or None."""
    for line in reversed(out.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "workload" in obj:
                return obj
    return None


def run(cmd, cpus, timeout):
    def pin():
        os.sched_setaffinity(0, cpus)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, preexec_fn=pin, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def show(what, rc, out, err):
    print(f"--- {what}: exit status {rc}")
    print(out, end="")
    if err:
        print("--- stderr:")
        print(err, end="")


def fwqraw(args):
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "raw.txt")
        rc, out, err = run(args.cmd + ["--raw", path], sorted(os.sched_getaffinity(0)),
                           args.timeout)
        show("fwq", rc, out, err)
        res = result_line(out)
        if rc != 0 or not res or res.get("ok") is not True:
            print("FAIL: fwq did not verify")
            return 1
        with open(path) as f:
            rows = [line.split() for line in f]
    want = res["threads"] * res["samples"]
    if len(rows) != want:
        print(f"FAIL: {len(rows)} raw samples, expected {want}")
        return 1
    for i, r in enumerate(rows):
        try:
            t, idx, ns = int(r[0]), int(r[2]), float(r[3])
            good = len(r) == 4 and idx == i % res["samples"] and t == i // res["samples"] \
                and ns > 0
        except (ValueError, IndexError):
            good = False
        if not good:
            print(f"FAIL: raw line {i + 1} is {' '.join(r)!r}")
            return 1
    print(f"PASS: {len(rows)} raw samples")
    return 0


def status(args):
    rc, out, err = run(args.cmd, sorted(os.sched_getaffinity(0)), args.timeout)
    show("run", rc, out, err)
    if rc != args.status:
        print(f"FAIL: exit status {rc}, expected {args.status}")
        return 1
    print("PASS")
    return 0


def native(args):
    cpus = sorted(os.sched_getaffinity(0))
    rc, out, err = run(args.cmd, cpus, args.timeout)
    show("native", rc, out, err)
    res = result_line(out)
    if res is None:
        print("FAIL: no JSON result line")
        return 1
    if rc != args.status:
        print(f"FAIL: exit status {rc}, expected {args.status}")
        return 1
    if res.get("ok") is not (args.status == 0):
        print(f"FAIL: result line says ok={res.get('ok')} with exit status {rc}")
        return 1
    print("PASS")
    return 0


def skip(why):
    print("SKIP: " + why)
    if os.environ.get("DSV_REQUIRE_VM_TESTS") == "1":
        print("FAIL: DSV_REQUIRE_VM_TESTS=1 forbids skipping")
        return 1
    return SKIP


def vm_cmd(args, cpus, prog, wl_args):
    return [args.hvmm, "run", "--vcpus", str(len(cpus)), "--cpus",
            ",".join(str(c) for c in cpus), "--mem", args.mem, "--kernel", args.lwk,
            "--", prog] + wl_args


def probe_vm(args, cpus, hog):
    """None when hvmm + lwk run a trivial program, else why not. The answer is cached
    next to the workloads, keyed by the hvmm and lwk files, so a hanging guest costs one
    timeout per build rather than one per test."""
    key = "|".join(f"{p}:{os.stat(p).st_mtime_ns}:{os.stat(p).st_size}"
                   for p in (args.hvmm, args.lwk))
    cache = os.path.join(os.path.dirname(os.path.abspath(hog)), ".hvmm-probe")
    try:
        with open(cache) as f:
            k, _, verdict = f.read().partition("\n")
        if k == key:
            return verdict or None
    except OSError:
        pass
    probe = vm_cmd(args, cpus[:1], hog, ["--mode", "spin", "--threads", "1",
                                         "--seconds", "0", "--quiet"])
    try:
        # A trivial program starts in well under a second; a busy host gets a minute
        # before its verdict (cached for the build) turns every VM test into a skip.
        rc, out, err = run(probe, cpus[:1], PROBE_TIMEOUT_S)
        res = result_line(out)
        last = (err.strip().splitlines() or ["no output"])[-1]
        ok = rc == 0 and res and res.get("ok") is True
        verdict = "" if ok else f"probe '{' '.join(probe)}' gave exit status {rc}: {last}"
    except subprocess.TimeoutExpired:
        verdict = f"probe '{' '.join(probe)}' timed out after {PROBE_TIMEOUT_S} s"
    try:
        with open(cache, "w") as f:
            f.write(key + "\n" + verdict)
    except OSError:
        pass
    return verdict or None


def hvmm(args):
    for what, path in (("hvmm", args.hvmm), ("lwk", args.lwk)):
        if not path or not os.path.exists(path):
            return skip(f"{what} not built yet ({path or 'no target'}); this test runs the "
                        "workload under hvmm + lwk once both exist")
    why = kvm_unusable_reason()
    if why:
        return skip(why)
    cpus = sorted(os.sched_getaffinity(0))
    n = len(cpus)
    prog, rest = args.cmd[0], args.cmd[1:]
    why = probe_vm(args, cpus, os.path.join(os.path.dirname(prog), "hog"))
    if why:
        return skip(f"hvmm + lwk cannot run a program yet ({why})")
    # Same thread count on both sides, so the answers must match bit for bit.
    wl_args = rest + ["--threads", str(n)]
    rc_n, out_n, err_n = run([prog] + wl_args, cpus, args.timeout)
    show("native", rc_n, out_n, err_n)
    vm = vm_cmd(args, cpus, prog, wl_args)
    print("$ " + " ".join(vm))
    rc_v, out_v, err_v = run(vm, cpus, args.timeout)
    show("hvmm", rc_v, out_v, err_v)
    res_n, res_v = result_line(out_n), result_line(out_v)
    if sorted(os.sched_getaffinity(0)) != cpus and rc_v != 0:
        # Another program re-partitioned the host (dsvd's tests move every task into a
        # cpuset) while this test ran: hvmm rightly refused CPUs it may not use.
        return skip(f"the CPUs allowed to this test changed from {cpus} to "
                    f"{sorted(os.sched_getaffinity(0))} while it ran")
    return same_answer("hvmm", f"the run under hvmm did not verify (exit status {rc_v})",
                       args.keys, rc_n, res_n, rc_v, res_v)


def same_answer(peer, vm_failed, keys, rc_n, res_n, rc_v, res_v):
    """Both runs verified, and the answer fields in keys are identical: 0, else 1."""
    ok = True
    if rc_n != 0 or not res_n or res_n.get("ok") is not True:
        print("FAIL: the native run did not verify")
        ok = False
    if rc_v != 0 or not res_v or res_v.get("ok") is not True:
        print(f"FAIL: {vm_failed}")
        ok = False
    if ok:
        for k in keys.split(","):
            if k and res_n.get(k) != res_v.get(k):
                print(f"FAIL: {k} differs: native {res_n.get(k)!r}, {peer} {res_v.get(k)!r}")
                ok = False
    print("PASS" if ok else "")
    return 0 if ok else 1


def accel_opts():
    """QEMU options for the accelerator, and the lwk's: on KVM the host's CPU (minus what
    QEMU cannot pass through on PVM) and, on PVM, the lwk's opt-in; without KVM, TCG."""
    if kvm_unusable_reason():
        return ["-accel", "tcg", "-cpu", "max"], []
    pvm = os.path.exists("/sys/module/kvm_pvm")
    return ["-enable-kvm", "-cpu", "host,-arch-capabilities"], \
        (["dsv.platform=pvm"] if pvm else [])


def qemu(args):
    for what, path in (("qemu-system-x86_64", args.qemu), ("lwk", args.lwk)):
        if not path or not os.path.exists(path):
            return skip(f"{what} not available ({path or 'not found'})")
    qemu_accel, lwk_opts = accel_opts()
    cpus = sorted(os.sched_getaffinity(0))[:1]
    prog, rest = args.cmd[0], args.cmd[1:]
    wl_args = rest + ["--threads", "1"]
    rc_n, out_n, err_n = run([prog] + wl_args, cpus, args.timeout)
    show("native", rc_n, out_n, err_n)
    vm = [args.qemu, "-M", "microvm"] + qemu_accel + ["-smp", "1", "-m", args.mem, "-display", "none", "-no-reboot", "-nodefaults",
          "-serial", "stdio", "-debugcon", "file:/dev/stderr", "-kernel", args.lwk,
          "-initrd", prog, "-append",
          " ".join(lwk_opts + ["--", os.path.basename(prog)] + wl_args),
          "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    print("$ " + " ".join(vm))
    rc_q, out_q, err_q = run(vm, cpus, args.timeout)
    # isa-debug-exit: the guest's status s makes QEMU exit with (s << 1) | 1
    rc_v = rc_q >> 1 if rc_q & 1 else 126
    show(f"qemu (guest status {rc_v})", rc_q, out_q, err_q)
    res_n, res_v = result_line(out_n), result_line(out_q)
    return same_answer("qemu", f"the run under QEMU did not verify (guest status {rc_v})",
                       args.keys, rc_n, res_n, rc_v, res_v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["native", "hvmm", "qemu", "fwqraw", "status"])
    ap.add_argument("--status", type=int, default=0)
    ap.add_argument("--hvmm", default="")
    ap.add_argument("--lwk", default="")
    ap.add_argument("--qemu", default="")
    ap.add_argument("--mem", default="256M")
    ap.add_argument("--keys", default="")
    ap.add_argument("--timeout", type=float, default=60)
    argv = sys.argv[1:]
    if "--" not in argv:
        ap.error("no workload given (put it after --)")
    cut = argv.index("--")
    args = ap.parse_args(argv[:cut])
    args.cmd = argv[cut + 1:]
    if not args.cmd:
        ap.error("no workload given")
    try:
        return {"native": native, "hvmm": hvmm, "qemu": qemu, "fwqraw": fwqraw,
                "status": status}[args.mode](args)
    except subprocess.TimeoutExpired:
        print(f"FAIL: timed out after {args.timeout} s")
        return 1


if __name__ == "__main__":
    sys.exit(main())
