#!/usr/bin/env bash
# tests/migrate.sh: asynctasks migrate on real databases: a fresh database
# gets the whole data model once, a second run changes nothing, a database
# without the schema or with a newer one is refused by every command, and
# two migrate runs started together leave one complete schema.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

unset ASYNCTASKS_CONFIG

C=$(fresh_db migrate_sh) || bail "fresh_db migrate_sh: $C"
DB=asynctasks_test_migrate_sh
C2=$(fresh_db migrate_sh_race) || bail "fresh_db migrate_sh_race: $C2"
DB2=asynctasks_test_migrate_sh_race
WORK=$(mktemp -d "${TMPDIR:-/tmp}/at-migrate.XXXXXX") || bail "mktemp"
trap 'rm -rf -- "$WORK" "$(dirname -- "$C")" "$(dirname -- "$C2")"' EXIT

TABLES="businesses users memberships platform_admins task_types tasks pause_rules audit_log
sessions executors schema_version lanes task_counts business_limits lane_work member_grams
login_throttle platform platform_pause_rules idempotency_keys bulk_jobs
task_rollups task_type_errors"

# The schema version this build carries, from --version: "... (schema N)".
run --version
is "$RC" 0 "--version exits 0"
LATEST=$(printf '%s\n' "$OUT" | sed -n 's/.*(schema \([0-9][0-9]*\))$/\1/p')
like "$LATEST" '^[1-9][0-9]*$' "--version names this build's schema version ($OUT)"
[ -n "$LATEST" ] || bail "cannot tell the schema version from '$OUT'"
# How many migrations it carries: their numbers rise to LATEST, and may
# leave a gap where another line of work's migration is still to come.
NMIG=$(find "$top_srcdir/schema" -maxdepth 1 -name '[0-9][0-9][0-9]-*.sql' | wc -l)

