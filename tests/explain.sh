#!/usr/bin/env bash
# explain.sh: the database's plans for every list query the admin page can
# ask (each sort, direction, status filter and search, first and later
# pages) use an index that leads with business_id, never scan the table and
# never sort more than the rows a search selected. The same for the pages
# of the Pause User and Pause Task Type dialogs (thousands of members,
# hundreds of task types) and of the audit log (200,000 entries): each an
# ordered range of one index, cut at the page; for a prune's batches; and
# for the dashboard's statements, each a range of its business.
. "$top_srcdir/tests/lib.sh"

CONF=$(fresh_db explain)
export ASYNCTASKS_CONFIG=$CONF
run migrate
is "$RC" 0 "migrate"
run demo-data --tasks 60000 --users 2000
is "$RC" 0 "load 60000 demo tasks, 2000 members in each business"
# Many task types, as third-party plugins may register them.
for i in $(seq -w 1 300); do
    "$AT" type add "plugin$i.job" >/dev/null 2>&1 || bail "type add plugin$i.job"
done
# A long audit log: 200,000 entries over two businesses. There is no
# quicker way to a log that long than writing it.
sql -D asynctasks_test_explain -e "
    INSERT INTO audit_log (business_id, created_at, actor, action, target_kind, target_name)
    SELECT IF(seq % 4 = 0, b2.id, b1.id), UTC_TIMESTAMP(6), 'cli:explain', 'pause', 'user', 'x'
    FROM seq_1_to_200000 JOIN businesses b1 ON b1.slug = 'acme'
    JOIN businesses b2 ON b2.slug = 'globex'" || bail "cannot write the audit log"
sql -D asynctasks_test_explain -e "ANALYZE TABLE tasks, users, memberships, task_types, audit_log" >/dev/null

# A cursor for "later page" plans, per sort.
cursor() {
    "$AT" tasks list --business acme --sort "$1" --limit 5 --status "$2" 2>&1 |
        sed -n 's/^next page: --after //p'
}

checked=0
for sort in created user type; do
    for status in pending finished all; do
        after=$(cursor "$sort" "$status")
        for dir in --asc --desc; do
            for search in "" "--user-search bob" "--user-search a" "--user-search Anderson" \
                "--type-search report" "--type-search e" "--user-search an --type-search e"; do
                for page in first later; do
                    extra=()
                    [ "$page" = later ] && extra=(--after "$after")
                    # shellcheck disable=SC2086
                    plan=$("$AT" tasks list --business acme --sort "$sort" $dir --status "$status" \
                        $search "${extra[@]}" --explain 2>&1)
                    what="sort $sort $dir, $status, ${search:-no search}, $page page"
                    if ! printf '%s\n' "$plan" | head -n 1 | grep -q '^select_type'; then
                        ok 1 "$what: plan"
                        diag "$plan"
                        continue
                    fi
                    # select_type table type key rows extra. Tasks are "t";
                    # "all" is the two halves' ranges in one UNION ALL,
                    # streamed: no derived table, no union result to
                    # materialize; in created order, one range of an index
                    # without finished (schema 008).
                    if [ "$status" = all ]; then
                        is "$(printf '%s\n' "$plan" | awk -F'\t' 'NR > 1 && ($1 == "DERIVED" || $1 == "UNION RESULT")' | wc -l)" 0 \
                            "$what: nothing materialized"
                    fi
                    if [ "$status" = all ] && [ "$sort" = created ]; then
                        like "$(printf '%s\n' "$plan" | awk -F'\t' 'NR > 1 && $2 == "t" { printf "%s/%s;", $1, $4 }')" \
                            '^SIMPLE/tasks_all_(created|by_user|by_type);$' "$what: one range of a tasks_all_ index"
                    fi
                    bad=$(printf '%s\n' "$plan" | awk -F'\t' 'NR > 1 && $2 == "t" {
                        if ($1 == "PRIMARY" && $3 == "eq_ref" && $4 == "PRIMARY") next
                        if ($3 == "ALL" || $3 == "index") print "full scan: " $0
                        else if ($4 == "NULL") print "no index: " $0
                        else if ($4 !~ /^tasks_(list|by|all)_/) print "unexpected index: " $0
                        else if ($6 ~ /filesort/ && $4 !~ /^tasks_(all_)?by_(user|type)$/)
                            print "sorts the business: " $0
                        next
                    }
                    NR > 1 && $1 == "PRIMARY" && $2 ~ /^<derived/ {
                        if ($5 + 0 > 402) print "derived table too large: " $0
                        next
                    }
                    # A user search first finds its members: pieces of
                    # their names looked up in member_grams (g0, g1, ...)
                    # by the primary key, then checked by membership (m).
                    NR > 1 && $2 ~ /^g[0-9]+$/ {
                        if ($4 != "PRIMARY" || ($3 != "ref" && $3 != "eq_ref"))
                            print "member search not by its pieces: " $0
                        next
                    }
                    NR > 1 && $2 == "m" {
                        if ($4 != "PRIMARY" || $3 != "eq_ref") print "member check not by key: " $0
                        next
                    }
                    NR > 1 && $1 != "UNION RESULT" { print "other table: " $0 }')
                    is "$bad" "" "$what: indexed, no full scan or sort"
                    checked=$((checked + 1))
                done
            done
        done
    done
