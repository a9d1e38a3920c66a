# tests/http_lib.sh: requests and checks shared by the HTTP tests
# (tests/http.sh, tests/api.sh, tests/api_bulk.sh): one curl request with
# its status, headers and body; XPath on the body; the checks that save a
# failed response for later; q, SQL on the test database; cli, the command
# line on it; whether the app outlived a request (watch_app, alive).
# Sourced after tests/lib.sh with HTTP_TEST naming the test; sets WORK (a
# scratch directory, removed at exit), RNG (docs/views.rng), ART (where
# failed responses go), DB and URL (the test instance's address, from
# ASYNCTASKS_TEST_URL unless the test set it); bails out without curl
# and xmllint.

RNG=$top_srcdir/docs/views.rng
[ -r "$RNG" ] || bail "$RNG is missing"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/at-${HTTP_TEST:?}.XXXXXX") || bail "mktemp"
trap 'rm -rf -- "$WORK"' EXIT
ART=${ASYNCTASKS_TEST_ARTIFACTS:+$ASYNCTASKS_TEST_ARTIFACTS/$HTTP_TEST}
DB=$(sed -n 's/^db_name *= *//p' "$ASYNCTASKS_TEST_CONFIG")
[ -n "$DB" ] || bail "no db_name in $ASYNCTASKS_TEST_CONFIG"
q() { sql --raw "$DB" -e "$1"; }
URL=${URL:-${ASYNCTASKS_TEST_URL:-}}
[ -n "$URL" ] || bail "ASYNCTASKS_TEST_URL is not set: run the tests through dev/check"
for tool in curl xmllint; do
    command -v "$tool" >/dev/null || bail "$tool is needed"
done
curl -s -o /dev/null "$URL/login" || bail "nothing answers at $URL"

# cli ARGS...: the command line on the test database; OUT is what it
# printed. A failure ends the test: it makes the data the test needs.
cli() {
    run --config "$ASYNCTASKS_TEST_CONFIG" "$@"
    [ "$RC" = 0 ] || bail "asynctasks $*: $OUT"
}

# ---- requests ----