# Every table's definition, and the recorded versions: what "changes
# nothing" is checked against.
snapshot() { # snapshot DB
    local t
    sql -e "SELECT table_name FROM information_schema.tables WHERE table_schema = '$1'
            ORDER BY table_name"
    for t in $(sql -e "SELECT table_name FROM information_schema.tables
                       WHERE table_schema = '$1' ORDER BY table_name"); do
        sql "$1" -e "SHOW CREATE TABLE \`$t\`"
    done
    if [ "$(sql -e "SELECT COUNT(*) FROM information_schema.tables
                    WHERE table_schema = '$1' AND table_name = 'schema_version'")" = 1 ]; then
        sql "$1" -e "SELECT version, name, applied_at FROM schema_version ORDER BY version"
    fi
}

# first_line TEXT; states TEXT: how many migrations --status lists in
# each state ("12 applied").
first_line() { printf '%s\n' "$1" | head -n 1; }
states() {
    printf '%s\n' "$1" | sed -n 's/^[0-9][0-9][0-9] [^ ]* *[0-9: -]* \(applied\|pending\)/\1/p' |
        sort | uniq -c | awk '{ $1 = $1; print }'
}

qre_v() { printf '%s' "$1" | sed 's/\./\\./g'; }
table_count() { sql -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$1'"; }

# ---- a database without the schema ----
run --config "$C" business list
is "$RC" 1 "no schema: business list exits 1"
like "$OUT" "schema is at version 0, this build needs $LATEST: run 'asynctasks migrate'" \
    "no schema: business list says to run asynctasks migrate"
run --config "$C" user list
is "$RC" 1 "no schema: user list exits 1"
like "$OUT" "run 'asynctasks migrate'" "no schema: user list says to run asynctasks migrate"
run --config "$C" tasks list --business acme
is "$RC" 1 "no schema: tasks list exits 1"
like "$OUT" "run 'asynctasks migrate'" "no schema: tasks list says to run asynctasks migrate"
run --config "$C" migrate --status
is "$RC" 1 "no schema: migrate --status exits 1"
is "$(first_line "$OUT")" "database schema version 0, this build $LATEST (run 'asynctasks migrate')" \
    "no schema: migrate --status says version 0 and to migrate"
is "$(states "$OUT")" "$NMIG pending" "no schema: migrate --status lists every migration as pending"
is "$(table_count "$DB")" 0 "refusing commands and --status create no table"

# ---- the first migrate ----
run --config "$C" migrate
is "$RC" 0 "migrate on a fresh database exits 0"
like "$OUT" "^applied $NMIG migrations?; schema is at version $LATEST$" \
    "migrate says how many migrations it applied"
is "$(sql "$DB" -e "SELECT COUNT(*), COUNT(DISTINCT version), MIN(version), MAX(version)
                     FROM schema_version")" "$NMIG	$NMIG	1	$LATEST" \
    "schema_version holds versions 1 to $LATEST once each"

before=$(snapshot "$DB")
run --config "$C" migrate
is "$RC" 0 "migrate again exits 0"
is "$OUT" "schema is up to date at version $LATEST" "migrate again says up to date"
after=$(snapshot "$DB")
is "$after" "$before" "migrate again changes no table and no version row"

run --config "$C" migrate --status
is "$RC" 0 "migrate --status exits 0 when up to date"
is "$(first_line "$OUT")" "database schema version $LATEST, this build $LATEST (up to date)" \
    "migrate --status says up to date"
is "$(states "$OUT")" "$NMIG applied" "migrate --status lists every migration as applied"
like "$OUT" $'\n001 initial +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +applied\n' \
    "migrate --status names each migration and when it was applied"

run --config "$C" business list
is "$RC" 0 "business list works on a migrated database"
like "$OUT" '^ID +SLUG +MAX RUNNING +NAME$' "business list prints its header"

# ---- the data model ----
for t in $TABLES; do
    is "$(sql -e "SELECT CONCAT(engine, ' ', table_collation) FROM information_schema.tables
                  WHERE table_schema = '$DB' AND table_name = '$t'")" \
        "InnoDB utf8mb4_unicode_520_ci" "table $t exists, is InnoDB and utf8mb4"
done
# Text columns are utf8mb4 too, but for those that hold ASCII by design.
is "$(sql -e "SELECT CONCAT(table_name, '.', column_name, ' ', character_set_name)
              FROM information_schema.columns
              WHERE table_schema = '$DB' AND character_set_name IS NOT NULL
                AND character_set_name <> 'utf8mb4'
              ORDER BY table_name, column_name")" \
    "idempotency_keys.idem_key ascii
schema_version.checksum ascii
sessions.csrf_token ascii
users.password_hash ascii" "every text column is utf8mb4 except the ASCII tokens, keys and checksums"

# The indexes of tasks: every one leads with business_id but the lease
# holder's index (renewal and recovery cross businesses), retention's
# (schema 015: a prune takes the oldest finished tasks of every business),
# the primary key, and the ones InnoDB adds itself for a foreign key that
# no listed index covers.
fk_cols=$(sql -e "SELECT CONCAT(constraint_name, ' ', column_name)
                  FROM information_schema.key_column_usage
                  WHERE table_schema = '$DB' AND table_name = 'tasks'
                    AND referenced_table_name IS NOT NULL")
leads=$(sql -e "SELECT index_name, column_name, (SELECT COUNT(*) FROM information_schema.statistics s2
                  WHERE s2.table_schema = s.table_schema AND s2.table_name = s.table_name
                    AND s2.index_name = s.index_name)
                FROM information_schema.statistics s
                WHERE table_schema = '$DB' AND table_name = 'tasks' AND seq_in_index = 1
                ORDER BY index_name")
bad='' fkonly='' nbiz=0
while IFS='	' read -r idx col ncols; do
    [ -n "$idx" ] || continue
    if [ "$col" = business_id ]; then
        nbiz=$((nbiz + 1))
    elif [ "$idx" = PRIMARY ] || [ "$idx" = tasks_lease_owner ] || [ "$idx" = tasks_finished_at ]; then
        :
    elif [ "$ncols" = 1 ] && printf '%s\n' "$fk_cols" | grep -qx -- "$idx $col"; then
        fkonly="$fkonly $idx"
    else
        bad="$bad $idx($col)"
    fi
done <<EOF
$leads
EOF
# the lease holder's index (schema 004) and retention's (schema 015) span businesses
is "$bad" "" "every index of tasks leads with business_id except the lease holder's and retention's"
[ -z "$fkonly" ] || diag "indexes InnoDB added for foreign keys of tasks:$fkonly"
for idx in tasks_list_created tasks_list_user tasks_list_type tasks_by_user tasks_by_type \
    tasks_all_created tasks_all_by_user tasks_all_by_type; do
    is "$(printf '%s\n' "$leads" | awk -F'\t' -v i="$idx" '$1 == i { print $2 }')" business_id \
        "index $idx exists and leads with business_id"
done
ok "$([ "$nbiz" -ge 5 ]; echo $?)" "tasks has at least 5 indexes leading with business_id ($nbiz)"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.statistics
              WHERE table_schema = '$DB' AND table_name = 'tasks' AND index_name = 'tasks_claim'")" \
    0 "the per-business claim index of 001 is gone"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.statistics
              WHERE table_schema = '$DB' AND table_name = 'tasks'
                AND index_name IN ('tasks_ready', 'tasks_lease')")" \
    0 "the cross-business ready and lease indexes of 003 are gone (004 claims through lanes)"
is "$(sql -e "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index)
              FROM information_schema.statistics
              WHERE table_schema = '$DB' AND table_name = 'tasks' AND index_name = 'tasks_lane'")" \
    "business_id,user_id,task_type_id,priority,finished,run_at,id" \
    "a lane's tasks are read in claim order: (business, user, type, priority, finished, run_at, id)"
is "$(sql -e "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index)
              FROM information_schema.statistics
              WHERE table_schema = '$DB' AND table_name = 'tasks' AND index_name = 'tasks_lease_owner'")" \
    "lease_owner" "the lease index is (lease_owner)"
is "$(sql -e "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index)
              FROM information_schema.statistics
              WHERE table_schema = '$DB' AND table_name = 'lanes' AND index_name = 'lanes_ready'")" \
    "ready,business_id,priority,head_run_at,head_id,task_type_id" \
    "the claim reads ready lanes by business, then priority and head"
