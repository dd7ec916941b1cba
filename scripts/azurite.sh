#!/usr/bin/env bash
# Starts Azurite on 127.0.0.1 with a data folder, in the foreground.
# Usage: scripts/azurite.sh DATA_DIR [BLOB_PORT QUEUE_PORT TABLE_PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?data folder}
blob=${2:-10000}; queue=${3:-10001}; table=${4:-10002}
mkdir -p "$data"
exec tools/azurite/node_modules/.bin/azurite \
  --silent --location "$data" --disableTelemetry --skipApiVersionCheck \
  --blobHost 127.0.0.1 --blobPort "$blob" \
  --queueHost 127.0.0.1 --queuePort "$queue" \
  --tableHost 127.0.0.1 --tablePort "$table"
