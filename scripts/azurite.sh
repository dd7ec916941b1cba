#!/usr/bin/env bash
# Starts Azurite on 127.0.0.1 with a data folder, in the foreground.
# Usage: scripts/azurite.sh DATA_DIR [BLOB_PORT QUEUE_PORT TABLE_PORT]
# AZURITE_NODE_FLAGS passes flags to node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where Azurite spends its time
# (scripts/bench.sh passes the environment on; the profile is written when Azurite stops).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?data folder}
blob=${2:-10000}; queue=${3:-10001}; table=${4:-10002}
mkdir -p "$data"
exec node ${AZURITE_NODE_FLAGS:-} tools/azurite/node_modules/azurite/dist/src/azurite.js \
  --silent --location "$data" --disableTelemetry --skipApiVersionCheck \
  --blobHost 127.0.0.1 --blobPort "$blob" \
  --queueHost 127.0.0.1 --queuePort "$queue" \
  --tableHost 127.0.0.1 --tablePort "$table"
