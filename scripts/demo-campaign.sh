#!/usr/bin/env bash
# Creates (or updates) the demo campaign: Nantong Red Cross's 5·8 Humanitarian Day, with the projects
# from the seed reports and a matching fund. Prints progress on stderr and the campaign id on stdout.
# A closed demo campaign keeps its final figures: then a fresh one is created beside it.
# Usage: scripts/demo-campaign.sh URL ORGANISER_KEY
set -euo pipefail
url=${1:-http://127.0.0.1:7071}; key=${2:-dev-organiser-key}
starts=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ); ends=$(date -u -d '+7 days' +%Y-%m-%dT%H:%M:%SZ)
definition=$(cat <<JSON
{
  "name": "南通市红十字会 5·8 人道公益日",
  "event": "5.8",
  "startsAt": "$starts",
  "endsAt": "$ends",
  "projects": [
    { "id": "zaochan",    "name": "守护早产小天使",   "goal": 20000000 },
    { "id": "weixinyuan", "name": "红十字微心愿",     "goal": 5000000 },
    { "id": "songwanjia", "name": "博爱送万家",       "goal": 10000000 },
    { "id": "nongqing",   "name": "暖暖农情",         "goal": 3000000 },
    { "id": "xiyifang",   "name": "爱心洗衣坊助老",   "goal": 3000000 }
  ],
  "matchingFunds": [
    { "id": "aixin-qiye", "sponsor": "爱心企业配捐", "ratio": 1, "pool": 5000000, "perPledgeCap": 10000, "perDonorCap": 20000 }
  ]
}
JSON
)
answer=$(mktemp)
put() { # campaign id -> HTTP status; the answer's body in $answer
  curl -sS -X PUT "$url/api/organiser/campaigns/$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -o "$answer" -w '%{http_code}' --data "$definition"
}
id=nantong-58-2026
echo "==> creating the demo campaign $id" >&2
status=$(put "$id")
if [ "$status" = 409 ]; then
  id="nantong-58-2026-$(date -u +%m%d%H%M)"
  echo "    $status: nantong-58-2026 is closed and keeps its final figures; creating a fresh demo campaign, $id" >&2
  status=$(put "$id")
fi
case "$status" in
  200|201) echo "    $status" >&2; echo "$id" ;;
  *) echo "    $status: the demo campaign was not created: $(cat "$answer")" >&2; exit 1 ;;
esac
