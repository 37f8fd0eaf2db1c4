#!/usr/bin/env bash
# Load test of `rta relay` (issue 14, README "Performance"): wrk (Debian package `wrk`) with
# CONNECTIONS connections for DURATION against the Odigo endpoint on loopback, ~1 KB bodies
# (arrays of 8 notifications), with `rta run` consuming beside it. Prints wrk's requests/s and
# latency percentiles, then checks that the 202 answers equal the records rta run consumed.
#   BROKERS=127.0.0.1:9092 bash benches/relay_wrk.sh
# Not part of the tests (timed); run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BROKERS:?set BROKERS=host:port of a Kafka broker}"
CONNECTIONS="${CONNECTIONS:-64}" DURATION="${DURATION:-30s}" THREADS="${THREADS:-2}"
PREFIX="${PREFIX:-bench$(date +%s).}" RELAY_PORT="${RELAY_PORT:-18181}" RUN_PORT="${RUN_PORT:-18180}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
RTA=./target/release/rta
metric() { curl -s "127.0.0.1:$1/metrics" | awk -v m="$2" 'index($0, m) == 1 {print $NF}' | head -1; }
wait_ready() { for _ in $(seq 1 300); do curl -sf "127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.2; done; echo "not ready: $1" >&2; exit 1; }

# rta run creates the topics and consumes what the relay produces
$RTA run --brokers "$BROKERS" --topic-prefix "$PREFIX" --http "127.0.0.1:$RUN_PORT" > /tmp/rta-bench-run.log 2>&1 &
RUN=$!
trap 'kill -TERM ${RELAY:-} $RUN 2>/dev/null || true' EXIT
wait_ready "$RUN_PORT"
TOKEN=$($RTA integration add --brokers "$BROKERS" --topic-prefix "$PREFIX" --account bench \
  --vendor odigo --name wrk | grep -o 'rta_[A-Za-z0-9_-]\{43\}' | head -1)
$RTA relay --brokers "$BROKERS" --topic-prefix "$PREFIX" --http "127.0.0.1:$RELAY_PORT" > /tmp/rta-bench-relay.log 2>&1 &
RELAY=$!
wait_ready "$RELAY_PORT"
until curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"login":"warmup","state":"READY","timestamp":0}' "127.0.0.1:$RELAY_PORT/v1/odigo/$TOKEN" | grep -q 202; do sleep 0.2; done

# ~1 KB body: 8 notifications of 8 agents, timestamps now
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
BODY="["
for i in $(seq 1 8); do
  BODY+="{\"eventId\":\"wrk-$i\",\"timestamp\":\"$NOW\",\"login\":\"agent.number.$i@bench.example.com\",\"state\":\"PAUSE\",\"pauseCode\":\"TRAINING-SESSION-$i\",\"site\":\"bench\"}"
  [ "$i" -lt 8 ] && BODY+=","
done
BODY+="]"
# rta run's engine would share the two cores with wrk and the relay (8 notifications per request):
# stop it during the load unless CONSUMER_BESIDE=1; a fresh group counts the records afterwards
if [ "${CONSUMER_BESIDE:-0}" != 1 ]; then kill -TERM "$RUN"; wait "$RUN" || true; fi
LUA=$(mktemp --suffix=.lua)
cat > "$LUA" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$BODY'
LUA
echo "body: ${#BODY} bytes; $CONNECTIONS connections, $THREADS threads, $DURATION"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "http://127.0.0.1:$RELAY_PORT/v1/odigo/$TOKEN"
rm -f "$LUA"

# every 202 is a record: rta run's consumed count catches up with the relay's 202 count. It may
# end above it by at most the requests wrk abandoned in flight when it stopped (their records
# were produced, their answers never written), never below it: no acknowledged request is lost.
ACCEPTED=$(metric "$RELAY_PORT" 'rta_relay_requests_total{route="odigo",status="202"}')
if [ "${CONSUMER_BESIDE:-0}" != 1 ]; then
  $RTA run --brokers "$BROKERS" --topic-prefix "$PREFIX" --group-id "count-$PREFIX" \
    --http "127.0.0.1:$RUN_PORT" > /tmp/rta-bench-count.log 2>&1 &
  RUN=$!
  wait_ready "$RUN_PORT"
fi
CONSUMED=0
for _ in $(seq 1 120); do
  CONSUMED=$(metric "$RUN_PORT" "rta_records_consumed_total{topic=\"${PREFIX}rta.agent-events\"}")
  [ "${CONSUMED:-0}" -ge "$ACCEPTED" ] && break
  sleep 1
done
sleep 2
CONSUMED=$(metric "$RUN_PORT" "rta_records_consumed_total{topic=\"${PREFIX}rta.agent-events\"}")
echo "202 answers: $ACCEPTED; records consumed by rta run: ${CONSUMED:-0} (abandoned by wrk in flight: $(( ${CONSUMED:-0} - ACCEPTED )), at most $CONNECTIONS)"
[ "${CONSUMED:-0}" -ge "$ACCEPTED" ] || { echo "LOST: fewer records than 202 answers" >&2; exit 1; }
[ $(( ${CONSUMED:-0} - ACCEPTED )) -le "$CONNECTIONS" ] || { echo "MORE records than 202 answers plus requests in flight" >&2; exit 1; }