done
diag "$checked plans checked"

# The executors' claim: the best ready lanes of the next business with
# any, read in the ready index's order (the business a constant found by a
# subquery on that index alone); then a lane's first due tasks in the lane
# index's order. No sort and no scan anywhere, and no table but lanes, the
# caps and tasks.
plan=$("$AT" tasks claim-plan 2>&1)
is "$?" 0 "claim-plan prints the claim's plan"
lanes_row=$(printf '%s\n' "$plan" | awk -F'\t' '$2 == "l"')
like "$lanes_row" $'\tlanes_ready\t' "the claim reads the ready lanes through their index"
sub_row=$(printf '%s\n' "$plan" | awk -F'\t' '$1 == "SUBQUERY" && $2 == "lanes"')
like "$sub_row" 'lanes_ready.*Using index' "the next business comes from the ready index alone"
tasks_row=$(printf '%s\n' "$plan" | awk -F'\t' '$2 == "tasks"')
like "$tasks_row" $'\ttasks_lane\t' "a lane's tasks are read through the lane index"
if printf '%s\n' "$plan" | grep -Eq 'filesort|temporary|	ALL	'; then ok 1 "the claim needs no sort and no scan"; else ok 0 "the claim needs no sort and no scan"; fi
is "$(printf '%s\n' "$plan" | awk -F'\t' 'NR > 1 && $2 != "l" && $2 != "lanes" && $2 != "bl" && $2 != "tasks"' | wc -l)" 0 \
    "the claim reads no other table"

# ---- platform rules: what they add to the claim's and enqueue's path ----

# norow_scan WHAT PLAN: a plan (rows without a header), and in it no table
# read in full, no sort, no temporary table.
norow_scan() {
    if [ -z "$2" ] || printf '%s\n' "$2" | awk -F'\t' '$3 == "ALL" || $3 == "index" || $6 ~ /filesort|temporary/' | grep -q .; then
        ok 1 "$1: no scan, no sort"
        diag "$2"
    else
        ok 0 "$1: no scan, no sort"
    fi
}
# columns as page_plan reads them: select_type table type key rows Extra
explain_cols() {
    sql -D asynctasks_test_explain -e "$1" |
        awk -F'\t' 'BEGIN { OFS = "\t" } { print $2, $3, $4, $6, $9, $10 }'
}
task=$(sql -D asynctasks_test_explain -N -e "SELECT MIN(id) FROM tasks")
# the re-check: the task, its business and the platform row, each by its key
plan=$(explain_cols "EXPLAIN SELECT t.state = 'running' AND t.lease_owner <=> 1, t.cancel_requested,
    b.pause_epoch, p.pause_epoch, SYSDATE(6) FROM tasks t JOIN businesses b ON b.id = t.business_id
    JOIN platform p ON p.id = 1 WHERE t.id = $task LOCK IN SHARE MODE")
norow_scan "the re-check with the platform row" "$plan"
is "$(printf '%s\n' "$plan" | awk -F'\t' '$3 == "const" || $3 == "eq_ref"' | wc -l)" 3 \
    "the re-check reads each of its three rows by its key"
# a new lane's held flag (the SQL twin, as enqueue computes it)
sql -D asynctasks_test_explain -e "INSERT INTO platform_pause_rules (scope, target_id, paused_by_name,
    paused_at) VALUES ('task_type', 999999, 'explain', UTC_TIMESTAMP(6)), ('user', 999999, 'explain',
    UTC_TIMESTAMP(6))" || bail "platform rules"
sql -D asynctasks_test_explain -e "ANALYZE TABLE platform_pause_rules, pause_rules" >/dev/null
# (the platform's rules named exist: each found by its unique key)
plan=$(explain_cols "EXPLAIN SELECT (EXISTS (SELECT 1 FROM pause_rules pr WHERE pr.business_id = 1
    AND pr.scope = 'user' AND pr.target_id = 2 AND (pr.paused_until IS NULL OR pr.paused_until > UTC_TIMESTAMP(6)))
    OR EXISTS (SELECT 1 FROM pause_rules pr WHERE pr.business_id = 1 AND pr.scope = 'task_type'
    AND pr.target_id = 3 AND (pr.paused_until IS NULL OR pr.paused_until > UTC_TIMESTAMP(6)))
    OR EXISTS (SELECT 1 FROM platform_pause_rules pr WHERE pr.scope = 'user' AND pr.target_id = 999999
    AND (pr.paused_until IS NULL OR pr.paused_until > UTC_TIMESTAMP(6)))
    OR EXISTS (SELECT 1 FROM platform_pause_rules pr WHERE pr.scope = 'task_type' AND pr.target_id = 999999
    AND (pr.paused_until IS NULL OR pr.paused_until > UTC_TIMESTAMP(6))))")
