#!/usr/bin/env bash
# `rta process --workers N` against `--workers 1` (issue 11: ≥ 1.8× the records/s with 2) over a
# day of ACCOUNTS accounts × PERSONS persons (`rta simulate`, agent events only, the accounts'
# lines interleaved one by one, so each account keeps its order). Each count runs RUNS times,
# alternating, in this one invocation; the best wall time of each and the process's CPU seconds
# (user + sys) and the median wall time are reported, with the ratios. Run from the repository root after
# `cargo build --release`: `bash benches/process_workers.sh` (env ACCOUNTS 20, PERSONS 500,
# RUNS 5, COUNTS "1 2").
set -euo pipefail
accounts=${ACCOUNTS:-20}
persons=${PERSONS:-500}
runs=${RUNS:-5}
counts=${COUNTS:-1 2}
bin=target/release/rta
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for a in $(seq 0 $((accounts - 1))); do
  "$bin" simulate --persons "$persons" --account "acct$a" --seed $((a + 1)) \
    --contacts-per-day 0 -o "$dir/a$a.ndjson"
done
paste -d '\n' "$dir"/a*.ndjson | grep -v '^$' > "$dir/day.ndjson"
echo "input: $(wc -l < "$dir/day.ndjson") lines ($accounts accounts × $persons persons)"
python3 - "$bin" "$dir/day.ndjson" "$runs" $counts <<'PY'
import os, subprocess, sys, time
binary, day, runs, counts = sys.argv[1], sys.argv[2], int(sys.argv[3]), [int(c) for c in sys.argv[4:]]
best = {c: (float("inf"), 0.0) for c in counts}
walls = {c: [] for c in counts}
for _ in range(runs):
    for c in counts:
        with open(day, "rb") as inp, open(os.devnull, "wb") as out:
            t0 = time.perf_counter()
            p = subprocess.Popen([binary, "process", "--workers", str(c)], stdin=inp, stdout=out)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
        assert status == 0, f"rta process --workers {c} exited with {status}"
        cpu = ru.ru_utime + ru.ru_stime
        walls[c].append(wall)
        if wall < best[c][0]:
            best[c] = (wall, cpu)
median = {c: sorted(w)[len(w) // 2] for c, w in walls.items()}
base = best[counts[0]]
for c in counts:
    wall, cpu = best[c]
    print(f"--workers {c}: best {wall:.2f} s wall ({cpu:.2f} CPU-s), median {median[c]:.2f} s; "
          f"{base[0] / wall:.2f}× (best) / {median[counts[0]] / median[c]:.2f}× (median) the records/s of --workers {counts[0]}")
PY
