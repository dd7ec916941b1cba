#!/usr/bin/env bash
# Cold start of the published handler: process start → first 200 from /api/health, N runs (default 7),
# min/median/max in ms. Storage is not needed for /api/health (set-up runs in the background), so the
# handler is pointed at an address where nothing listens. Run scripts/publish.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/storage-env.sh
handler=artifacts/functionapp/handler/GivingDay.Functions
[ -x "$handler" ] || { echo "run scripts/publish.sh first" >&2; exit 1; }
runs=${1:-7}
python3 - "$handler" "$runs" <<'PY'
import os, socket, statistics, subprocess, sys, time, urllib.request
handler, runs = sys.argv[1], int(sys.argv[2])
env = dict(os.environ, AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;", Logging__LogLevel__Default="None")
times = []
for _ in range(runs):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    url = f"http://127.0.0.1:{port}/api/health"
    start = time.perf_counter()
    p = subprocess.Popen([handler, "--urls", f"http://127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200: break
        except Exception:
            time.sleep(0.002)
    times.append((time.perf_counter() - start) * 1000)
    p.terminate(); p.wait()
print(f"cold start (process start -> first 200 from /api/health), {runs} runs: "
      f"min {min(times):.0f} ms, median {statistics.median(times):.0f} ms, max {max(times):.0f} ms")
PY
