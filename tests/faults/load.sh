# shellcheck shell=bash
# tests/faults/load.sh: the mixed load of tests/faults/faults.sh and
# bench/soak, one driver for both. Sourced; needs curl and xmllint. While
# it runs:
#   - single enqueues over the HTTP API, one task a request;
#   - bulk enqueues over the HTTP API, LOAD_BULK tasks a request;
#   - the admin screen's task list read through nginx by a logged-in
#     business admin (the list, a status filter, the audit log);
#   - pauses and resumes of users and types from the screen (POST with
#     the CSRF token) and from the command line.
# Every request and command is recorded with its start and end (the
# epoch, in microseconds) and what it got back, so that the caller can
# hold the product to what it answered:
#   $LOAD_DIR/api     START END STATUS TAG ID      (a line per task sent;
#                     ID "-" when the answer named none)
#   $LOAD_DIR/pages   START END STATUS PATH
#   $LOAD_DIR/ops     START END VIA ACTION KIND TARGET-ID STATUS TAG
#                     (VIA web or cli; STATUS the HTTP status or the
#                     command's exit status; TAG the pause's reason)
# Each task's payload is its tag, Ls-<n> (single) or Lb-<n> (bulk),
# unique in the run: the types the load enqueues take free-form payloads.
# With LOAD_FAULTS=1, LOAD_TYPES must hold a type named *.hang and one
# named *.crash, which some single enqueues ask to fail (load_api_single).
#
# The caller sets: LOAD_DIR (empty or new), LOAD_AT (the command line
# program), LOAD_CONF (its configuration), LOAD_URL (nginx), LOAD_BIZ (a
# business slug the run makes), LOAD_TYPES (an array of the task types to
# enqueue, registered already) and defines load_q SQL (one value from the
# run's database; names and types here are plain, so SQL text is safe);
# optionally LOAD_USERS (members, 6), LOAD_BULK (tasks a bulk request,
# 20), LOAD_PACE (seconds between two requests of each loop, 0.05),
# LOAD_FAULTS (0).

LOAD_NS=urn:asynctasks:api:1
LOAD_PIDS=()

load_now() { printf '%s' "${EPOCHREALTIME/./}"; }

# load_cli ARGS... : the command line on the run's configuration.
load_cli() { "$LOAD_AT" --config "$LOAD_CONF" "$@"; }

