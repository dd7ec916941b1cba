#!/usr/bin/env bash
# Produces the deployable function app: `dotnet publish` of src/Functions (the isolated worker, ReadyToRun for
# linux-x64, framework-dependent: Flex Consumption provides .NET 10) into artifacts/functionapp, which holds
# host.json, functions.metadata, worker.config.json and .azurefunctions/ (the Functions host's extensions);
# plus artifacts/functionapp.zip for a zip deploy. azd runs it as its prepackage hook.
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/functionapp
rm -rf "$out" artifacts/functionapp.zip
echo "==> publishing the function app (isolated worker, linux-x64, ReadyToRun)"
dotnet publish src/Functions -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -o "$out" --nologo -v quiet
echo "==> zipping"
python3 - "$out" artifacts/functionapp.zip <<'PY'
import os, sys, zipfile
root, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
    for folder, _, files in os.walk(root):
        for f in files:
            path = os.path.join(folder, f)
            info = zipfile.ZipInfo.from_file(path, os.path.relpath(path, root))
            with open(path, "rb") as data:
                z.writestr(info, data.read(), zipfile.ZIP_DEFLATED)
PY
functions=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$out/functions.metadata")
echo "==> $(du -sh "$out" | cut -f1) app, $(du -sh artifacts/functionapp.zip | cut -f1) zip; functions in functions.metadata: $functions"
