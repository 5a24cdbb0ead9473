#!/usr/bin/env bash
# The relay gate's two PostgreSQL statements, with their rows as JSON text (as before) and as
# array literals (as now, storage::rows), run by pgbench in alternating turns on a scratch
# database; prints each turn's rate and the ratio array / JSON of the same turn.
#
#   cargo build --release && benches/gate_sql/run.sh
#
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), TOLLGATE (the binary that
# migrates the scratch database, ./target/release/tollgate), ROWS (rows a batch, 100),
# SECONDS_EACH (5), TURNS (3).
set -euo pipefail
cd "$(dirname "$0")"
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGOPTIONS="-c client_min_messages=warning"
TOLLGATE=${TOLLGATE:-../../target/release/tollgate}
ROWS=${ROWS:-100} SECONDS_EACH=${SECONDS_EACH:-5} TURNS=${TURNS:-3}
DB=tollgate_gate_sql
USERS=$((ROWS * 10 + 50))

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"' EXIT
DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB" RUST_LOG=warn "$TOLLGATE" migrate >/dev/null
psql -qX -d $DB <<SQL
INSERT INTO users (id, first_name, username, language_code, status, created_at, last_seen_at, credits)
SELECT 1000000 + g, 'User' || g, 'u' || g, 'en', 'active', now(), now(), 1000
FROM generate_series(1, $USERS) g;
INSERT INTO support_topics (user_id, chat_id, thread_id, created_at)
SELECT 1000000 + g, -100123, g, now() FROM generate_series(1, $USERS) g;
ANALYZE;
SQL

# One batch: users 1000001.. with one message each, a pair each from the batch before.
ids_json= ids_array= pairs= moves= entries=
p_uid= p_umid= p_chat= p_amid= p_dir= l_amount= l_bal= l_reason= l_ref= l_ikey= l_actor=
for ((i = 0; i < ROWS; i++)); do
  u=$((1000001 + i)) sep=${ids_array:+,}
  ids_json+="${ids_json:+,}{\"uid\":$u}"
  pairs+="${pairs:+,}{\"n\":$i,\"uid\":$u,\"umid\":7,\"chat\":-100123,\"amid\":$i,\"dir\":\"in\"}"
  moves+="${moves:+,}{\"uid\":$u,\"was\":1000,\"goes\":1000}"
  entries+="${entries:+,}{\"n\":$i,\"uid\":$u,\"amount\":-1,\"bal\":999,\"reason\":\"message\",\"reference\":\"7\",\"ikey\":\"msg:$u:7\",\"actor\":\"user:$u\"}"
  ids_array+="$sep$u" p_umid+="${sep}7" p_chat+="$sep-100123" p_amid+="$sep$i" p_dir+="$sep\"in\""
  l_amount+="$sep-1" l_bal+="${sep}999" l_reason+="$sep\"message\"" l_ref+="$sep\"7\""
  l_ikey+="$sep\"msg:$u:7\"" l_actor+="$sep\"user:$u\""
done
vars=(-D "ids_json=[$ids_json]" -D "ids_array={$ids_array}"
  -D "pairs_json=[$pairs]" -D "moves_json=[$moves]" -D "entries_json=[$entries]"
  -D "p_uid={$ids_array}" -D "p_umid={$p_umid}" -D "p_chat={$p_chat}" -D "p_amid={$p_amid}"
  -D "p_dir={$p_dir}" -D "m_uid={$ids_array}" -D "m_was={$(sed 's/[0-9-]\+/1000/g' <<<"$p_umid")}"
  -D "m_goes={$(sed 's/[0-9-]\+/1000/g' <<<"$p_umid")}" -D "l_uid={$ids_array}"
  -D "l_amount={$l_amount}" -D "l_bal={$l_bal}" -D "l_reason={$l_reason}" -D "l_ref={$l_ref}"
  -D "l_ikey={$l_ikey}" -D "l_actor={$l_actor}")

tps() { pgbench -n -M prepared -c 1 -T "$SECONDS_EACH" "${vars[@]}" -f "$1" "$DB" 2>&1 |
  sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }

echo "gate statements, $ROWS rows a batch, $SECONDS_EACH s a run (batches/s; ratio = array / JSON, same turn)"
for what in read write; do
  for ((t = 1; t <= TURNS; t++)); do
    json=$(tps ${what}_json.sql) array=$(tps ${what}_array.sql)
    printf '%-5s turn %d: JSON %8.1f  array %8.1f  ratio %.2f\n' "$what" "$t" "$json" "$array" \
      "$(awk -v a="$array" -v j="$json" 'BEGIN { print a / j }')"
  done
done