index_cols() { # index_cols TABLE INDEX
    sql -e "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index)
            FROM information_schema.statistics
            WHERE table_schema = '$DB' AND table_name = '$1' AND index_name = '$2'"
}
is "$(index_cols login_throttle PRIMARY)" "addr,email" \
    "failed logins are counted per (address, email); email '' is the address's own count"
is "$(index_cols login_throttle login_throttle_window)" "window_start" \
    "the expired counts are found by the start of their window"
is "$(index_cols login_throttle login_throttle_email)" "email" \
    "and an email's counts at every address by the email"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.tables
              WHERE table_schema = '$DB' AND table_name = 'login_failures'")" \
    0 "the count per email alone of 002 is gone"
is "$(sql -e "SELECT GROUP_CONCAT(CONCAT(column_name, ' ', column_type, ' ', is_nullable)
                                  ORDER BY column_name SEPARATOR ', ')
              FROM information_schema.columns
              WHERE table_schema = '$DB' AND table_name = 'supervisors'
                AND column_name IN ('neighbourhood', 'pid_start')")" \
    "neighbourhood varchar(100) YES, pid_start bigint(20) unsigned NO" \
    "a supervisor's row holds its neighbourhood (NULL: unknown) and its pid's start (schema 010)"
is "$(sql -e "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index)
              FROM information_schema.statistics
              WHERE table_schema = '$DB' AND table_name = 'supervisors'
                AND index_name = 'supervisors_neighbourhood'")" \
    "neighbourhood" "supervisors are found by neighbourhood through an index"

# ---- checksums ----
is "$(sql "$DB" -e "SELECT COUNT(*) FROM schema_version WHERE checksum IS NULL")" 0 \
    "every applied migration has a checksum"
