#!/usr/bin/env bash
# The benchmark (not a test): starts Azurite with a fresh data folder and K app instances on it (rate limiting
# off), drives realistic pledge traffic, and prints the figures beside Azurite's own limit measured in the same run.
# Usage: scripts/bench.sh [--instances K] [--storage-latency-ms MS] [--scale-table]
#          [--concurrency N] [--seconds S] [--rate N] [--donors distinct|repeat|anonymous] [--no-fund] [--shards N] [--poll]
#          [--warmup S]
#   --warmup S               S seconds (default 10, 0 for none) of the same traffic on a campaign of its own first, counted
#                            before anything is measured (not in --scale-table, whose counting instances start later)
#   --storage-latency-ms MS  adds MS to every storage call the app makes (Storage:SimulatedLatencyMs), as in Azure
#   --scale-table            counting's capacity for 1, 2, 4 shards on 1 and 2 instances (latency 15 ms unless given):
#                            one instance with counting off and no latency added takes 4,000 pledges (--pledges;
#                            or what it takes in 120 s), then the counting instances start and drain that backlog; each cell on a fresh
#                            Azurite (its table queries scan the whole table, so earlier runs would slow later ones).
#                            Each cell prints the machine's CPU use while it drained: where it nears 100%, the cell
#                            measures this machine's cores, not the counting's design
#   --shards-list "1 2 4"    the shard counts of the table
#   --instances-list "1 2"   the counting instance counts of the table
set -euo pipefail
cd "$(dirname "$0")/.."

instances=1; latency=0; scale=0; shard_counts="1 2 4"; instance_counts="1 2"; pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --instances) instances=$2; shift 2 ;;
    --storage-latency-ms) latency=$2; shift 2 ;;
    --scale-table) scale=1; shift ;;
    --shards-list) shard_counts=$2; shift 2 ;;
    --instances-list) instance_counts=$2; shift 2 ;;
    *) pass+=("$1"); shift ;;
  esac
done

source scripts/storage-env.sh
scripts/install-tools.sh
echo "==> building"
dotnet build GivingDay.slnx -c Release --nologo -v quiet >/dev/null

work=$(mktemp -d)
azurite_pid=""
trap 'stop_apps; kill $azurite_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
export Organiser__ApiKey=bench-key Hashing__DonorKey=bench-donor-key RateLimit__PerClientPerSecond=0 Logging__LogLevel__Default=Warning
# The apps export their metrics over OTLP to the benchmark, which reads their storage calls per pledge; no traces.
otlp_port=$(free_ports 1)
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$otlp_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
  OTEL_METRIC_EXPORT_INTERVAL=1000 OTEL_TRACES_SAMPLER=always_off

start_azurite() { # a fresh data folder each time; sets AzureWebJobsStorage
  local blob queue table
  read -r blob queue table <<<"$(free_ports 3)"
  scripts/azurite.sh "$work/azurite-$blob" "$blob" "$queue" "$table" > "$work/azurite-$blob.log" 2>&1 &
  azurite_pid=$!
  wait_for_port 127.0.0.1 "$blob" 60; wait_for_port 127.0.0.1 "$queue" 60; wait_for_port 127.0.0.1 "$table" 60
  export AzureWebJobsStorage; AzureWebJobsStorage=$(azurite_connection "$blob" "$queue" "$table")
}
stop_azurite() { kill "$azurite_pid" 2>/dev/null || true; wait "$azurite_pid" 2>/dev/null || true; azurite_pid=""; }
start_apps() { # count latency_ms [triggers]: starts the instances, sets $urls
  urls=$(scripts/bench-instances.sh "$1" "$2" "${3:-true}" "$work/apps.pids" "$work")
  sleep 1
}
stop_apps() { # every instance started, the benchmark's counting instances too; returns once they are gone
  [ -s "$work/apps.pids" ] || return 0
  local pids; pids=$(cat "$work/apps.pids"); rm -f "$work/apps.pids"
  kill $pids 2>/dev/null || true
  for _ in $(seq 1 100); do
    local alive=0 pid; for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0; sleep 0.1
  done
}
bench() { dotnet tools/GivingDay.Bench/bin/Release/net10.0/GivingDay.Bench.dll --url "$urls" --key bench-key --storage "$AzureWebJobsStorage" --otlp-port "$otlp_port" "$@"; }

if [ "$scale" = 0 ]; then
  echo "==> $instances instance(s)$( [ "$latency" != 0 ] && echo ", $latency ms added to every storage call")"
  start_azurite
  start_apps "$instances" "$latency"
  bench "${pass[@]}"
  exit
fi

[ "$latency" = 0 ] && latency=15
declare -A counted
for n in $instance_counts; do
  for shards in $shard_counts; do
    echo "==> $n counting instance(s), $shards shard(s), $latency ms per storage call"
    start_azurite
    # The backlog is taken with no latency added (as fast as this box can): the cell measures counting alone, and intake's
    # messages then hold as many pledges as at Azure's latency, not the few a slowed intake would put in each.
    start_apps 1 0 false
    bench --no-limit --seconds 120 --pledges 4000 --shards "$shards" "${pass[@]}" --counters "scripts/bench-instances.sh $n $latency true $work/apps.pids $work >/dev/null" | tee "$work/scale-$n-$shards.txt"
    counted[$n,$shards]=$(awk '/^counted \(drain\)/ {print $3}' "$work/scale-$n-$shards.txt")
    stop_apps
    stop_azurite
  done
done
echo
echo "counting's capacity (draining a backlog taken with counting off), pledges/s, with $latency ms added to every storage call"
printf '%-12s' ""; for shards in $shard_counts; do printf ' %10s' "$shards shard(s)"; done; echo
for n in $instance_counts; do
  printf '%-12s' "$n instance(s)"; for shards in $shard_counts; do printf ' %10s' "${counted[$n,$shards]}"; done; echo
done
