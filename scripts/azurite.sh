#!/usr/bin/env bash
# Starts Azurite on 127.0.0.1 with a data folder, in the foreground, until stopped (TERM or INT stops all of it).
# Usage: scripts/azurite.sh DATA_DIR [BLOB_PORT QUEUE_PORT TABLE_PORT]
# The blob, queue and table services run as three Azurite processes on the same data folder (each keeps its own
# files there), as Azure runs them apart: one node process serves one request at a time, and under load the table
# service alone keeps a core busy, so in one process the queue waited behind every table call and every save of
# the table database.
# AZURITE_NODE_FLAGS passes flags to node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where Azurite spends its time
# (scripts/bench.sh passes the environment on; the profiles are written when Azurite stops).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?data folder}
blob=${2:-10000}; queue=${3:-10001}; table=${4:-10002}
mkdir -p "$data"
dist=tools/azurite/node_modules/azurite/dist/src
common=(--silent --location "$data" --disableTelemetry --skipApiVersionCheck)
pids=()
# shellcheck disable=SC2086 # the node flags are words
node ${AZURITE_NODE_FLAGS:-} "$dist/table/main.js" "${common[@]}" --tableHost 127.0.0.1 --tablePort "$table" & pids+=($!)
node ${AZURITE_NODE_FLAGS:-} "$dist/queue/main.js" "${common[@]}" --queueHost 127.0.0.1 --queuePort "$queue" & pids+=($!)
node ${AZURITE_NODE_FLAGS:-} "$dist/blob/main.js" "${common[@]}" --blobHost 127.0.0.1 --blobPort "$blob" & pids+=($!)
stop() { trap - TERM INT; kill -INT "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
trap 'stop; exit 0' TERM INT
# One service ending on its own (a port in use, say) ends the others too, with its exit code.
set +e; wait -n "${pids[@]}"; rc=$?; set -e
echo "azurite.sh: a service stopped (exit $rc); stopping the others" >&2
stop; exit "$rc"
