#!/usr/bin/env bash
# Produces the deployable function app in artifacts/functionapp: host.json, one folder per function with
# its function.json (from the one declaration of each function), and the handler as a self-contained
# linux-x64 ReadyToRun executable in handler/; plus artifacts/functionapp.zip for zip deploy.
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/functionapp
rm -rf "$out" artifacts/functionapp.zip
echo "==> publishing the handler (self-contained linux-x64, ReadyToRun)"
dotnet publish src/Functions -c Release -r linux-x64 --self-contained true \
  -p:PublishReadyToRun=true -p:TieredPGO=true -p:UseSystemResourceKeys=true \
  -o "$out/handler" --nologo -v quiet
echo "==> writing host.json and the function folders"
"$out/handler/GivingDay.Functions" --emit-function-app "$out"
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
echo "==> $(du -sh "$out/handler" | cut -f1) handler, $(du -sh artifacts/functionapp.zip | cut -f1) zip; functions: $(find "$out" -name function.json | wc -l)"
