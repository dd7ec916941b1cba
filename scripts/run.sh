#!/usr/bin/env bash
# Runs GivingDay locally: Azurite (data in .azurite/), the standalone host on http://127.0.0.1:7071,
# a demo 5·8 campaign, and prints the URLs. Ctrl+C stops everything. `scripts/run.sh --reset` starts from empty storage.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/storage-env.sh

if [ "${1:-}" = "--reset" ]; then echo "==> --reset: removing the local storage in .azurite/"; rm -rf .azurite; fi
scripts/install-tools.sh
echo "==> building"
dotnet build src/StandaloneHost -c Release --nologo -v quiet

read -r blob queue table <<<"$(free_ports 3)"
echo "==> starting Azurite on 127.0.0.1:$blob/$queue/$table (data in .azurite/)"
# In a session of its own, so that Ctrl+C does not stop the storage under the host: the host stops first, with its
# storage still there (its timer's lease released, nothing left half done), then Azurite, which saves its data.
setsid scripts/azurite.sh .azurite "$blob" "$queue" "$table" > .azurite.log 2>&1 &
azurite=$!
host=""
cleanup() {
  trap - EXIT INT TERM
  echo; echo "==> stopping"
  if [ -n "$host" ]; then kill "$host" 2>/dev/null || true; wait "$host" 2>/dev/null || true; fi
  kill "$azurite" 2>/dev/null || true; wait "$azurite" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
wait_for_port 127.0.0.1 "$blob" 60; wait_for_port 127.0.0.1 "$table" 60; wait_for_port 127.0.0.1 "$queue" 60

export AzureWebJobsStorage; AzureWebJobsStorage=$(azurite_connection "$blob" "$queue" "$table")
export Organiser__ApiKey=${Organiser__ApiKey:-dev-organiser-key} Hashing__DonorKey=${Hashing__DonorKey:-dev-donor-key}
export Logging__LogLevel__Default=${Logging__LogLevel__Default:-Warning}
export SnapshotSchedule=${SnapshotSchedule:-"*/30 * * * * *"}
url=http://127.0.0.1:7071
echo "==> starting the standalone host on $url"
dotnet src/StandaloneHost/bin/Release/net10.0/GivingDay.StandaloneHost.dll --urls "$url" &
host=$!
for _ in $(seq 1 100); do curl -fs "$url/api/health" >/dev/null 2>&1 && break; sleep 0.2; done

demo=$(scripts/demo-campaign.sh "$url" "$Organiser__ApiKey")

cat <<MSG

GivingDay is running (Ctrl+C stops everything).
  Campaign page     $url/c/$demo
  Live leaderboard  $url/c/$demo/live
  Organiser console $url/organiser      (organiser key: $Organiser__ApiKey)
  API               $url/api/campaigns/$demo
                    $url/api/campaigns/$demo/leaderboard
  API reference     $url/reference      (OpenAPI document: $url/api/openapi/v1.json)
Give with curl:
  curl -i -X POST $url/api/campaigns/$demo/pledges -H 'Content-Type: application/json' \\
       -H "Idempotency-Key: \$(date +%s%N)" -d '{"projectId":"zaochan","amount":5000,"donor":{"name":"张三","contact":"13800138000"}}'
MSG
wait
