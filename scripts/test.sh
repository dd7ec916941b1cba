#!/usr/bin/env bash
# The whole test suite: installs the tools, builds, starts its own Azurite on free ports
# with a fresh data folder, runs every test project, stops Azurite, and prints one line
# "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/storage-env.sh

work=$(mktemp -d)

# The tools (npm's Azurite: tens of thousands of small files) install while the solution builds: one waits on the
# disk, the other on the CPU.
scripts/install-tools.sh --browser >"$work/install.log" 2>&1 &
install_pid=$!
echo "==> building (installing the tools beside it)"
dotnet build GivingDay.slnx -c Release -warnaserror --nologo -v quiet
if ! wait $install_pid; then cat "$work/install.log"; echo "installing the tools failed" >&2; exit 1; fi
cat "$work/install.log"

read -r blob queue table <<<"$(free_ports 3)"
echo "==> starting Azurite on 127.0.0.1:$blob/$queue/$table (data in $work/azurite)"
scripts/azurite.sh "$work/azurite" "$blob" "$queue" "$table" >"$work/azurite.log" 2>&1 &
azurite_pid=$!
trap 'kill $azurite_pid 2>/dev/null || true; wait $azurite_pid 2>/dev/null || true' EXIT
wait_for_port 127.0.0.1 "$blob" 60; wait_for_port 127.0.0.1 "$queue" 60; wait_for_port 127.0.0.1 "$table" 60
export AzureWebJobsStorage; AzureWebJobsStorage=$(azurite_connection "$blob" "$queue" "$table")

run_tests() { # project: its console log to $work/NAME.log, its exit code to $work/NAME.rc
  local name; name=$(basename "$1" .csproj)
  local rc=0
  dotnet test "$1" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$work/$name.trx" --logger "console;verbosity=normal" >"$work/$name.log" 2>&1 || rc=$?
  echo "$rc" >"$work/$name.rc"
}

# Two lanes: the API and pipeline tests (GivingDay.Tests) keep one busy, and the other projects, whose tests mostly
# wait (for browsers, timers, a second host), run one after another in the other. Each project's log is printed
# whole when it ends.
status=0
lane=()
for project in tests/*/*.csproj; do
  [ "$(basename "$project")" = GivingDay.Tests.csproj ] && continue
  lane+=("$project")
done
echo "==> GivingDay.Tests beside ${lane[*]}"
run_tests tests/GivingDay.Tests/GivingDay.Tests.csproj &
main_lane=$!
for project in "${lane[@]}"; do
  run_tests "$project"
  name=$(basename "$project" .csproj); echo "==> $name"; cat "$work/$name.log"
done
wait $main_lane || true
echo "==> GivingDay.Tests"; cat "$work/GivingDay.Tests.log"
for rc in "$work"/*.rc; do [ "$(cat "$rc")" = 0 ] || status=1; done

python3 - "$work"/*.trx <<'PY'
import html, re, sys
passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8-sig").read()
    # Each failed test with the first line of its message, so the end of the log says what failed.
    for m in re.finditer(r'<UnitTestResult [^>]*?testName="([^"]*)"[^>]*?outcome="Failed".*?</UnitTestResult>', text, re.S):
        message = re.search(r"<Message>(.*?)</Message>", m.group(0), re.S)
        first = html.unescape(message.group(1)).strip().splitlines()[0] if message else ""
        failures.append(f"FAILED {html.unescape(m.group(1))}: {first[:300]}")
    m = re.search(r"<Counters [^>]*", text)
    if not m: continue
    c = dict(re.findall(r'(\w+)="(\d+)"', m.group(0)))
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    skipped += int(c.get("notExecuted", 0))
if failures: print("\n".join(failures))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
