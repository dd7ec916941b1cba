#!/usr/bin/env bash
# For scripts/bench.sh --scale-table (the benchmark runs it once intake has stopped): starts K counting instances on the
# storage in AzureWebJobsStorage, with MS added to every storage call, records their pids in PIDFILE, and returns once
# each answers. Usage: scripts/bench-counters.sh K MS PIDFILE LOGDIR
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/storage-env.sh
APP="dotnet src/StandaloneHost/bin/Release/net10.0/GivingDay.StandaloneHost.dll"
count=$1 latency=$2 pidfile=$3 logs=$4
for i in $(seq 1 "$count"); do
  port=$(free_ports 1)
  Storage__SimulatedLatencyMs=$latency setsid $APP --urls "http://127.0.0.1:$port" > "$logs/counter-$i.log" 2>&1 < /dev/null &
  echo $! >> "$pidfile"
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break; sleep 0.2; done
done
