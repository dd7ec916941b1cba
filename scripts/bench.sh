#!/usr/bin/env bash
# The benchmark (not a test): starts Azurite with a fresh data folder and the standalone host with rate
# limiting off, drives pledge intake, and prints the figures. Usage: scripts/bench.sh [--concurrency N] [--seconds S] [--rate N] [--matching] [--poll]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/storage-env.sh
scripts/install-tools.sh
dotnet build src/StandaloneHost -c Release --nologo -v quiet
dotnet build tools/GivingDay.Bench -c Release --nologo -v quiet

work=$(mktemp -d)
read -r blob queue table app <<<"$(free_ports 4)"
scripts/azurite.sh "$work/azurite" "$blob" "$queue" "$table" > "$work/azurite.log" 2>&1 &
pids=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
wait_for_port 127.0.0.1 "$blob" 60; wait_for_port 127.0.0.1 "$queue" 60; wait_for_port 127.0.0.1 "$table" 60
export AzureWebJobsStorage; AzureWebJobsStorage=$(azurite_connection "$blob" "$queue" "$table")
export Organiser__ApiKey=bench-key Hashing__DonorKey=bench-donor-key RateLimit__PerClientPerSecond=0 Logging__LogLevel__Default=Warning
dotnet src/StandaloneHost/bin/Release/net10.0/GivingDay.StandaloneHost.dll --urls "http://127.0.0.1:$app" > "$work/app.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$app/api/health" >/dev/null 2>&1 && break; sleep 0.2; done
sleep 1
dotnet tools/GivingDay.Bench/bin/Release/net10.0/GivingDay.Bench.dll --url "http://127.0.0.1:$app" --key bench-key "$@"
