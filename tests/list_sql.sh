#!/usr/bin/env bash
# list_sql.sh: the list, walked page by page through the command line, in
# every sort, direction, status filter and search, equals the database's own
# ORDER BY over the same rows: names beyond ASCII sort by the collation,
# ties on created_at are broken by id, finished tasks are split from
# pending ones.
. "$top_srcdir/tests/lib.sh"

CONF=$(fresh_db listsql)
export ASYNCTASKS_CONFIG=$CONF
DB=asynctasks_test_listsql
q() { sql -D "$DB" -e "$1"; }

run migrate
is "$RC" 0 "migrate"
"$AT" business add ls "List test" >/dev/null
"$AT" type add export >/dev/null
"$AT" type add report >/dev/null
"$AT" type add mailing >/dev/null
i=0
users=()
for name in "émile Roux" "Emile Roux" "Zoë Zimmer" "zoe zimmer" "Ångström Åsa" "adam Smith" \
    "Adam Smith" "Bob Baker" "Bob Baker" "O'Brien <b>" "100% Sure_Thing" "Łukasz Łuk"; do
    i=$((i + 1))
    email="u$i@listsql.example.com"
    "$AT" user add "$email" "$name" --no-password >/dev/null
    "$AT" member add --business ls --user "$email" --role member >/dev/null
    users+=("$email")
done
types=(export report mailing)
n=0
for round in 1 2 3 4 5 6 7 8 9 10; do
    for k in "${!users[@]}"; do
        "$AT" enqueue --business ls --user "${users[$k]}" --type "${types[$(((k + round) % 3))]}" >/dev/null || bail "enqueue"
        n=$((n + 1))
    done
done
is "$n" 120 "120 tasks enqueued"
# A third finished, a fifth sharing one created_at, to make ties.
q "UPDATE tasks SET state = 'succeeded', finished_at = UTC_TIMESTAMP(6) WHERE id % 3 = 0"
q "UPDATE tasks SET created_at = '2026-01-01 00:00:00' WHERE id % 5 = 0"
bid=$(q "SELECT id FROM businesses WHERE slug = 'ls'")

# Pages of 11 through the CLI, following "next page" cursors.
walk() {
    local cursor="" out ids="" pages=0
    while :; do
        if [ -n "$cursor" ]; then
            out=$("$AT" tasks list --business ls --format tsv --limit 11 "$@" --after "$cursor" 2>&1) || return 1
        else
            out=$("$AT" tasks list --business ls --format tsv --limit 11 "$@" 2>&1) || return 1
        fi
        ids+=$(printf '%s\n' "$out" | awk -F'\t' 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }')$'\n'
        cursor=$(printf '%s\n' "$out" | sed -n 's/^next page: --after //p')
        pages=$((pages + 1))
        [ -n "$cursor" ] || break
        [ $pages -lt 100 ] || return 1
    done
    printf '%s' "$ids" | sed '/^$/d'
}

for sort in created user type; do
    case $sort in created) col=created_at ;; user) col=user_name ;; type) col=type_name ;; esac
    for dir in asc desc; do
        for status in pending finished all; do
            case $status in
            pending) cond="AND finished = 0" ;;
            finished) cond="AND finished = 1" ;;
            all) cond="" ;;
            esac
            for search in "" "user:emile" "user:zo" "user:%" "type:port" "user:a,type:mail"; do
                args=(--sort "$sort" "--$dir" --status "$status")
                scond=""
                IFS=, read -ra parts <<<"$search"
                for p in "${parts[@]}"; do
                    case $p in
                    user:*)
                        args+=(--user-search "${p#user:}")
                        lit=$(printf '%s' "${p#user:}" | sed 's/[%_\\]/\\&/g')
                        scond+=" AND user_name LIKE '%$lit%'"
                        ;;
                    type:*)
                        args+=(--type-search "${p#type:}")
                        scond+=" AND type_name LIKE '%${p#type:}%'"
                        ;;
                    esac
                done
                want=$(q "SELECT id FROM tasks WHERE business_id = $bid $cond $scond ORDER BY $col $dir, id $dir")
                got=$(walk "${args[@]}")
                what="sort $sort $dir, $status, ${search:-no search}"
                if [ "$got" = "$want" ]; then
                    ok 0 "$what: $(printf '%s\n' "$want" | sed '/^$/d' | wc -l) rows in database order"
                else
                    ok 1 "$what: pages equal the database's order"
                    diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -n 10 | sed 's/^/# /'
                fi
            done
        done
    done
done

sql -e "DROP DATABASE $DB"
done_testing
