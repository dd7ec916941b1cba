#!/usr/bin/env bash
# Starts K standalone hosts on the storage in AzureWebJobsStorage, with MS added to every storage call and their queue and
# timer triggers on or off (TRIGGERS: true|false); appends their pids to PIDFILE, logs to LOGDIR, and prints their URLs,
# comma-separated, once each answers. scripts/bench.sh starts its instances with it, and the benchmark's --counters runs it
# to start the counting instances of --scale-table once intake has stopped.
# Usage: scripts/bench-instances.sh K MS TRIGGERS PIDFILE LOGDIR
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/storage-env.sh
# The app, as one instance is started (plus --urls). The one line to change when the host changes.
APP="dotnet src/StandaloneHost/bin/Release/net10.0/GivingDay.StandaloneHost.dll"
count=$1 latency=$2 triggers=$3 pidfile=$4 logs=$5
urls=""
for _ in $(seq 1 "$count"); do
  port=$(free_ports 1)
  # Its own session: it outlives the shell that started it (the benchmark's --counters), until PIDFILE's pids are killed.
  Standalone__Triggers=$triggers Storage__SimulatedLatencyMs=$latency setsid $APP --urls "http://127.0.0.1:$port" > "$logs/app-$port.log" 2>&1 < /dev/null &
  echo $! >> "$pidfile"
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break; sleep 0.2; done
  urls="${urls:+$urls,}http://127.0.0.1:$port"
done
echo "$urls"
