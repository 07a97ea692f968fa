#!/usr/bin/env bash
# Runs the phases of `make test` in order, stopping at the first that fails, and prints the wall
# time of each, the CPU time its processes used (user + sys; on a busy machine the wall time grows,
# the CPU time much less), and the size of the release wasm.
#   scripts/timed-phases.sh NAME COMMAND [NAME COMMAND]...
set -uo pipefail
cd "$(dirname "$0")/.."

names=()
times=()
cpus=()
# CPU seconds (user + sys) used so far by this script's finished children and their descendants.
cpu_now() {
  local stat
  stat=$(cat /proc/$$/stat)
  stat=${stat##*) }  # the fields after "(comm) "; cutime and cstime are fields 16 and 17
  awk -v tck="$(getconf CLK_TCK)" '{ print ($14 + $15) / tck }' <<<"$stat"
}
summary() {
  local total=0 cpu_total=0 i
  echo
  echo "make test: time per phase (load average now: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores)"
  printf '  %-8s %9s %9s\n' phase wall cpu
  for i in "${!names[@]}"; do
    printf '  %-8s %7.1f s %7.1f s\n' "${names[$i]}" "${times[$i]}" "${cpus[$i]}"
    total=$(awk -v a="$total" -v b="${times[$i]}" 'BEGIN { print a + b }')
    cpu_total=$(awk -v a="$cpu_total" -v b="${cpus[$i]}" 'BEGIN { print a + b }')
  done
  printf '  %-8s %7.1f s %7.1f s\n' total "$total" "$cpu_total"
  if [ -f build/index_bg.wasm ]; then
    node -e '
      const bytes = require("fs").readFileSync(process.argv[1]);
      const gzip = require("zlib").gzipSync(bytes, { level: 9 }).length;
      const fmt = (n) => n.toLocaleString("en");
      console.log(`release wasm: ${fmt(bytes.length)} bytes raw, ${fmt(gzip)} bytes gzip -9 ` +
        (gzip < 300_000 ? "(under the 300 KB goal)" : "(OVER the 300 KB goal)"));
    ' build/index_bg.wasm
  fi
}

while [ $# -ge 2 ]; do
  name=$1 command=$2
  shift 2
  echo "== $name: $command"
  start=$EPOCHREALTIME
  cpu_start=$(cpu_now)
  bash -c "$command"
  status=$?
  names+=("$name")
  times+=("$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')")
  cpus+=("$(awk -v a="$cpu_start" -v b="$(cpu_now)" 'BEGIN { print b - a }')")
  if [ "$status" -ne 0 ]; then
    summary
    echo "make test: phase '$name' failed (exit $status)"
    exit "$status"
  fi
done
summary
