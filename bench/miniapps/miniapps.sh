#!/usr/bin/env bash
# bench/miniapps: third-party OpenMP mini-apps (issue 15), natively and in an HPC VM with the
# lwk's system-call fast path on and off, on the same CPUs, side by side, with the ratios.
#
#   bench/miniapps/miniapps.sh --app NAME=BINARY [--app ...] [options]
#
# The binaries are built by you, fully static (gcc -static -fopenmp); docs/performance.md
# "Third-party OpenMP mini-apps (issue 15)" says how. Known NAMEs (default arguments and the
# output lines that must match the native run): xsbench, rsbench, lulesh. Other names need
# --args and --verify.
#
#   --app NAME=BINARY     a static OpenMP program (repeatable)
#   --args NAME=ARGS      its arguments, split at spaces; {threads} becomes the thread count
#                         (xsbench, rsbench: '-t {threads} -s small -m event'; lulesh: '-s 30
#                         -i 100')
#   --verify NAME=REGEX   extended regex of the stdout lines that must be the same natively
#                         and in the VM (the app's checksum or verification output)
#   --mem NAME=SIZE       guest RAM for NAME (default 1G), or --mem SIZE for every app
#   --threads LIST        OpenMP thread counts, e.g. 1,2 (default 1,2); the VM gets as many
#                         vCPUs, OMP_NUM_THREADS is set to it for every peer
#   --cpus LIST           host CPUs, e.g. 6,7 (default: the last max(threads) online CPUs);
#                         T threads use the last T of them, natively (taskset) as in the VM
#                         (hvmm --cpus)
#   --reps N              repetitions, interleaved: native, fast path on, off, then the next
#                         (default 3)
#   --fastpath LIST       VM peers: on,off (default), or just one of them
#   --hugepages MODE      hvmm --hugepages auto|on|off (default auto)
#   --timeout S           seconds allowed for one run (default 1800)
#   --build DIR           meson build directory holding hvmm/hvmm and lwk/lwk.elf (default build)
#   --results DIR         where the CSV and the table go (default bench/results)
#   --no-syscalls         do not count each app's system calls natively (strace -f -c)
#   -h, --help            this text
#
# Wall time is taken the same way for every peer: from before `timeout` starts the command
# to after it ends (the VM's launch and teardown included). A run counts when its exit
# status and its verification lines are those of the first native run of the same app and
# thread count (XSBench and RSBench exit 1 when the checksum is not their known answer for
# the input: that status is then the same everywhere). Cells are medians, +- half the
# min-max range; "best" is the ratio of the fastest runs. The target (issue 15) is the fast
# path's median within 1.05x of native. For the VM peers the report also gives the system
# calls that trapped into the lwk per run (hvmm -v): a count that is the same on every host,
# and what it would cost at issue 15's Intel round trip of 48 us (a projection, labelled as
# one). Progress goes to stderr; the table to stdout and
# bench/results/miniapps-STAMP.txt, every run to bench/results/miniapps-STAMP-runs.csv.
# Exit status: 0 when every run counted, 1 otherwise, 2 on bad arguments.
set -euo pipefail
export LC_ALL=C # a decimal point in $EPOCHREALTIME and awk, whatever the user's locale
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$here/build results=$here/bench/results
threads_list=1,2 cpus_opt='' reps=3 fastpath=on,off hugepages=auto timeout_s=1800 syscalls=1
mem_all=1G
declare -a apps=()
declare -A path=() args=() verify=() mem=()

die() { echo "miniapps: $*" >&2; exit 2; }
note() { echo "miniapps: $*" >&2; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//p}' "$0"; }

# NAME=VALUE -> the name in kv_name, the value in kv_value
split_kv() {
    [[ $2 == *=* ]] || die "$1 '$2': expected NAME=VALUE"
    kv_name=${2%%=*} kv_value=${2#*=}
    [[ $kv_name =~ ^[a-zA-Z0-9_-]+$ ]] || die "$1 '$2': the name may hold letters, digits, - and _"
}

while [ $# -gt 0 ]; do
    opt=$1
    case $opt in
    -h | --help) usage; exit 0 ;;
    --no-syscalls) syscalls=0; shift; continue ;;
    esac
    [ $# -ge 2 ] || die "$opt needs a value (see --help)"
    case $opt in
    --app)
        split_kv "$opt" "$2"
        [ -z "${path[$kv_name]:-}" ] || die "--app $kv_name given twice"
        apps+=("$kv_name") path[$kv_name]=$kv_value ;;
    --args) split_kv "$opt" "$2"; args[$kv_name]=$kv_value ;;
    --verify) split_kv "$opt" "$2"; verify[$kv_name]=$kv_value ;;
    --mem)
        if [[ $2 == *=* ]]; then split_kv "$opt" "$2"; mem[$kv_name]=$kv_value; else mem_all=$2; fi ;;
    --threads) threads_list=$2 ;;
    --cpus) cpus_opt=$2 ;;
    --reps) reps=$2 ;;
    --fastpath) fastpath=$2 ;;
    --hugepages) hugepages=$2 ;;
    --timeout) timeout_s=$2 ;;
    --build) build=$2 ;;
    --results) results=$2 ;;
    *) die "unknown argument '$opt' (see --help)" ;;
    esac
    shift 2
