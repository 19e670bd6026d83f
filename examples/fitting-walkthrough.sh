#!/usr/bin/env bash
# A whole fitting with curl, as the README shows it (tests/test_walkthrough.py runs this script
# against a live server and checks that the README shows exactly these commands).
# Needs curl and python3. Run it against a server with:
#   SHOEFIT_URL=http://127.0.0.1:8000 bash examples/fitting-walkthrough.sh
# Everything below the next line is what a fitter pastes into a terminal.
set -euo pipefail
BASE=${SHOEFIT_URL:-http://127.0.0.1:8000}
JSON='Content-Type: application/json'
header() { tr -d '\r' | sed -n "s/^$1: //Ip"; }
show() { python3 -c "$1" <<< "$2"; }
PICKS='import json, sys
body = json.load(sys.stdin)
print("  triage:", body["triage"]["state"])
for w in body["warnings"]:
    print("  !", w["level"], w["code"])
for p in body["recommendations"]:
    t = p.get("tried")
    tried = "  tried: comfort %d, %s" % (t["comfort"], t["decision"]) if t else ""
    print("  %d. %s %.1f (%+.1f)%s" % (p["rank"], p["id"], p["score"], p.get("feedback_points", 0), tried))
feedback = body.get("feedback") or {}
for change in feedback.get("changes", []):
    print("  changed:", change["text"])
for aside in feedback.get("set_aside", []):
    print("  set aside:", aside["text"])'

# 1. Open a fitting with the customer's answers; keep its address and its ETag.
OPENED=$(curl -sS --fail-with-body -i -H "$JSON" \
  -d '{"arch_type": "flat", "pronation": "overpronation", "symptoms": ["forefoot_pain"], "limit": 5}' \
  "$BASE/v1/fittings")
FITTING=$BASE$(header Location <<< "$OPENED")
ETAG=$(header ETag <<< "$OPENED")
echo "fitting $FITTING, ETag $ETAG"

# 2. Refine answers (a JSON merge patch). If-Match: nobody changed it meanwhile (else 412).
UPDATED=$(curl -sS --fail-with-body -i -X PATCH -H 'Content-Type: application/merge-patch+json' \
  -H "If-Match: $ETAG" -d '{"pain": {"days": 10, "severity": 4}, "width": "wide"}' "$FITTING")
ETAG=$(header ETag <<< "$UPDATED")
echo "answers updated, ETag $ETAG"

# 3. The shortlist: red flags first, then the picks.
SHORTLIST=$(curl -sS --fail-with-body "$FITTING/recommendations")
show "$PICKS" "$SHORTLIST"

# 4. Try on the first two and record how each felt.
read -r FIRST SECOND < <(show 'import json, sys
print(*[p["id"] for p in json.load(sys.stdin)["recommendations"][:2]])' "$SHORTLIST")
curl -sS --fail-with-body -H "$JSON" \
  -d "{\"shoe_id\": \"$FIRST\", \"comfort\": 2, \"fit_notes\": [\"heel_slippage\"], \"decision\": \"returned\"}" \
  "$FITTING/tryons"
echo
curl -sS --fail-with-body -H "$JSON" -d "{\"shoe_id\": \"$SECOND\", \"comfort\": 5, \"decision\": \"kept\"}" \
  "$FITTING/tryons"
echo

# 5. The shortlist again, re-ranked by the try-ons, with what the feedback changed.
show "$PICKS" "$(curl -sS --fail-with-body "$FITTING/recommendations")"

# 6. "I loved that one: what else is like it?"
show 'import json, sys
for shoe in json.load(sys.stdin)["items"]:
    print("  like it:", shoe["id"], round(shoe["similarity"], 2))' \
  "$(curl -sS --fail-with-body "$BASE/v1/shoes/$SECOND/similar?limit=3")"

# 7. The customer leaves: delete the fitting (or let `shoefit fittings purge` do it later).
curl -sS --fail-with-body -X DELETE -H "If-Match: $ETAG" "$FITTING"
echo "fitting deleted"
