#!/usr/bin/env bash
# Soak run of the embedded default: `rta run` with simulated agents at SPEED times real time
# (default 1440: one simulated day per minute) for SAMPLES × 30 s, printing resident memory and
# the account summary every 30 s. Flat RSS over simulated days = no degradation.
#   bash benches/soak_embedded.sh            # 9 simulated days in 9 minutes
set -euo pipefail
cd "$(dirname "$0")/.."
SPEED="${SPEED:-1440}" SAMPLES="${SAMPLES:-18}" PORT="${PORT:-18090}"
cargo build --release --quiet
./target/release/rta run --http "127.0.0.1:$PORT" --speed "$SPEED" > /tmp/rta-soak.log 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true' EXIT
for i in $(seq 1 "$SAMPLES"); do
  sleep 30
  rss=$(awk '/VmRSS/{print $2}' "/proc/$PID/status")
  summary=$(curl -s "127.0.0.1:$PORT/api/accounts" | python3 -c 'import json,sys; a=json.load(sys.stdin)[0]; print(a["at"], "persons", a["persons"], "online", a["online"], a["adherence"], "adherence%", a["adherencePercent"])')
  echo "t=$((i * 30))s rss_kb=$rss $summary"
done