norow_scan "a new lane's held flag from both kinds of rules" "$plan"
is "$(printf '%s\n' "$plan" | awk -F'\t' '$2 == "pr" && $3 == "const" && $4 == "platform_pause_rules_target"' | wc -l)" 2 \
    "each platform rule is found by its target's key"
# a platform target's lanes, across businesses, a chunk after a cursor
plan=$(explain_cols "EXPLAIN SELECT id, queued, held, business_id FROM lanes FORCE INDEX (lanes_type)
    WHERE task_type_id = 1 AND (business_id > 1 OR (business_id = 1 AND id > 5))
    ORDER BY business_id, id LIMIT 2000 FOR UPDATE")
norow_scan "a platform target's lanes after a cursor" "$plan"
like "$(printf '%s\n' "$plan" | sed -n 1p)" $'^[^\t]*\tlanes\trange\tlanes_type\t' "read as a range of lanes_type"
sql -D asynctasks_test_explain -e "DELETE FROM platform_pause_rules" || bail "platform rules"

# ---- the dashboard (lib/dashboard.c): a week of rollups of 300 types in
# acme and globex; each statement a range of one index of its business ----
sql -D asynctasks_test_explain -e "
    INSERT INTO task_rollups (business_id, span, bucket, task_type_id, started)
    SELECT b.id, 'hour', DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL h.seq HOUR, '%Y-%m-%d %H:00:00'), t.id, 1
    FROM seq_0_to_199 h JOIN businesses b JOIN task_types t ON t.name LIKE 'plugin0%';
    INSERT INTO task_rollups (business_id, span, bucket, task_type_id, started)
    SELECT b.id, 'minute', DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL m.seq MINUTE, '%Y-%m-%d %H:%i:00'), t.id, 1
    FROM seq_0_to_119 m JOIN businesses b JOIN task_types t ON t.name LIKE 'plugin0%';
    ANALYZE TABLE task_rollups, lanes" >/dev/null || bail "rollups"