done

# What the known apps print that must not change: their checksums and the run's shape.
known_args() {
    case $1 in
    xsbench | rsbench) echo '-t {threads} -s small -m event' ;;
    lulesh) echo '-s 30 -i 100' ;;
    esac
}
known_verify() {
    case $1 in
    xsbench | rsbench) echo '^(Threads|Lookups|Verification checksum):' ;;
    lulesh) echo '(Num threads|Problem size|Iteration count|Final Origin Energy|MaxAbsDiff|TotalAbsDiff|MaxRelDiff)' ;;
    esac
}

[ ${#apps[@]} -gt 0 ] || die "no --app given (see --help)"
for n in "${!args[@]}" "${!verify[@]}" "${!mem[@]}"; do
    [ -n "${path[$n]:-}" ] || die "'$n' is named in --args, --verify or --mem but has no --app"
done
for a in "${apps[@]}"; do
    p=${path[$a]}
    [[ -f $p && -x $p ]] || die "--app $a: '$p' is not an executable file"
    path[$a]=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
    ! command -v file >/dev/null || file -L "$p" | grep -q 'statically linked' ||
        die "--app $a: '$p' is not a statically linked executable (the lwk runs static programs)"
    [ -n "${args[$a]+set}" ] || args[$a]=$(known_args "$a")
    [ -n "${verify[$a]:-}" ] || verify[$a]=$(known_verify "$a")
    [ -n "${verify[$a]}" ] || die "--app $a: not a known app (xsbench, rsbench, lulesh): give --verify $a=REGEX"
    [ -n "${mem[$a]:-}" ] || mem[$a]=$mem_all
    [[ ${mem[$a]} =~ ^[0-9]+[KMGkmg]?$ ]] || die "--mem '${mem[$a]}' for $a: expected a size such as 512M or 2G"
done
[[ $threads_list =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--threads '$threads_list': expected e.g. 1,2"
IFS=, read -r -a threads <<<"$threads_list"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps '$reps': expected a positive number"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "--timeout '$timeout_s': expected seconds"
case $hugepages in auto | on | off) ;; *) die "--hugepages '$hugepages': expected auto, on or off" ;; esac
IFS=, read -r -a modes <<<"$fastpath"
[ ${#modes[@]} -gt 0 ] || die "--fastpath '$fastpath': expected on,off, on or off"
for m in "${modes[@]}"; do
    case $m in on | off) ;; *) die "--fastpath '$fastpath': expected on,off, on or off" ;; esac
done
peers=(native)
for m in "${modes[@]}"; do peers+=("$m"); done
maxt=0
for t in "${threads[@]}"; do
    if [ "$t" -gt "$maxt" ]; then maxt=$t; fi
done

# The CPU list: given, or the last maxt online CPUs (where hvmm puts its vCPUs by default).
expand_cpus() { # LIST -> one CPU number a line
    local part lo hi
    IFS=, read -r -a parts <<<"$1"
    for part in "${parts[@]}"; do
        if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then
            lo=${BASH_REMATCH[1]} hi=${BASH_REMATCH[2]}
            [ "$lo" -le "$hi" ] || return 1
            seq "$lo" "$hi"
        elif [[ $part =~ ^[0-9]+$ ]]; then echo "$part"
        else return 1; fi
    done
}
online=$(cat /sys/devices/system/cpu/online 2>/dev/null) || die "cannot read /sys/devices/system/cpu/online"
# (no process substitution: some hosts, the nested test guest among them, have no /dev/fd)
cpu_text=$(expand_cpus "$online") || die "cannot parse the online CPUs '$online'"
mapfile -t online_cpus <<<"$cpu_text"
if [ -n "$cpus_opt" ]; then
    cpu_text=$(expand_cpus "$cpus_opt") || die "--cpus '$cpus_opt': expected CPU numbers, e.g. 6,7 or 6-7"
    mapfile -t cpu_arr <<<"$cpu_text"
    for c in "${cpu_arr[@]}"; do
        [[ " ${online_cpus[*]} " == *" $c "* ]] || die "--cpus: CPU $c is not online ($online)"
    done
    [ "$(printf '%s\n' "${cpu_arr[@]}" | sort -u | wc -l)" -eq ${#cpu_arr[@]} ] ||
        die "--cpus '$cpus_opt': a CPU is named twice"
else
    [ ${#online_cpus[@]} -ge "$maxt" ] || die "$maxt threads need $maxt CPUs; ${#online_cpus[@]} are online"
    cpu_arr=("${online_cpus[@]: -$maxt}")
fi
[ ${#cpu_arr[@]} -ge "$maxt" ] || die "--cpus '$cpus_opt': $maxt threads need $maxt CPUs"
cpus_for() { # T -> the last T CPUs of the list, comma-separated
    local IFS=,
    echo "${cpu_arr[*]: -$1}"
}

build=$(cd "$build" 2>/dev/null && pwd) || die "--build: no such directory"
hvmm=$build/hvmm/hvmm lwk=$build/lwk/lwk.elf
[ -x "$hvmm" ] || die "$hvmm is not built (meson setup build && ninja -C build)"
[ -f "$lwk" ] || die "$lwk is not built"
[ -e /dev/kvm ] || die "no /dev/kvm on this host (hvmm needs KVM)"
strace=''
if [ "$syscalls" = 1 ]; then
    strace=$(command -v strace) || { note "strace is not installed: no system-call counts (--no-syscalls hides this)"; strace=''; }
fi
mkdir -p "$results" || die "cannot create $results"
results=$(cd "$results" && pwd)
stamp=$(date -u +%Y%m%d-%H%M%S)
runs_csv=$results/miniapps-$stamp-runs.csv table_txt=$results/miniapps-$stamp.txt
work=$(mktemp -d) || die "cannot make a temporary directory"
trap 'rm -rf "$work"' EXIT

# An app's argument vector for T threads, in argv_out.
app_argv() { # APP T
    local s=${args[$1]//\{threads\}/$2}
    read -r -a argv_out <<<"$s"
}

# Runs one peer; the output in $work/out and $work/err, the seconds in run_s, the status in
# run_st. Every peer is timed alike: around `timeout` and what it starts.
run_peer() { # PEER APP T
    local peer=$1 app=$2 t=$3 cpus cmd t0 t1
    cpus=$(cpus_for "$t")
    app_argv "$app" "$t"
    if [ "$peer" = native ]; then
        cmd=(taskset -c "$cpus" "${path[$app]}" "${argv_out[@]}")
    else
        cmd=("$hvmm" run --vcpus "$t" --cpus "$cpus" --mem "${mem[$app]}" --hugepages "$hugepages"
            --fastpath "$peer" --kernel "$lwk" -v -- "${path[$app]}" "${argv_out[@]}")
    fi
    t0=$EPOCHREALTIME
    run_st=0
    OMP_NUM_THREADS=$t timeout -k 10 "$timeout_s" "${cmd[@]}" >"$work/out" 2>"$work/err" </dev/null || run_st=$?
    t1=$EPOCHREALTIME
    run_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

# The verification lines of the last run, whitespace squeezed.
verification() { # APP
    grep -E -- "${verify[$1]}" "$work/out" | tr -s ' \t' ' ' | sed 's/^ //; s/ $//' || true
}

# strace -c's table as one line: "total N: name calls [(E errors)], ..." by count.
syscall_line() { # FILE
    awk '/^-/ || /% time/ { next }
        $NF == "total" { total = $4; next }
        NF >= 5 { n = $NF; c = $4; e = (NF >= 6) ? $5 : 0; calls[n] = c; errs[n] = e }
        END {
            printf "total %d:\n", total
            cmd = "sort -k2,2nr -k1,1"
            for (n in calls) printf "%s %d %d\n", n, calls[n], errs[n] | cmd
            close(cmd)
        }' "$1" >"$work/sc"
    head -n 1 "$work/sc" | tr -d '\n'
    tail -n +2 "$work/sc" | awk '{ printf "%s %s %s", (NR > 1 ? "," : ""), $1, $2; if ($3 > 0) printf " (%d errors)", $3 }'
    echo
}

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
kvm_kind=''
for m in kvm_pvm kvm_intel kvm_amd; do
    if [ -d "/sys/module/$m" ]; then kvm_kind+="${kvm_kind:+ }$m"; fi
done
header="$cpu_model, KVM: ${kvm_kind:-?}, CPUs ${cpu_arr[*]}, threads ${threads[*]}, $reps repetitions, hvmm --hugepages $hugepages"
note "$header"
echo "app,threads,rep,peer,seconds,status,verified,sites_rewritten,syscalls_trapped" >"$runs_csv"
declare -A times=() ref_st=() ref_ver=() bad=() sites=() sc=() trapped=()
failures=0

for app in "${apps[@]}"; do
    for t in "${threads[@]}"; do
        key=$app.$t
        app_argv "$app" "$t"
        note "$app, $t thread(s): ${path[$app]} ${argv_out[*]} (CPUs $(cpus_for "$t"), --mem ${mem[$app]})"
        if [ -n "$strace" ]; then
            note "$app, $t thread(s): counting system calls natively (strace -f -c)"
            # taskset outside strace: only the app's own calls are counted
            rm -f "$work/strace"
            if OMP_NUM_THREADS=$t timeout -k 10 "$timeout_s" taskset -c "$(cpus_for "$t")" \
                "$strace" -f -c -o "$work/strace" "${path[$app]}" "${argv_out[@]}" >/dev/null 2>&1 </dev/null ||
                [ -s "$work/strace" ]; then
                sc[$key]=$(syscall_line "$work/strace")
            else
                sc[$key]="strace failed"
            fi
        fi
        for ((r = 1; r <= reps; r++)); do
            for peer in "${peers[@]}"; do
                note "$app, $t thread(s), repetition $r/$reps: $peer"
                run_peer "$peer" "$app" "$t"
                ver=$(verification "$app")
                n_sites='' n_trapped=''
                if [ "$peer" != native ]; then
                    n_trapped=$(sed -n 's/.*lwk: \([0-9]*\) system call(s) trapped into the kernel.*/\1/p' "$work/err" | tail -n 1)
                    trapped[$key.$peer]+="${n_trapped:+$n_trapped }"
                    fp=$(sed -n 's/.*lwk: fast path: \([0-9]*\) system call site(s) rewritten, \([0-9]*\) refused.*/\1 \2/p' "$work/err" | tail -n 1)
                    n_sites=${fp%% *}
                    [ -z "$fp" ] || sites[$key.$peer]="${fp%% *} system call site(s) rewritten, ${fp##* } refused"
                fi
                # the reference: the first native run that ended by itself
                if [ -z "${ref_st[$key]+set}" ] && [ "$peer" = native ] &&
                    [ "$run_st" != 124 ] && [ "$run_st" != 137 ]; then
                    ref_st[$key]=$run_st ref_ver[$key]=$ver
                    [ -n "$ver" ] || note "$app: no stdout line matches --verify '${verify[$app]}': nothing to compare"
                fi
                ok=yes why=''
                if [ "$run_st" = 124 ] || [ "$run_st" = 137 ]; then
                    ok=no why="ran past --timeout $timeout_s s"
                elif [ -z "${ref_st[$key]+set}" ]; then
                    ok=no why="no native run to compare with"
                elif [ "$run_st" != "${ref_st[$key]}" ]; then
                    ok=no why="exit status $run_st, natively ${ref_st[$key]}"
                elif [ "$ver" != "${ref_ver[$key]}" ] || [ -z "$ver" ]; then
                    ok=no why="verification lines differ from the native run's"
                fi
                echo "$app,$t,$r,$peer,$run_s,$run_st,$ok,$n_sites,$n_trapped" >>"$runs_csv"
                if [ $ok = yes ]; then
                    times[$key.$peer]+="$run_s "
                else
                    failures=$((failures + 1))
                    bad[$key.$peer]=$((${bad[$key.$peer]:-0} + 1))
                    note "FAILED: $app, $t thread(s), $peer, repetition $r: $why; the last lines:"
                    { awk '{ print "    native verification: " $0 }' <<<"${ref_ver[$key]:-}"
                      awk '{ print "    this run'"'"'s:          " $0 }' <<<"$ver"
                      tail -n 8 "$work/out" | sed 's/^/    stdout: /'
                      tail -n 8 "$work/err" | sed 's/^/    stderr: /'; } >&2
                fi
            done
        done
    done
done

# median, +- half range, min of a list of seconds
stats() { # "S S S" -> "median halfrange min" or "- - -"
    tr ' ' '\n' <<<"$1" | awk 'NF { v[n++] = $1 } END {
        if (!n) { print "- - -"; exit }
        for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
        m = (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
        printf "%.3f %.3f %.3f\n", m, (v[n - 1] - v[0]) / 2, v[0] }'
}
# The system calls that trapped into the lwk (hvmm -v), median per run for each VM peer, and
# what they would cost at issue 15's Intel floor: a count, the same on every host, where the
# run's time depends on the host's trap cost.
trapped_line() { # KEY T
    local m line='' med nm
    for m in "${modes[@]}"; do
        read -r med _ _ <<<"$(stats "${trapped[$1.$m]:-}")"
        [ "$med" = - ] || line+="${line:+, }fast path $m ${med%.*}"
    done
    [ -n "$line" ] || return 0
    echo "  $2 thread(s): system calls that trapped into the lwk per run (median): $line"
    read -r nm _ _ <<<"$(stats "${times[$1.native]:-}")"
    read -r med _ _ <<<"$(stats "${trapped[$1.on]:-}")"
    [ "$med" = - ] || [ "$nm" = - ] ||
        awk -v n="$med" -v s="$nm" -v t="$2" 'BEGIN { printf "  %s thread(s): at the 48 us round trip of issue 15'"'"'s Intel host those of fast path on would cost %.1f ms, %.2f%% of the native median (a projection, not a measurement)\n", t, n * 0.048, (s > 0 ? 100 * n * 48e-6 / s : 0) }'
}

ratio() { awk -v v="$1" -v n="$2" 'BEGIN { if (v == "-" || n == "-" || n == 0) print "-"; else printf "%.3f", v / n }'; }

{
    echo "miniapps: $header"
    echo "wall seconds, median +- half range over the runs that counted; ratio = VM / native (median, and best runs)"
    printf '%-10s %3s  %-17s' app thr "native s"
    for m in "${modes[@]}"; do printf ' %-17s %-6s %-6s' "vm fastpath-$m s" "$m/nat" "best"; done
    printf '  %s\n' "target: fastpath-on <= 1.05"
    for app in "${apps[@]}"; do
        for t in "${threads[@]}"; do
            key=$app.$t
            read -r nm nh nb <<<"$(stats "${times[$key.native]:-}")"
            cell() { [ "$1" = - ] && echo - || echo "$1 +- $2"; }
            printf '%-10s %3s  %-17s' "$app" "$t" "$(cell "$nm" "$nh")"
            verdict="no fast-path-on run"
            for m in "${modes[@]}"; do
                read -r vm vh vb <<<"$(stats "${times[$key.$m]:-}")"
                rm_=$(ratio "$vm" "$nm") rb=$(ratio "$vb" "$nb")
                printf ' %-17s %-6s %-6s' "$(cell "$vm" "$vh")" "$rm_" "$rb"
                if [ "$m" = on ]; then
                    if [ "$rm_" = - ]; then verdict="n/a (no counted runs)"
                    elif awk -v r="$rm_" 'BEGIN { exit !(r <= 1.05) }'; then verdict="met ($rm_)"
                    else verdict="NOT met ($rm_)"; fi
                fi
            done
            printf '  %s\n' "$verdict"
        done
    done
    echo
    for app in "${apps[@]}"; do
        echo "$app: ${path[$app]} ${args[$app]}"
        for t in "${threads[@]}"; do
            key=$app.$t
            nfail=0
            for p in "${peers[@]}"; do nfail=$((nfail + ${bad[$key.$p]:-0})); done
            ver=$(tr '\n' ';' <<<"${ref_ver[$key]:-}" | sed 's/;$//; s/;/; /g')
            if [ "$nfail" = 0 ]; then
                echo "  $t thread(s): verification identical natively and in the VM in every run (exit status ${ref_st[$key]:-?}): $ver"
            else
                echo "  $t thread(s): $nfail run(s) FAILED (exit status or verification differs from native; see stderr); native: $ver"
            fi
            if [[ " ${modes[*]} " == *" on "* ]]; then
                echo "  $t thread(s): lwk fast path on: ${sites[$key.on]:-no report} (hvmm -v, last run)"
            fi
            trapped_line "$key" "$t"
            [ -z "${sc[$key]:-}" ] || echo "  $t thread(s): system calls natively (strace -f -c): ${sc[$key]}"
        done
    done
    echo
    echo "every run: $runs_csv"
} | tee "$table_txt"
[ "$failures" = 0 ]