HF=$WORK/headers BF=$WORK/body
# req JAR CURL-ARGS...: one request, with the cookie jar JAR ("" for
# none). ST is the status, LOC the Location and CT the Content-Type; the
# headers are in $HF (and, by lower-cased name, in HV and HC), the body
# in $BF and in BODY.
declare -A HV HC
req() {
    local jar=$1
    shift
    ST=$(curl -sS -o "$BF" -D "$HF" -w '%{http_code}' ${jar:+-b "$jar" -c "$jar"} "$@" \
        2>"$WORK/curl.err") || ST="$ST (curl: $(head -c 200 "$WORK/curl.err"))"
    took
}
# req_next JAR CURL-ARGS...: req, then GET /login in the same client (ST2
# is its status): "is the app still answering?" at the cost of one curl.
req_next() {
    local jar=$1 out
    shift
    out=$(curl -sS -o "$BF" -D "$HF" -w '%{http_code}' ${jar:+-b "$jar" -c "$jar"} "$@" \
        --next -sS -o /dev/null -w ' %{http_code}' "$URL/login" 2>"$WORK/curl.err")
    ST=${out%% *} ST2=${out#* }
    took
}
# took: reads the last response into HV, HC (headers by lower-cased name:
# values, one a line, and how many), LOC, CT and BODY.
took() {
    local line name val
    HV=() HC=()
    while IFS= read -r line; do
        line=${line%$'\r'}
        if [[ $line == HTTP/* ]]; then # a new block (after "100 Continue")
            HV=() HC=()
            continue
        fi
        [[ $line == *:* ]] || continue
        name=${line%%:*} val=${line#*:}
        name=${name,,} val=${val#"${val%%[! $'\t']*}"}
        HV[$name]+=$val$'\n'
        HC[$name]=$((${HC[$name]:-0} + 1))
    done <"$HF"
    LOC=${HV[location]:-} CT=${HV[content-type]:-}
    LOC=${LOC%$'\n'} CT=${CT%$'\n'}
    BODY=
    IFS= read -r -d '' BODY <"$BF"
}

# hdr NAME: the values of header NAME of the last response, one a line.
hdr() {
    local v=${HV[${1,,}]:-}
    printf '%s' "${v%$'\n'}"
}
hcount() { printf '%s' "${HC[${1,,}]:-0}"; }
set_cookie() { hdr Set-Cookie | sed -n "s/^$1=\([^;]*\).*/\1/p"; }
jar_cookie() { awk -v n="$2" '$6 == n { print $7 }' "$1"; }
csrf_in_body() {
    local t=${BODY#*name=\"csrf\" value=\"}
    [ "$t" = "$BODY" ] || printf '%s' "${t%%\"*}"
}

# xp XPATH [FILE]: the string value of XPATH in the body (names are
# matched with local-name(), so that namespaces need no prefix).
xp() { xmllint --xpath "$1" "${2:-$BF}" 2>/dev/null; }

# Percent-encodes like the app does (all but A-Z a-z 0-9 - _ . ~).
enc() {
    local LC_ALL=C s=$1 i c out=
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case $c in
        [A-Za-z0-9._~-]) out+=$c ;;
        *)
            printf -v c '%%%02X' "'$c"
            out+=$c
            ;;
        esac
    done
    printf '%s' "$out"
}
rand_token() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# ---- checks ----

# keep: saves the last response for a failed check, and says why.
keep() {
    if [ -n "$ART" ]; then
        mkdir -p -- "$ART" && cp -- "$HF" "$ART/$T_N.headers" && cp -- "$BF" "$ART/$T_N.body"
    fi
    local msg
    msg=$(xp 'string(//*[@class="error-message"])')
    [ -n "$msg" ] || msg=$(xp 'string(/*[local-name()="error"]/@message)')
    [ -n "$msg" ] && diag "the response says: $msg"
    return 0
}
status_is() { # status_is WANT NAME
    if [ "$ST" = "$1" ]; then
        ok 0 "$2"
    else
        ok 1 "$2"
        diag "got status $ST, want $1"
        keep
    fi
}
body_has() { # body_has STRING NAME
    if [[ $BODY == *"$1"* ]]; then
        ok 0 "$2"
    else
        ok 1 "$2"
        diag "the body lacks: $1"
        keep
    fi
}
wellformed() { # wellformed NAME: the body is well-formed XML
    local err
    if err=$(xmllint --noout "$BF" 2>&1); then
        ok 0 "$1"
    else
        ok 1 "$1"
        diag "$(printf '%s' "$err" | head -n 5)"
        keep
    fi
}
# valid NAME [SCHEMA [FILE]]: the body (or FILE) is a document that
# docs/views.rng (or SCHEMA) accepts.
valid() {
    local err
    if err=$(xmllint --noout --relaxng "${2:-$RNG}" "${3:-$BF}" 2>&1); then
        ok 0 "$1"
    else
        ok 1 "$1"
        diag "$(printf '%s' "$err" | head -n 5)"
        keep
    fi
}
# no_raw NAME: nothing hostile came out as markup, and the page parses.
no_raw() {
    local bad=
    [[ $BODY == *'<script>'* ]] && bad="$bad <script>"
    [[ $BODY == *'<img'* ]] && bad="$bad <img"
    [[ $BODY == *'onerror=alert(1)>'* ]] && bad="$bad onerror=...>"
    if [ -z "$bad" ]; then
        ok 0 "$1: no raw markup from the data"
    else
        ok 1 "$1: no raw markup from the data"
        diag "raw:$bad"
        keep
    fi
    wellformed "$1: well-formed"
}

# sec_check: sets SECP to what is wrong with the security headers of the
# last response (nothing when all is well).
sec_check() {
    local csp=${HV[content-security-policy]:-} xcto=${HV[x-content-type-options]:-}
    local rp=${HV[referrer-policy]:-} h
    SECP=
    for h in content-security-policy x-content-type-options referrer-policy; do
        [ "${HC[$h]:-0}" = 1 ] || SECP="$SECP; ${HC[$h]:-0} copies of $h"
    done
    csp=${csp%%$'\n'*} xcto=${xcto%%$'\n'*} rp=${rp%%$'\n'*}
    case $csp in *unsafe-inline* | *unsafe-eval*) SECP="$SECP; CSP allows unsafe code" ;; esac
    case $csp in *"frame-ancestors 'none'"* | *"frame-ancestors 'self'"*) ;; *) SECP="$SECP; CSP lacks frame-ancestors" ;; esac
    case $csp in *"default-src 'none'"* | *"default-src 'self'"*) ;; *) SECP="$SECP; CSP lacks default-src" ;; esac
    [ "$xcto" = nosniff ] || SECP="$SECP; X-Content-Type-Options is '$xcto'"
    case $rp in
    no-referrer | same-origin | strict-origin | strict-origin-when-cross-origin) ;;
    *) SECP="$SECP; Referrer-Policy is '$rp'" ;;
    esac
    SECP=${SECP#; }
}
sec() { # sec NAME
    sec_check
    if [ -z "$SECP" ]; then
        ok 0 "$1: security headers, one copy each"
    else
        ok 1 "$1: security headers, one copy each"
        diag "$SECP"
        keep
    fi
}

# watch_app PIDFILE: notes the app's master process and its workers, for
# alive.
watch_app() {
    MASTER=$(cat "$1")
    kill -0 "$MASTER" 2>/dev/null || bail "the app (pid $MASTER) is not running"
    WORKERS=$(workers)
    [ -n "$WORKERS" ] || bail "the app (pid $MASTER) has no workers"
}
workers() { pgrep -P "$MASTER" | sort -n | tr '\n' ' '; }
# alive NAME: after req_next, the app still runs the very processes it ran
# at the start (a worker that crashed would have been replaced), and it
# answered the request that came next.
alive() {
    local now
    now=$(workers)
    if kill -0 "$MASTER" 2>/dev/null && [ "$now" = "$WORKERS" ] && [ "$ST2" = 200 ]; then
        ok 0 "$1: the app is alive, same workers, next request answered"
    else
        ok 1 "$1: the app is alive, same workers, next request answered"
        diag "master $MASTER $(kill -0 "$MASTER" 2>/dev/null && echo alive || echo gone);" \
            "workers were: $WORKERS now: $now; next request: $ST2"
        WORKERS=$now
    fi
}

# login_form JAR EMAIL PASSWORD: the login form's two requests (its page for
# the CSRF token, then the POST); ST and LOC are the POST's.
login_form() {
    local jar=$1 tok
    req "$jar" "$URL/login"
    tok=$(csrf_in_body)
    req "$jar" --data-urlencode "csrf=$tok" --data-urlencode "email=$2" \
        --data-urlencode "password=$3" "$URL/login"
}
