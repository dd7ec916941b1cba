#!/usr/bin/env bash
# Start-up of the standalone host beside an empty ASP.NET Core app published the same way (self-contained linux-x64,
# ReadyToRun): process start -> first 200 from /api/health, N runs each (default 9), taken in turns; prints both
# medians and their ratio. Storage is not needed for /api/health (set-up and the triggers start in the background),
# so the host is pointed at an address where nothing listens.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}
out=artifacts/coldstart
# FunctionsWorkerExtensions=false: the standalone host uses the function app's classes, not the Functions host's extensions.
publish() { # project folder, output folder
  echo "==> publishing $1 (self-contained linux-x64, ReadyToRun)"
  dotnet publish "$1" -c Release -r linux-x64 --self-contained true -p:PublishReadyToRun=true -p:TieredPGO=true \
    -p:UseSystemResourceKeys=true -p:FunctionsWorkerExtensions=false -o "$out/$2" --nologo -v quiet
}
publish src/StandaloneHost standalone
publish tools/EmptyWebApp empty
python3 - "$out/standalone/GivingDay.StandaloneHost" "$out/empty/EmptyWebApp" "$runs" <<'PY'
import os, socket, statistics, subprocess, sys, time, urllib.request
standalone, empty, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
dead = "http://127.0.0.1:9/devstoreaccount1"
env = dict(os.environ, Logging__LogLevel__Default="None", Organiser__ApiKey="coldstart", Hashing__DonorKey="coldstart",
           AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
                               f"BlobEndpoint={dead};QueueEndpoint={dead};TableEndpoint={dead};")
def once(binary):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    url = f"http://127.0.0.1:{port}/api/health"
    start = time.perf_counter()
    p = subprocess.Popen([binary, "--urls", f"http://127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200: return (time.perf_counter() - start) * 1000
            except Exception:
                if p.poll() is not None: sys.exit(f"{binary} exited with {p.returncode} before answering")
                time.sleep(0.002)
    finally:
        p.terminate(); p.wait()
times = {standalone: [], empty: []}
once(standalone); once(empty)  # warm the file cache for both
for _ in range(runs):
    for b in times: times[b].append(once(b))
m_host, m_empty = statistics.median(times[standalone]), statistics.median(times[empty])
print(f"cold start, process start -> first 200 from /api/health, {runs} runs each, in turns:")
print(f"  standalone host  median {m_host:.0f} ms (min {min(times[standalone]):.0f}, max {max(times[standalone]):.0f})")
print(f"  empty ASP.NET    median {m_empty:.0f} ms (min {min(times[empty]):.0f}, max {max(times[empty]):.0f})")
print(f"  ratio            {m_host / m_empty:.2f}x")
PY
