#!/usr/bin/env bash
# tests/base_path.sh: the admin screen under a path of an existing site.
# A private nginx includes the nginx snippet that make install puts in
# $(pkgdatadir)/nginx (the build's copy, its two installed paths, the
# static files and the socket, pointed at this build's), in a site whose
# other addresses are its own, once over plain HTTP and once over TLS with
# HSTS set. The app of this build runs with base_path set to the path the
# snippet serves. A business admin logs in there; every address on the
# list page (links, forms, the stylesheet, script and icon, the XML
# view's) is under the base and answers; a pause and a resume go through
# their forms; every Location and cookie Path is under the base; addresses
# outside it are the site's, and the app itself refuses them with 404.
# Over TLS (HTTPS=on from nginx) the cookies are Secure and HSTS is sent.
#
# Listens on the test screen's port + 20 and + 21 (ASYNCTASKS_TEST_URL).
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

for tool in curl xmllint nginx openssl cgi-fcgi; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || bail "$tool is needed"
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
url_port=${ASYNCTASKS_TEST_URL:-}
url_port=${url_port##*:}
[[ $url_port =~ ^[0-9]+$ ]] || bail "ASYNCTASKS_TEST_URL names no port"
PORT=$((url_port + 20)) TLS_PORT=$((url_port + 21))
SNIPPET=$top_builddir/nginx/asynctasks-location.conf
[ -r "$SNIPPET" ] || bail "$SNIPPET is missing: make builds it"
FCGI=$top_builddir/fcgi/asynctasks-fcgi
[ -x "$top_builddir/fcgi/.libs/asynctasks-fcgi" ] && FCGI=$top_builddir/fcgi/.libs/asynctasks-fcgi

D=$(mktemp -d "${TMPDIR:-/tmp}/at-base.XXXXXX") || bail "mktemp"
SOCK=$D/fcgi.sock
stop() {
    local f
    for f in "$D/nginx.pid" "$D/fcgi.pid"; do
        [ -s "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
    done
    wait_until 10 test ! -e "$D/nginx.pid" -a ! -e "$D/fcgi.pid"
    rm -rf -- "$D"
}
trap stop EXIT

# ---- the site: the installed snippet in a server block of its own ----

BASE=$(sed -n 's|^location \(/[^ ]*\)/static/ {$|\1|p' "$SNIPPET")
[ -n "$BASE" ] || bail "$SNIPPET serves no base path (location BASE/static/)"
diag "the snippet serves $BASE"
ok "$(grep -c '^location ' "$SNIPPET" | grep -qx 2; echo $?)" "the snippet has its two locations"
# The two installed paths of the build's snippet, pointed at this build.
sed -e "s|^\( *alias \).*;$|\1$top_srcdir/web/;|" -e "s|unix:[^;]*;|unix:$SOCK;|" \
    -e "s|include .*/asynctasks-headers.conf;|include $top_srcdir/nginx/asynctasks-headers.conf;|" \
    "$SNIPPET" >"$D/snippet.conf"
is "$(grep -c "$top_srcdir/web/;\|unix:$SOCK;\|$top_srcdir/nginx/asynctasks-headers.conf;" "$D/snippet.conf")" 4 \
    "the snippet's static files, socket and headers (twice) are the paths to point here"
mkdir -p "$D/site" "$D"/{body,proxy,fastcgi,uwsgi,scgi}
echo "the site's own page" >"$D/site/index.html"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
    -keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null || bail "openssl cannot make a certificate"
user=
[ "$(id -u)" -eq 0 ] && user="user root root;"
cat >"$D/nginx.conf" <<EOF
$user
worker_processes 1;
pid $D/nginx.pid;
error_log $D/error.log warn;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log $D/access.log;
    client_body_temp_path $D/body;
    proxy_temp_path $D/proxy;
    fastcgi_temp_path $D/fastcgi;
    uwsgi_temp_path $D/uwsgi;
    scgi_temp_path $D/scgi;
    server {
        listen 127.0.0.1:$PORT;
        root $D/site;
        include $D/snippet.conf;
    }
    server {
        listen 127.0.0.1:$TLS_PORT ssl;
        ssl_certificate $D/cert.pem;
        ssl_certificate_key $D/key.pem;
        root $D/site;
        include $D/snippet.conf;
        set \$asynctasks_hsts "max-age=31536000";
    }
}
EOF
"$NGINX" -p "$D" -e "$D/error.log" -c "$D/nginx.conf" 2>"$D/nginx.start" ||
    bail "nginx does not take the snippet: $(cat "$D/nginx.start")"

# ---- the app, with base_path ----

CONF=$D/asynctasks.conf
cp -- "$ASYNCTASKS_TEST_CONFIG" "$CONF"
echo "base_path = $BASE" >>"$CONF"
setsid "$FCGI" --config "$CONF" --listen "$SOCK" --pidfile "$D/fcgi.pid" </dev/null \
    >"$D/fcgi.log" 2>&1 &
wait_until 10 test -S "$SOCK" || bail "asynctasks-fcgi did not start: $(tail -n 5 "$D/fcgi.log")"

URL=http://127.0.0.1:$PORT$BASE
TLS_URL=https://127.0.0.1:$TLS_PORT$BASE
HTTP_TEST=base_path
# shellcheck source=http_lib.sh
. "$top_srcdir/tests/http_lib.sh"
trap 'stop; rm -rf -- "$WORK"' EXIT

RUN=b$$t$(date +%s)
A=${RUN}a
PW="pw $RUN"
EMAIL=ba-$RUN@example.org
cli business add "$A" "Business $RUN"
cli user add "$EMAIL" "Admin $RUN" --password-file - <<<"$PW"
cli member add --business "$A" --user "$EMAIL" --role business_admin
cli type add "$RUN.exp"
cli enqueue --business "$A" --user "$EMAIL" --type "$RUN.exp" --payload x=1
TASK=$OUT
UID_=$(q "SELECT id FROM users WHERE email = '$EMAIL'")

# under_base WHAT VALUE: VALUE is an address under the base path.
under_base() {
    case $2 in
    "$BASE" | "$BASE"/* | "$BASE"\?*) ok 0 "$1 is under $BASE" ;;
    *) ok 1 "$1 is under $BASE"; diag "it is: $2" ;;
    esac
}
# cookie_paths WHAT: every Set-Cookie of the last response has the path
# of the base (the session) or of its login page (the login form's).
cookie_paths() {
    local line n=0
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        n=$((n + 1))
        like "$line" "; Path=$BASE(/login)?;" "$1: cookie ${line%%=*} has a path under $BASE"
    done <<<"$(hdr Set-Cookie)"
    ok "$([ "$n" -gt 0 ]; echo $?)" "$1: sets cookies"
}

# ==== logging in under the base ====

J=$WORK/jar
: >"$J"
LIST_PATH="/admin/async-tasks?business=$A"
req "$J" "$URL$LIST_PATH"
status_is 303 "the list, anonymous: 303"
is "$LOC" "$BASE/login?next=$(enc "$LIST_PATH")" \
    "to the base's login page, next= the page within the screen"
req "$J" "http://127.0.0.1:$PORT$LOC"
status_is 200 "the login page: 200"
under_base "the login form's action" "$(xp 'string(//*[local-name()="form"]/@action)')"
cookie_paths "the login page"
TOK=$(csrf_in_body)
req "$J" --data-urlencode "csrf=$TOK" --data-urlencode "email=$EMAIL" \
    --data-urlencode "password=$PW" --data-urlencode "next=$LIST_PATH" "$URL/login"
status_is 303 "logging in: 303"
is "$LOC" "$BASE$LIST_PATH" "logging in: back to the list, under the base"
cookie_paths "logging in"
req "$J" "$URL/"
status_is 303 "the base's root, logged in: 303"
is "$LOC" "$BASE/admin/async-tasks" "the base's root: to the list"
req "$J" "http://127.0.0.1:$PORT$BASE"
status_is 301 "the base without its slash: nginx adds it"

# ==== every address on the list page ====

req "$J" "$URL$LIST_PATH"
status_is 200 "the list: 200"
is "$(xp "count(//*[@id='task-$TASK'])")" 1 "the list shows the task"
CSRF=$(csrf_in_body)
xmllint --xpath '//@href | //@action | //@src' "$BF" 2>/dev/null |
    sed -E 's/^ *(href|action|src)="([^"]*)"$/\2/' | sed 's/&amp;/\&/g' | sort -u >"$WORK/addrs"
is "$(grep -c . "$WORK/addrs")" "$(xmllint --xpath '//@href | //@action | //@src' "$BF" 2>/dev/null |
    sed -E 's/^ *(href|action|src)="([^"]*)"$/\2/' | sed 's/&amp;/\&/g' | sort -u | grep -c .)" \
    "the page's addresses read"
ok "$([ "$(grep -c . "$WORK/addrs")" -ge 15 ]; echo $?)" \
    "the list page has its links, forms and files ($(grep -c . "$WORK/addrs") addresses)"
for want in /static/app.css /static/app.js /static/icon.svg /admin/audit-log /admin/executors \
    /logout "/admin/async-tasks/tasks/$TASK"; do
    ok "$(grep -q -- "$want" "$WORK/addrs"; echo $?)" "the page links $want"
done
while IFS= read -r a; do
    [ "$a" = "#main" ] && continue
    under_base "address $a" "$a"
    # forms that post are submitted below; the rest are followed
    if xmllint --xpath "//*[local-name()='form' and @method='post' and @action='$a']" "$BF" >/dev/null 2>&1; then
        continue
    fi
    req "$J" "http://127.0.0.1:$PORT$a"
    # a page that needs a business picks one: a redirect, under the base
    if [ "$ST" = 303 ]; then
        under_base "GET $a: its redirect" "$LOC"
        req "$J" "http://127.0.0.1:$PORT$LOC"
    fi
    status_is 200 "GET $a: 200"
done <"$WORK/addrs"
# the XML view of the list, under the base too
req "$J" "$URL$LIST_PATH&format=xml"
status_is 200 "the list's XML view under the base: 200"
is "$(xp "count(//*[local-name()='task'][@id='$TASK'])")" 1 "the XML view lists the task"

# ==== a pause and a resume through their forms ====

# post_form WHAT ACTION DATA RULES: posts DATA to the form's ACTION, which
# must be under the base; the answer goes back to the list under the base,
# and the business then has RULES pause rules.
post_form() {
    is "$2" "$BASE/admin/async-tasks/${1,,}" "the $1 form posts under the base"
    req "$J" --data "csrf=$CSRF&business=$A&$3" "http://127.0.0.1:$PORT$2"
    status_is 303 "$1: 303"
    is "$LOC" "$BASE$LIST_PATH" "$1: back to the list under the base"
    is "$(q "SELECT COUNT(*) FROM pause_rules WHERE business_id = (SELECT id FROM businesses WHERE slug = '$A')")" \
        "$4" "$1: the business has $4 pause rules"
}
req "$J" "$URL/admin/async-tasks/pause-user?business=$A"
status_is 200 "the Pause User panel: 200"
post_form Pause-User "$(xp "string(//*[local-name()='form' and contains(@class,'pause-form')]/@action)")" \
    "target=$UID_&reason=base+path" 1
req "$J" "http://127.0.0.1:$PORT$LOC"
status_is 200 "the list after the pause: 200"
is "$(xp "string(//*[@id='task-$TASK']/@data-status)")" paused "the task is held"
req "$J" "$URL/admin/async-tasks/pause-user?business=$A"
RTARGET=$(xp "string(//*[local-name()='button' and @name='target' and @form='resume-form']/@value)")
is "$RTARGET" "$UID_" "the panel's Resume button names the user"
post_form Resume-User "$(xp "string(//*[local-name()='form' and @id='resume-form']/@action)")" \
    "target=$RTARGET" 0

# ==== the API under the base ====

TOKEN=$("$AT" --config "$ASYNCTASKS_TEST_CONFIG" token create "$A" "base $RUN" 2>&1)
req "" -H "Authorization: Bearer $TOKEN" --data-urlencode "user=$EMAIL" \
    --data-urlencode "type=$RUN.exp" "$URL/api/v1/tasks"
status_is 201 "the API under the base: 201"
like "$LOC" "^$BASE/admin/async-tasks/tasks/[0-9]+\\?business=$A\$" "the API's Location is under the base"
req "" -H "Authorization: Bearer $TOKEN" "$URL/api/v1/tasks/$TASK"
status_is 200 "the API reads a task under the base"

# ==== outside the base ====

req "$J" "http://127.0.0.1:$PORT/admin/async-tasks?business=$A"
status_is 404 "/admin outside the base: 404 (the site's)"
req "$J" "http://127.0.0.1:$PORT/"
status_is 200 "the site's own page answers"
has "$BODY" "the site's own page" "the site's page is the site's"
# the app itself, whatever the web server passes it
fcgi_get() { # fcgi_get DOCUMENT_URI [HTTPS]: the raw answer of the app
    env -i REQUEST_METHOD=GET DOCUMENT_URI="$1" QUERY_STRING="business=$A" HTTPS="${2:-}" \
        REMOTE_ADDR=127.0.0.1 cgi-fcgi -bind -connect "$SOCK" 2>/dev/null | tr -d '\r'
}
for p in /admin/async-tasks /login / "${BASE}2/login" "${BASE}x" "/x$BASE/login" "${BASE%/*}"; do
    [ -n "$p" ] || continue
    like "$(fcgi_get "$p" | head -n 1)" '^Status: 404' "the app answers $p with 404"
done
like "$(fcgi_get "$BASE/login" | head -n 1)" '^Status: 200' "the app answers $BASE/login"

# ==== over TLS: Secure cookies and HSTS ====

like "$(fcgi_get "$BASE/login" on | grep -i '^Set-Cookie:')" '; Secure' \
    "HTTPS=on from the web server: the cookie is Secure"
like "$(fcgi_get "$BASE/login" | grep -i '^Set-Cookie:')" '^Set-Cookie: [^;]*; Path=[^;]*; HttpOnly; SameSite=Strict; Max-Age' \
    "without HTTPS: the cookie is not Secure"
JT=$WORK/jar.tls
: >"$JT"
req "$JT" -k "$TLS_URL/login"
status_is 200 "the login page over TLS: 200"
like "$(hdr Set-Cookie)" "; Path=$BASE/login; HttpOnly; SameSite=Strict; Secure" \
    "over TLS through nginx: the login cookie is Secure"
is "$(hdr Strict-Transport-Security)" "max-age=31536000" "over TLS: HSTS on the app's pages"
TOK=$(csrf_in_body)
req "$JT" -k --data-urlencode "csrf=$TOK" --data-urlencode "email=$EMAIL" \
    --data-urlencode "password=$PW" "$TLS_URL/login"
status_is 303 "logging in over TLS: 303"
like "$(hdr Set-Cookie | grep '^at_session=')" "; Path=$BASE; HttpOnly; SameSite=Strict; Secure" \
    "over TLS: the session cookie is Secure, its path the base"
req "" -k "$TLS_URL/static/app.css"
status_is 200 "a static file over TLS: 200"
is "$(hdr Strict-Transport-Security)" "max-age=31536000" "over TLS: HSTS on the static files"
req "" "$URL/static/app.css"
status_is 200 "a static file over HTTP: 200"
is "$(hcount Strict-Transport-Security)" 0 "over plain HTTP: no HSTS"
is "$(hcount Content-Security-Policy)" 1 "one copy of the security headers on a static file"
req "" "$URL/login"
is "$(hcount Content-Security-Policy)" 1 "one copy of the security headers on a page"
is "$(hcount Strict-Transport-Security)" 0 "over plain HTTP: no HSTS on a page"

ok "$(! grep -q -E 'Sanitizer|runtime error:' "$D/fcgi.log"; echo $?)" "no sanitizer report from the app"
done_testing