B=$(sql -D asynctasks_test_explain -N -e "SELECT id FROM businesses WHERE slug = 'acme'")
# dash_plan WHAT TABLE KEY PLAN: TABLE is read as a range or a key prefix
# of KEY, and no table in full
dash_plan() {
    if printf '%s\n' "$4" | awk -F'\t' -v t="$2" -v k="$3" '$2 == t && ($3 == "range" || $3 == "ref") && $4 == k { f = 1 }
            $3 == "ALL" || $3 == "index" { bad = 1 } END { exit !(f && !bad) }'; then
        ok 0 "$1: a range of $2's $3"
    else
        ok 1 "$1: a range of $2's $3"
        diag "$4"
    fi
}
plan=$(explain_cols "EXPLAIN SELECT span, bucket, SUM(started), SUM(succeeded), SUM(failed) FROM task_rollups
    WHERE (business_id = $B AND span = 'minute' AND bucket >= UTC_TIMESTAMP() - INTERVAL 1 HOUR)
    OR (business_id = $B AND span = 'hour' AND bucket >= UTC_TIMESTAMP() - INTERVAL 7 DAY) GROUP BY span, bucket")
dash_plan "the dashboard's buckets" task_rollups PRIMARY "$plan"
plan=$(explain_cols "EXPLAIN SELECT r.task_type_id, MAX(tt.name), SUM(r.failed), MAX(e.error_at), MAX(e.task_id),
    MAX(e.error) FROM task_rollups r JOIN task_types tt ON tt.id = r.task_type_id LEFT JOIN task_type_errors e
    ON e.business_id = r.business_id AND e.task_type_id = r.task_type_id WHERE r.business_id = $B
    AND r.span = 'hour' AND r.bucket >= UTC_TIMESTAMP() - INTERVAL 7 DAY GROUP BY r.task_type_id
    HAVING SUM(r.failed) > 0 ORDER BY SUM(r.failed) DESC, MAX(tt.name) LIMIT 20")
dash_plan "the dashboard's failures by type" r PRIMARY "$plan"
plan=$(explain_cols "EXPLAIN SELECT MIN(head_run_at) FROM lanes FORCE INDEX (lanes_held)
    WHERE held = 0 AND business_id = $B AND head_run_at <= UTC_TIMESTAMP(6)")
dash_plan "the dashboard's oldest due task" lanes lanes_held "$plan"

# ---- the dialogs and the audit log ----

# page_plan WHAT TABLE KEY PLAN: the plan reads TABLE through KEY, a range
# or the rows of one key prefix in the index's order (cut at the page),
# sorts nothing but a derived page, and reads no table in full.
page_plan() {
    local what=$1 table=$2 key=$3 plan=$4 bad
    if ! printf '%s\n' "$plan" | head -n 1 | grep -q '^select_type'; then
        ok 1 "$what: plan"
        diag "$plan"
        return
    fi
    bad=$(printf '%s\n' "$plan" | awk -F'\t' -v t="$table" -v k="$key" 'NR > 1 {
        if (($3 == "ALL" || $3 == "index") && $2 !~ /^<derived/) print "full scan: " $0
        else if ($2 == t && ($4 != k || ($3 != "range" && $3 != "ref"))) print "not a range of " k ": " $0
        else if ($6 ~ /filesort/ && !($2 ~ /^<derived/ && $5 <= 51)) print "sorts: " $0
        else if ($2 != t && $2 !~ /^<derived/ && $3 != "eq_ref") print "other table: " $0
    }')
    is "$bad" "" "$what: a range of $key, no scan, no sort"
}
member_cursor=$(sql -D asynctasks_test_explain -N -e "
    SELECT CONCAT(HEX(m.user_name), '-', m.user_id) FROM memberships m
    JOIN businesses b ON b.id = m.business_id WHERE b.slug = 'acme'
    ORDER BY m.user_name, m.user_id LIMIT 25, 1" | tr 'A-F' 'a-f')
for search in "" "--search a" "--search zzz-nobody" "--search example.com"; do
    for page in first later; do
        extra=()
        [ "$page" = later ] && extra=(--after "$member_cursor")
        # shellcheck disable=SC2086
        page_plan "Pause User, ${search:-no search}, $page page" m memberships_name \
            "$("$AT" explain members --business acme $search "${extra[@]}" 2>&1)"
        # shellcheck disable=SC2086
        page_plan "Pause Task Type, ${search:-no search}, $page page" task_types task_types_name \
            "$("$AT" explain types $search ${extra[0]:+--after 706c7567696e3130302e6a6f62-1} 2>&1)"
    done
done
oldest=$(sql -D asynctasks_test_explain -N -e "SELECT MIN(id) + 1000 FROM audit_log")
for way in "" "--before $oldest" "--after $oldest"; do
    # shellcheck disable=SC2086
    page_plan "the audit log, ${way:-newest}" audit_log audit_log_business \
        "$("$AT" explain audit --business acme $way 2>&1)"
done

# The list's totals: the business's few rows of counters by primary key,
# and its cap by primary key; nothing else.
plan=$("$AT" explain totals --business acme 2>&1)
is "$?" 0 "explain totals prints the plan"
bad=$(printf '%s\n' "$plan" | awk -F'\t' 'NR > 1 {
    if ($2 == "task_counts" && ($4 != "PRIMARY" || ($3 != "ref" && $3 != "range"))) print "counters: " $0
    else if ($2 == "business_limits" && $3 != "const" && $3 != "eq_ref" && $3 != "ref") print "cap: " $0
    else if ($2 != "task_counts" && $2 != "business_limits" && $2 != "NULL") print "other: " $0
    else if ($3 == "ALL" || $3 == "index" || $6 ~ /filesort/) print "scan or sort: " $0
}')
is "$bad" "" "the totals: the counters' rows and the cap by primary key, no scan, no sort"
like "$plan" $'\ttask_counts\t' "... reading the counters"

# A prune's batches, and the dry run's counts: each a range of one
# index, cut at the batch, no scan, no sort (docs/ARCHITECTURE.md,
# "Retention").
plan=$("$AT" explain prune 2>&1)
is "$?" 0 "explain prune prints the plans"
bad=$(printf '%s\n' "$plan" | awk -F'\t' '
    /^-- / { what = $0; next }
    $3 == "ALL" || $3 == "index" { print what ": full scan: " $0; next }
    $4 == "NULL" { print what ": no index: " $0; next }
    $6 ~ /filesort|temporary/ { print what ": sorts: " $0 }')
is "$bad" "" "a prune: every statement reads a range of an index, no scan, no sort"
like "$plan" $'\ttasks\trange\ttasks_finished_at\t' "... the oldest finished tasks: tasks_finished_at"
like "$plan" $'\ttask_attempts\trange\tPRIMARY\t' "... their attempts: by primary key"
like "$plan" $'\taudit_log\trange\taudit_log_created\t' "... the oldest audit entries: audit_log_created"
is "$(printf '%s\n' "$plan" | grep -c '^-- ')" 7 "... seven statements"

sql -e "DROP DATABASE asynctasks_test_explain"
done_testing