# load_setup : the business, its members (m1@LOAD_BIZ.example ...), a
# business admin with a password, an API token, and a session of the
# admin's with its CSRF token. Sets LOAD_TOKEN, LOAD_JAR, LOAD_CSRF, and
# the arrays LOAD_MEMBERS (emails) and LOAD_MEMBER_IDS.
load_setup() {
    local i pw tok id
    : "${LOAD_DIR:?}" "${LOAD_AT:?}" "${LOAD_CONF:?}" "${LOAD_URL:?}" "${LOAD_BIZ:?}"
    : "${LOAD_USERS:=6}" "${LOAD_BULK:=20}" "${LOAD_PACE:=0.05}" "${LOAD_FAULTS:=0}"
    mkdir -p -- "$LOAD_DIR" || return 1
    rm -f -- "$LOAD_DIR"/{api,pages,ops,stop,jar}
    load_cli business add "$LOAD_BIZ" "Load $LOAD_BIZ" >/dev/null || return 1
    LOAD_MEMBERS=() LOAD_MEMBER_IDS=()
    for ((i = 1; i <= LOAD_USERS; i++)); do
        LOAD_MEMBERS+=("m$i@$LOAD_BIZ.example")
        load_cli user add "m$i@$LOAD_BIZ.example" "Member $i" --no-password >/dev/null &&
            load_cli member add --business "$LOAD_BIZ" --user "m$i@$LOAD_BIZ.example" \
                --role member >/dev/null || return 1
    done
    pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    load_cli user add "admin@$LOAD_BIZ.example" "Load admin" --password-file - <<<"$pw" \
        >/dev/null || return 1
    load_cli member add --business "$LOAD_BIZ" --user "admin@$LOAD_BIZ.example" \
        --role business_admin >/dev/null || return 1
    LOAD_TOKEN=$(load_cli token create "$LOAD_BIZ" load) || return 1
    LOAD_JAR=$LOAD_DIR/jar
    tok=$(curl -sS -c "$LOAD_JAR" "$LOAD_URL/login" |
        sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
    curl -sS -b "$LOAD_JAR" -c "$LOAD_JAR" -o /dev/null --data-urlencode "csrf=$tok" \
        --data-urlencode "email=admin@$LOAD_BIZ.example" --data-urlencode "password=$pw" \
        "$LOAD_URL/login" || return 1
    LOAD_CSRF=$(curl -sS -b "$LOAD_JAR" "$LOAD_URL/admin/async-tasks?business=$LOAD_BIZ" |
        sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
    [[ -n $LOAD_CSRF ]] || {
        echo "load: the admin's session has no CSRF token" >&2
        return 1
    }
    # the members' ids, for the screen's forms
    for ((i = 0; i < LOAD_USERS; i++)); do
        id=$(load_member_id "${LOAD_MEMBERS[i]}") || return 1
        LOAD_MEMBER_IDS+=("$id")
    done
}

# load_member_id EMAIL : the user's id.
load_member_id() {
    local id
    id=$(load_q "SELECT id FROM users WHERE email = '$1'")
    [[ $id =~ ^[0-9]+$ ]] && printf '%s' "$id"
}

# load_fault_type KIND : sets LOAD_FT to the type of LOAD_TYPES named
# *.KIND. (The loops call no command substitution where they can help it:
# each is a fork, and a loaded machine makes forks slow.)
load_fault_type() {
    local t
    for t in "${LOAD_TYPES[@]}"; do
        [[ $t == *."$1" ]] && LOAD_FT=$t && return 0
    done
    return 1
}

load_running() { [[ ! -e $LOAD_DIR/stop ]]; }
load_pace() { sleep "$LOAD_PACE"; }

# load_ids : the ids of the tasks in the API's answer on stdin, in order,
# one a line.
load_ids() {
    xmllint --xpath '//*[local-name()="task"]/@id' - 2>/dev/null | grep -o '[0-9]\+'
}

# ---- the loops ----

# With LOAD_FAULTS=1, one single enqueue every 5 s asks for a fault, a
# hang and a crash in turn (tests/plugins/faulty.c): "Ls-<n> hang" to the
# *.hang type, "Ls-<n> crash" to the *.crash type, until one is answered.
load_api_single() {
    local n=0 s e st tag type out id fault=hang next=$((${EPOCHREALTIME/./} + 5000000))
    while load_running; do
        n=$((n + 1))
        type=${LOAD_TYPES[n % ${#LOAD_TYPES[@]}]} tag=Ls-$n
        s=${EPOCHREALTIME/./}
        if [[ $LOAD_FAULTS == 1 ]] && ((s >= next)); then
            load_fault_type "$fault"
            type=$LOAD_FT tag+=" $fault"
        fi
        out=$(curl -sS --max-time 20 -o - -w '\n%{http_code}' -H "Authorization: Bearer $LOAD_TOKEN" \
            --data-urlencode "user=${LOAD_MEMBERS[n % LOAD_USERS]}" --data-urlencode "type=$type" \
            --data-urlencode "payload=$tag" "$LOAD_URL/api/v1/tasks" 2>/dev/null)
        e=${EPOCHREALTIME/./}
        st=${out##*$'\n'}
        id=$(load_ids <<<"${out%$'\n'*}" | head -n 1)
        printf '%s %s %s %s %s\n' "$s" "$e" "${st:-000}" "${tag// /_}" "${id:--}" >>"$LOAD_DIR/api"
        if [[ $tag == *" $fault" && $st == 2* ]]; then
            [[ $fault == hang ]] && fault=crash || fault=hang
            next=$((e + 5000000))
        fi
        load_pace
    done
}

load_api_bulk() {
    local n=0 i s e st out doc=$LOAD_DIR/bulk.xml type k
    local -a tags ids
    while load_running; do
        n=$((n + 1))
        tags=()
        {
            printf '<?xml version="1.0" encoding="UTF-8"?>\n<tasks xmlns="%s">\n' "$LOAD_NS"
            for ((i = 0; i < LOAD_BULK; i++)); do
                k=$((n * LOAD_BULK + i))
                type=${LOAD_TYPES[k % ${#LOAD_TYPES[@]}]}
                tags+=("Lb-$k")
                printf '<task user="%s" type="%s"><payload>%s</payload></task>\n' \
                    "${LOAD_MEMBERS[k % LOAD_USERS]}" "$type" "${tags[i]}"
            done
            printf '</tasks>\n'
        } >"$doc"
        s=${EPOCHREALTIME/./}
        out=$(curl -sS --max-time 30 -o - -w '\n%{http_code}' -H "Authorization: Bearer $LOAD_TOKEN" \
            -H 'Content-Type: application/xml' --data-binary "@$doc" "$LOAD_URL/api/v1/tasks" 2>/dev/null)
        e=${EPOCHREALTIME/./}
        st=${out##*$'\n'}
        mapfile -t ids < <(load_ids <<<"${out%$'\n'*}")
        for ((i = 0; i < LOAD_BULK; i++)); do
            printf '%s %s %s %s %s\n' "$s" "$e" "${st:-000}" "${tags[i]// /_}" "${ids[i]:--}"
        done >>"$LOAD_DIR/api"
        sleep 1
    done
}

load_pages() {
    local n=0 s e st path
    local -a paths=("/admin/async-tasks?business=$LOAD_BIZ"
        "/admin/async-tasks?business=$LOAD_BIZ&status=finished"
        "/admin/audit-log?business=$LOAD_BIZ")
    while load_running; do
        path=${paths[$((n % ${#paths[@]}))]}
        n=$((n + 1))
        s=${EPOCHREALTIME/./}
        st=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -b "$LOAD_JAR" -H 'Accept-Encoding: gzip' \
            "$LOAD_URL$path" 2>/dev/null)
        e=${EPOCHREALTIME/./}
        printf '%s %s %s %s\n' "$s" "$e" "${st:-000}" "$path" >>"$LOAD_DIR/pages"
        load_pace
    done
}

# load_op_target I : the I-th pause or resume of a loop. They come in
# pairs, a pause and then the resume of the same target, so that each
# target is held for a moment and let go again; pairs alternate between a
# member and a type, in turn. Sets ACTION, KIND (user, type), NAME (email
# or type name) and TARGET (its id).
load_op_target() {
    local p=$(($1 / 2)) j
    ACTION=pause
    (($1 % 2)) && ACTION=resume
    j=$((p / 2))
    if ((p % 2 == 0)); then
        KIND=user NAME=${LOAD_MEMBERS[$((j % LOAD_USERS))]} TARGET=${LOAD_MEMBER_IDS[$((j % LOAD_USERS))]}
    else
        KIND=type NAME=${LOAD_TYPES[j % ${#LOAD_TYPES[@]}]}
        TARGET=${LOAD_TYPE_IDS[$NAME]}
    fi
}

# Pauses and resumes from the screen.
load_web_ops() {
    local n=0 s e st reason ACTION KIND NAME TARGET
    local -a form
    while load_running; do
        load_op_target "$n"
        n=$((n + 1))
        reason=web-$n
        form=(--data-urlencode "csrf=$LOAD_CSRF" --data-urlencode "business=$LOAD_BIZ"
            --data-urlencode "target=$TARGET")
        [[ $ACTION == pause ]] && form+=(--data-urlencode "reason=$reason")
        s=${EPOCHREALTIME/./}
        st=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -b "$LOAD_JAR" "${form[@]}" \
            "$LOAD_URL/admin/async-tasks/$ACTION-$KIND" 2>/dev/null)
        e=${EPOCHREALTIME/./}
        [[ $ACTION == pause ]] || reason=-
        printf '%s %s web %s %s %s %s %s\n' "$s" "$e" "$ACTION" "$KIND" "$TARGET" "${st:-000}" \
            "$reason" >>"$LOAD_DIR/ops"
        sleep 0.7
    done
}

# The same from the command line, by email and type name; the status is
# the command's exit status.
load_cli_ops() {
    local n=0 s e rc reason ACTION KIND NAME TARGET
    while load_running; do
        # the other end of the turn from the screen's
        load_op_target $((n + 7))
        n=$((n + 1))
        reason=cli-$n
        s=${EPOCHREALTIME/./}
        if [[ $ACTION == pause ]]; then
            load_cli pause "$KIND" --business "$LOAD_BIZ" "$NAME" --reason "$reason"
        else
            reason=-
            load_cli resume "$KIND" --business "$LOAD_BIZ" "$NAME"
        fi >/dev/null 2>&1
        rc=$?
        e=${EPOCHREALTIME/./}
        printf '%s %s cli %s %s %s %s %s\n' "$s" "$e" "$ACTION" "$KIND" "$TARGET" "$rc" "$reason" \
            >>"$LOAD_DIR/ops"
        sleep 0.9
    done
}

# LOAD_TYPE_IDS: the task types' ids by name, read by load_start.
declare -A LOAD_TYPE_IDS

# load_start : starts every loop in the background; sets LOAD_PIDS.
load_start() {
    local t
    # the type ids, read before the loops fork, so that each knows them
    for t in "${LOAD_TYPES[@]}"; do
        LOAD_TYPE_IDS[$t]=$(load_q "SELECT id FROM task_types WHERE name = '$t'")
        [[ ${LOAD_TYPE_IDS[$t]} =~ ^[0-9]+$ ]] || {
            echo "load: no task type $t" >&2
            return 1
        }
    done
    rm -f -- "$LOAD_DIR/stop"
    LOAD_PIDS=()
    # each loop records its failures and goes on, under set -e too
    for t in load_api_single load_api_bulk load_pages load_web_ops load_cli_ops; do
        (
            set +e
            "$t"
        ) &
        LOAD_PIDS+=($!)
    done
}

# load_stop : asks the loops to end after what they are doing, and waits.
load_stop() {
    touch -- "$LOAD_DIR/stop"
    ((${#LOAD_PIDS[@]} == 0)) || wait "${LOAD_PIDS[@]}" 2>/dev/null || true
    LOAD_PIDS=()
}