for f in "$top_srcdir"/schema/001-initial.sql "$top_srcdir"/schema/0*-user-disable.sql; do
    base=${f##*/} v=$((10#${base%%-*}))
    is "$(sql "$DB" -e "SELECT checksum FROM schema_version WHERE version = $v")" \
        "$(sha256sum <"$f" | cut -d' ' -f1)" "the checksum of $base is the SHA-256 of its file"
done
# An edit after the migration was applied: the build's text is what it
# is, so the recorded checksum is made to differ instead.
sum3=$(sql "$DB" -e "SELECT checksum FROM schema_version WHERE version = 3")
sql "$DB" -e "UPDATE schema_version SET checksum = SHA2('an older text', 256) WHERE version = 3" ||
    bail "cannot change a recorded checksum"
run --config "$C" migrate --status
is "$RC" 1 "migrate --status exits 1 when a migration was edited after it was applied"
like "$OUT" $'\n003 execution +[0-9: -]+ +applied, edited after it was applied\n' \
    "migrate --status flags the edited migration"
is "$(states "$OUT")" "$((NMIG - 1)) applied
1 applied, edited after it was applied" "migrate --status flags that one alone"
like "$OUT" $'\n1 migration was edited after it was applied: ' "migrate --status says so at the end"
run --config "$C" migrate
is "$OUT" "schema is up to date at version $LATEST" "migrate leaves an edited migration's checksum"
is "$(sql "$DB" -e "SELECT checksum FROM schema_version WHERE version = 3")" \
    "$(sql -e "SELECT SHA2('an older text', 256)")" "(the recorded checksum stays as it was)"
sql "$DB" -e "UPDATE schema_version SET checksum = '$sum3' WHERE version = 3" ||
    bail "cannot put the checksum back"
run --config "$C" migrate --status
is "$RC" 0 "with the checksum as applied, migrate --status exits 0 again"

# A database migrated before checksums existed: up to the migration
# before the one that adds them (CK), without the column; the migrations
# after it are run again, as every migration may be.
CK=10
C3=$(fresh_db migrate_sh_old) || bail "fresh_db migrate_sh_old: $C3"
DB3=asynctasks_test_migrate_sh_old
"$AT" --config "$C3" migrate >/dev/null || bail "cannot migrate $DB3"
sql "$DB3" -e "ALTER TABLE schema_version DROP COLUMN checksum;
               DELETE FROM schema_version WHERE version >= $CK" || bail "cannot make $DB3 old"
run --config "$C3" migrate --status
is "$RC" 1 "before checksums: migrate --status exits 1 (migrations pending)"
is "$(printf '%s\n' "$OUT" | grep -c 'applied, no checksum yet')" $((CK - 1)) \
    "before checksums: the applied migrations are listed as not checksummed yet"
run --config "$C3" migrate
is "$OUT" "applied $((NMIG - CK + 1)) migrations; schema is at version $LATEST" \
    "before checksums: migrate applies the rest"
is "$(sql "$DB3" -e "SELECT COUNT(*) FROM schema_version WHERE checksum IS NULL")" 0 \
    "before checksums: migrate records a checksum for every migration, old ones too"
run --config "$C3" migrate --status
is "$RC" 0 "before checksums: then migrate --status exits 0"
is "$(states "$OUT")" "$NMIG applied" "before checksums: then every migration is applied and clean"
sql -e "DROP DATABASE \`$DB3\`"
rm -rf -- "$(dirname -- "$C3")"

# ---- the version and the schema ----
# configure.ac records the schema level the version was cut at, NEWS
# names each version's schema: a new migration without a new version (or
# a version without its entry) fails here.
run --version
VERSION=$(printf '%s\n' "$OUT" | sed -n 's/^asynctasks \([^ ]*\) (schema [0-9]*)$/\1/p')
like "$VERSION" '^[0-9]+\.[0-9]+\.[0-9]+$' "--version names the version ($VERSION)"
newest=$(cd "$top_srcdir/schema" && ls [0-9][0-9][0-9]-*.sql | sort | tail -n 1)
is "$((10#${newest%%-*}))" "$LATEST" "the newest file of schema/ ($newest) is the build's schema"
level=$(sed -n 's/^#define AT_SCHEMA_LEVEL \([0-9]*\)$/\1/p' "$top_builddir/config.h")
is "$level" "$LATEST" \
    "configure.ac's schema level is the newest migration (a new one needs a new version)"
is "$(grep -m 1 '^\* Version ' "$top_srcdir/NEWS")" "* Version $VERSION (schema $LATEST)" \
    "NEWS begins with this version and its schema"
news=$(sed -n 's/^\* Version \([0-9.]*\) (schema \([0-9]*\))$/\1 \2/p' "$top_srcdir/NEWS")
is "$(printf '%s\n' "$news" | sort -k1,1Vr -k2,2nr)" "$news" \
    "NEWS lists versions newest first"
is "$(printf '%s\n' "$news" | cut -d' ' -f1 | sort | uniq -d)" "" "NEWS names each version once"
is "$(printf '%s\n' "$news" | cut -d' ' -f2 | sort -nr)" "$(printf '%s\n' "$news" | cut -d' ' -f2)" \
    "NEWS: a version's schema is never older than the schema of a version below it"
# the pages written from templates (in the build) and the others
for man in $(for m in "$top_srcdir"/docs/*.[1-8] "$top_builddir"/docs/*.[1-8]; do
    [ -f "$m" ] && realpath "$m"
done | sort -u); do
    like "$(head -n 1 "$man")" "\"asynctasks $(qre_v "$VERSION")\"" \
        "${man##*/} names version $VERSION"
done

# ---- a database newer than this build ----
sql "$DB" -e "INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', NOW())" ||
    bail "cannot insert the future version row"
before=$(snapshot "$DB")
run --config "$C" migrate
is "$RC" 1 "migrate refuses a newer database: exit 1"
like "$OUT" "schema is at version 999, newer than this build's $LATEST: refusing to touch it; upgrade asynctasks" \
    "migrate says the database is newer and to upgrade"
after=$(snapshot "$DB")
is "$after" "$before" "the refused migrate leaves tables and versions untouched"
is "$(sql "$DB" -e "SELECT version, name FROM schema_version WHERE version > $LATEST")" \
    "999	future" "the future version row is still there"
run --config "$C" migrate --status
is "$RC" 1 "migrate --status exits 1 on a newer database"
is "$(first_line "$OUT")" \
    "database schema version 999, this build $LATEST (database is newer: upgrade asynctasks)" \
    "migrate --status says the database is newer"
like "$OUT" $'\n999 future +[0-9: -]+ +applied, unknown to this build$' \
    "migrate --status names the migration this build does not know"
run --config "$C" business list
is "$RC" 1 "business list refuses a newer database: exit 1"
like "$OUT" "newer than this build's $LATEST: upgrade asynctasks" \
    "business list says the database is newer and to upgrade"
run --config "$C" business add acme Acme
is "$RC" 1 "business add refuses a newer database: exit 1"
like "$OUT" "upgrade asynctasks" "business add says to upgrade"
is "$(sql "$DB" -e "SELECT COUNT(*) FROM businesses")" 0 "business add on a newer database wrote nothing"

# ---- migrate runs started together ----
N=3
for i in $(seq 1 $N); do
    ("$AT" --config "$C2" migrate >"$WORK/race.$i.out" 2>&1; echo $? >"$WORK/race.$i.rc") &
done
wait
applied=0 uptodate=0
for i in $(seq 1 $N); do
    is "$(cat "$WORK/race.$i.rc")" 0 "concurrent migrate $i exits 0"
    out=$(cat "$WORK/race.$i.out")
    like "$out" "^(applied $NMIG migrations?|schema is up to date at version $LATEST)" \
        "concurrent migrate $i says applied or up to date"
    case $out in
    applied*) applied=$((applied + 1)) ;;
    "schema is up to date"*) uptodate=$((uptodate + 1)) ;;
    esac
done
is "$applied/$uptodate" "1/$((N - 1))" "exactly one of the concurrent runs applied the migrations"
is "$(sql "$DB2" -e "SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_version")" \
    "$NMIG	$NMIG	$LATEST" "after the race schema_version holds each version once"
for t in $TABLES; do
    is "$(sql -e "SELECT COUNT(*) FROM information_schema.tables
                  WHERE table_schema = '$DB2' AND table_name = '$t'")" 1 \
        "after the race table $t exists"
done
is "$(snapshot "$DB2" | grep -c '^tasks	CREATE TABLE')" 1 "after the race tasks is defined once"
run --config "$C2" migrate --status
is "$RC" 0 "after the race migrate --status exits 0"
like "$OUT" "\(up to date\)$" "after the race migrate --status says up to date"
is "$(snapshot "$DB2" | sed -n '/^tasks	CREATE TABLE/p' | sed 's/AUTO_INCREMENT=[0-9]* //')" \
    "$(snapshot "$DB" | sed -n '/^tasks	CREATE TABLE/p' | sed 's/AUTO_INCREMENT=[0-9]* //')" \
    "the raced schema equals the one migrated alone"

done_testing
