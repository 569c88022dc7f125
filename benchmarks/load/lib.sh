# Shared by the load scripts (sourced): a server on an ephemeral loopback port with the rate limit
# off, and an institution with one unit and a token to post as it.
#   start_server BIN WORK                      sets server_pid, B (base URL), ADMIN (admin token)
#   institution_with_unit ID NAME TITLE FIELD  unit ID:C1 (3 credits, level 6); sets INST
#   new_learners N                             N learners made by INST; sets learners (a,b,...)
#   learner_with_60_records UNIT               sets reader, LT (its token)
#   auditor_token                              sets AUD
j() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

start_server() {
  "$1" serve --data "$2/data" --listen 127.0.0.1:0 --port-file "$2/port" --log-level warn \
    --rate-limit-rps 0 2> "$2/server.log" &
  server_pid=$!
  for _ in $(seq 1 100); do [ -s "$2/port" ] && break; sleep 0.1; done
  B="http://127.0.0.1:$(cat "$2/port")"
  ADMIN=$(cat "$2/data/admin.token")
}

institution_with_unit() {
  curl -sf -X PUT "$B/v1/institutions/$1" -H "Authorization: Bearer $ADMIN" \
    -d "{\"name\":\"$2\",\"kind\":\"university\"}" >/dev/null
  curl -sf -X PUT "$B/v1/units/$1:C1" -H "Authorization: Bearer $ADMIN" \
    -d "{\"title\":\"$3\",\"kind\":\"degree_course\",\"credits\":3,\"level\":6,\"field\":\"$4\"}" >/dev/null
  INST=$(curl -sf -X POST "$B/v1/tokens" -H "Authorization: Bearer $ADMIN" \
    -d "{\"role\":\"institution:$1\"}" | j '["token"]')
}

new_learners() {
  learners=""
  local id
  for _ in $(seq 1 "$1"); do
    id=$(curl -sf -X POST "$B/v1/learners" -H "Authorization: Bearer $INST" -d '{}' | j '["id"]')
    learners="$learners${learners:+,}$id"
  done
}

# learner_with_60_records UNIT: a new learner of INST with 60 records of UNIT (completed over
# 10 years) and a token of its own; sets reader and LT.
learner_with_60_records() {
  reader=$(curl -sf -X POST "$B/v1/learners" -H "Authorization: Bearer $INST" -d '{}' | j '["id"]')
  local body i
  body='{"records":['
  for i in $(seq 1 60); do
    body="$body{\"learner\":\"$reader\",\"unit\":\"$1\",\"external_ref\":\"pb-$i\",\"grade\":{\"scale\":\"percent\",\"value\":\"80\"},\"completed_on\":\"20$((15 + i % 10))-03-01\"}"
    [ "$i" -lt 60 ] && body="$body,"
  done
  curl -sf -X POST "$B/v1/records" -H "Authorization: Bearer $INST" -d "$body]}" >/dev/null
  LT=$(curl -sf -X POST "$B/v1/tokens" -H "Authorization: Bearer $ADMIN" -d "{\"role\":\"learner:$reader\"}" | j '["token"]')
}

auditor_token() {
  AUD=$(curl -sf -X POST "$B/v1/tokens" -H "Authorization: Bearer $ADMIN" -d '{"role":"auditor"}' | j '["token"]')
}
