#!/usr/bin/env bash
# tests/deploy.sh: docs/DEPLOY.md, run as written. The guide's shell
# blocks are marked "<!-- deploy: NAME -->"; this test takes them out of
# the guide and runs them, with its own values for the settings block's
# variables (the same names: checked), twice from a release tree
# (make distdir, tarred as make dist does), each built by its own
# configure and make:
#   - with root: installed under a prefix in a scratch directory, a
#     throwaway service account, the database and its two accounts, the
#     programs started as root (they drop to the account), nginx in front;
#   - shared hosting: a throwaway unprivileged account (useradd -r, in the
#     web server's group) builds, configures and starts everything in its
#     home with runuser, no root at all; "the host" (this test, as root)
#     makes its database and accounts with the guide's statements and
#     includes the installed nginx snippet in a site.
# Each time a task enqueued over HTTP with an API token runs in the
# bundled noop plugin and shows in the screen, logged in over HTTP. The
# runtime account's grants are exactly SELECT, INSERT, UPDATE and DELETE,
# the programs connect with it alone, and the migrate account is used by
# migrate only. The blocks that need systemd as PID 1 or cron are the only
# ones not run, and say so in their marker.
#
# `mariadb` is the test MariaDB's administrator (as root is on Debian) and
# `nginx` a private nginx whose workers run as www-data, on the test
# screen's port + 30 and + 31. Everything made is removed at the end,
# accounts, databases and processes included, failed or not.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

# the installed programs load the installed library, not the build's
unset LD_LIBRARY_PATH
[ "$(id -u)" -eq 0 ] || bail "needs root: it makes accounts and runs nginx as www-data"
getent group www-data >/dev/null || bail "needs the group www-data (Debian's nginx package)"
for tool in curl xmllint openssl runuser useradd userdel make tar; do
    command -v "$tool" >/dev/null || bail "$tool is needed"
done
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX_BIN" ] || bail "nginx is needed"
url_port=${ASYNCTASKS_TEST_URL:-}
url_port=${url_port##*:}
[[ $url_port =~ ^[0-9]+$ ]] || bail "ASYNCTASKS_TEST_URL names no port"
PORT_ROOT=$((url_port + 30)) PORT_HOST=$((url_port + 31))
GUIDE=$top_srcdir/docs/DEPLOY.md
[ -r "$GUIDE" ] || bail "$GUIDE is missing"
DB_SOCKET=$(sed -n 's/^db_socket *= *//p' "$ASYNCTASKS_TEST_CONFIG")
[ -S "$DB_SOCKET" ] || bail "the test configuration names no MariaDB socket"

T=$(mktemp -d /tmp/at-deploy.XXXXXX) || bail "mktemp"
chmod 0711 "$T"
ID=$$
SVC=atdsvc$ID HOSTING=atdhost$ID
H=$T/home/$HOSTING
DBS=(atd_r$ID atd_h$ID)
ACCOUNTS=(atd_r$ID atd_rm$ID atd_h$ID atd_hm$ID)

# the administrator of the test MariaDB, and the private nginx, under the
# names the guide uses
mariadb() {
    command mariadb --no-defaults --protocol=socket --socket="$DB_SOCKET" --user=root "$@"
}
nginx() { "$NGINX_BIN" -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" "$@"; }
export -f mariadb nginx
export DB_SOCKET NGINX_BIN T

stop_pidfile() { # stop_pidfile FILE: SIGTERM to its process, and wait
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 0
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    wait_until 30 eval "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null
}
stop_account() { # stop_account USER: every process of the throwaway account, by pid
    local pid
    id "$1" >/dev/null 2>&1 || return 0
    for pid in $(ps -o pid= -u "$1" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
    wait_until 30 eval "[ -z \"\$(ps -o pid= -u $1)\" ]" || {
        for pid in $(ps -o pid= -u "$1" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    }
}
cleanup() {
    local d a
    for f in "$T"/root/prefix/var/run/asynctasks/{asynctasksd,fcgi}.pid; do stop_pidfile "$f"; done
    stop_account "$HOSTING"
    stop_account "$SVC"
    stop_pidfile "$T/nginx/nginx.pid"
    for d in "${DBS[@]}"; do mariadb -e "DROP DATABASE IF EXISTS \`$d\`" 2>/dev/null; done
    for a in "${ACCOUNTS[@]}"; do mariadb -e "DROP USER IF EXISTS '$a'@'localhost'" 2>/dev/null; done
    id "$HOSTING" >/dev/null 2>&1 && userdel -r "$HOSTING" 2>/dev/null
    id "$SVC" >/dev/null 2>&1 && userdel "$SVC" 2>/dev/null
    getent group "$SVC" >/dev/null && groupdel "$SVC" 2>/dev/null
    getent group "$HOSTING" >/dev/null && groupdel "$HOSTING" 2>/dev/null
    rm -rf -- "$T"
}
trap cleanup EXIT

# step_ok STATUS NAME LOG...: ok, and the end of the logs when it failed
step_ok() {
    local st=$1 name=$2
    shift 2
    ok "$st" "$name"
    [ "$st" -eq 0 ] || tail -n 25 "$@" 2>&1 | sed 's/^/# /'
    return "$st"
}
# step STATUS NAME LOG...: step_ok for a step the rest needs: its failure
# ends the test
step() {
    step_ok "$@" || bail "$2: failed"
}

# ---- the guide's blocks ----

# block NAME: the shell block under the marker "<!-- deploy: NAME ...-->"
block() {
    awk -v n="$1" '
        index($0, "<!-- deploy: " n " ") == 1 { want = 1; next }
        want && /^```sh$/ { inb = 1; next }
        inb && /^```$/ { exit }
        inb { print }' "$GUIDE"
}
MARKERS=$(sed -n 's/^<!-- deploy: \([a-z-]*\) .*-->$/\1/p' "$GUIDE")
NOT_RUN=$(sed -n 's/^<!-- deploy: \([a-z-]*\) (not run by tests\/deploy.sh: .*) -->$/\1/p' "$GUIDE")
RUN_ROOT=(root-account root-passwords db-grants root-config root-dirs root-start nginx use)
RUN_HOSTING=(hosting-config hosting-start-script hosting-start)
RUN_ALL=(settings root-build hosting-build "${RUN_ROOT[@]}" "${RUN_HOSTING[@]}")
for m in $MARKERS; do
    if printf '%s\n' "${RUN_ALL[@]}" $NOT_RUN | grep -qx -- "$m"; then
        ok 0 "guide block $m: run here, or says why not"
    else
        ok 1 "guide block $m: run here, or says why not"
    fi
done
for b in "${RUN_ALL[@]}"; do
    ok "$([ -n "$(block "$b")" ]; echo $?)" "the guide has the block $b"
done
is "$(printf '%s\n' $NOT_RUN | sort | tr '\n' ' ')" "cron systemd " \
    "the blocks not run: systemd's and cron's alone"
# the migrate account's configuration is given to migrate alone
uses=$(grep -h -- '--config [^ ]*migrate.conf' <(for b in "${RUN_ALL[@]}"; do block "$b"; done))
ok "$([ -n "$uses" ] && ! grep -v -- 'migrate.conf" migrate$' <<<"$uses" >/dev/null; echo $?)" \
    "the guide uses the migrate account's configuration for migrate only"

# settings NAME=VALUE...: the settings block's variables, with the test's
# values; the names must be the guide's own.
settings() {
    local want got
    want=$(block settings | sed -n 's/^\([A-Z_]*\)=.*/\1/p' | sort | tr '\n' ' ')
    got=$(printf '%s\n' "$@" | sed 's/=.*//' | sort | tr '\n' ' ')
    [ "$want" = "$got" ] || {
        echo "settings differ: the guide's $want, the test's $got" >&2
        return 1
    }
    printf '%q\n' "$@"
}
# script SETTINGS BLOCK...: one shell script of the settings and the blocks
script() {
    local s=$1 b
    shift
    printf 'set -euo pipefail\n%s\n' "$s"
    for b; do
        printf '# ---- %s ----\n' "$b"
        block "$b"
    done
}

# ---- the release tree, as make dist tars it ----

VERSION=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
[ -n "$VERSION" ] || bail "no PACKAGE_VERSION in $top_builddir/Makefile"
mkdir -p "$T/dist" "$T/root" "$T/home" "$T/nginx/sites"
chmod 0711 "$T/home"
make -s -C "$top_builddir" distdir distdir="$T/dist/asynctasks-$VERSION" >"$T/dist.log" 2>&1 ||
    bail "make distdir failed: $(tail -n 5 "$T/dist.log")"
tar -C "$T/dist" -czf "$T/root/asynctasks-$VERSION.tar.gz" "asynctasks-$VERSION" ||
    bail "cannot make the tarball"
rm -rf -- "$T/dist"

useradd -r -m -d "$H" -G www-data -s /bin/sh "$HOSTING" || bail "useradd $HOSTING failed"
cp "$T/root/asynctasks-$VERSION.tar.gz" "$H/"
chown "$HOSTING:" "$H/asynctasks-$VERSION.tar.gz"

PREFIX_R=$T/root/prefix
SET_ROOT=$(settings PREFIX="$PREFIX_R" SERVICE_USER="$SVC" WEB_GROUP=www-data \
    UNITDIR="$PREFIX_R/lib/systemd/system" TMPFILESDIR="$PREFIX_R/lib/tmpfiles.d" \
    DB="${DBS[0]}" DB_USER="${ACCOUNTS[0]}" DB_MIGRATE_USER="${ACCOUNTS[1]}" \
    DB_SOCKET="$DB_SOCKET" BASE_PATH=/tasks NGINX_SITE="$T/nginx/sites/root.conf" \
    LISTEN="127.0.0.1:$PORT_ROOT") || bail "the guide's settings"
SET_HOST=$(settings PREFIX="$H/asynctasks" SERVICE_USER="$HOSTING" WEB_GROUP=www-data \
    UNITDIR=no TMPFILESDIR=no DB="${DBS[1]}" DB_USER="${ACCOUNTS[2]}" \
    DB_MIGRATE_USER="${ACCOUNTS[3]}" DB_SOCKET="$DB_SOCKET" BASE_PATH=/tasks \
    NGINX_SITE="$T/nginx/sites/hosting.conf" LISTEN="127.0.0.1:$PORT_HOST") ||
    bail "the guide's settings"
as_hosting() { # as_hosting SCRIPT: runs it as the account, in its home, with its own environment
    runuser -u "$HOSTING" -- env -i HOME="$H" USER="$HOSTING" PATH=/usr/local/bin:/usr/bin:/bin \
        LANG=C.UTF-8 bash -c "cd && $1"
}

# Both builds at once: each is a configure and a make of its own.
START=$(date +%s)
(cd "$T/root" && bash -c "$(script "$SET_ROOT" root-build)") >"$T/root-build.log" 2>&1 &
ROOT_BUILD=$!
as_hosting "$(script "$SET_HOST" hosting-build)" >"$T/hosting-build.log" 2>&1 &
HOST_BUILD=$!
wait "$ROOT_BUILD"
step $? "root: the guide's build and install" "$T/root-build.log"
wait "$HOST_BUILD"
step $? "hosting: the guide's build and install, as $HOSTING" "$T/hosting-build.log"
diag "both builds took $(($(date +%s) - START)) s"

# the private nginx: its workers are www-data, as Debian's
cat >"$T/nginx/nginx.conf" <<EOF
user www-data www-data;
worker_processes 1;
pid $T/nginx/nginx.pid;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log $T/nginx/access.log;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    include $T/nginx/sites/*.conf;
}
EOF
nginx 2>"$T/nginx/start.err" || bail "nginx did not start: $(cat "$T/nginx/start.err")"

# ---- what both passes check ----


# grants DB ACCOUNT: the account's grants are exactly the runtime's
grants() {
    is "$(mariadb --batch --skip-column-names -e "SHOW GRANTS FOR '$2'@'localhost'" |
        sed -n 's/^GRANT \(.*\) ON .*/\1 ON/p' | sort | tr '\n' ';')" \
        "SELECT, INSERT, UPDATE, DELETE ON;USAGE ON;" \
        "$3: the runtime account $2 has SELECT, INSERT, UPDATE and DELETE, nothing more"
    is "$(mariadb --batch --skip-column-names -e "SHOW GRANTS FOR '$2'@'localhost'" |
        grep -c "ON \`$1\`\\.\\*")" 1 "$3: ... and only on $1"
}

# http_flow WHAT PORT DIR: a task enqueued over HTTP with the token in
# DIR/api-token runs, and the admin (DIR/admin-password) finds it in the
# screen, logged in over HTTP.
http_flow() {
    local what=$1 url=http://127.0.0.1:$2/tasks dir=$3 st loc id jar=$T/jar.$1 tok status
    st=$(curl -sS -o "$T/api.out" -D "$T/api.h" -w '%{http_code}' \
        -H "Authorization: Bearer $(cat "$dir/api-token")" -d user=bob@example.com -d type=noop \
        "$url/api/v1/tasks")
    is "$st" 201 "$what: a task enqueued over HTTP with the token: 201"
    loc=$(sed -n 's/^Location: \(.*\)\r$/\1/p' "$T/api.h")
    like "$loc" '^/tasks/admin/async-tasks/tasks/[0-9]+\?business=acme$' "$what: its Location is in the screen"
    id=${loc#/tasks/admin/async-tasks/tasks/}
    id=${id%%\?*}
    task_status() {
        curl -sS -H "Authorization: Bearer $(cat "$dir/api-token")" "$url/api/v1/tasks/$id" |
            xmllint --xpath "string(/*[local-name()='task']/@status)" - 2>/dev/null
    }
    wait_until 60 eval '[ "$(task_status)" = succeeded ]'
    is "$(task_status)" succeeded "$what: the task ran in the installed noop plugin"
    : >"$jar"
    curl -sS -b "$jar" -c "$jar" -o "$T/login.html" "$url/login"
    tok=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$T/login.html" | head -n 1)
    st=$(curl -sS -b "$jar" -c "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
        --data-urlencode "csrf=$tok" --data-urlencode email=admin@example.com \
        --data-urlencode "password=$(cat "$dir/admin-password")" "$url/login")
    like "$st" "^303 http://127.0.0.1:$2/tasks/admin/async-tasks" "$what: the admin logs in over HTTP"
    curl -sS -b "$jar" -c "$jar" -o "$T/list.html" "$url/admin/async-tasks?business=acme&status=all"
    status=$(xmllint --xpath "string(//*[@id='task-$id']/@data-status)" "$T/list.html" 2>/dev/null)
    is "$status" succeeded "$what: the task shows in the screen, succeeded"
}

# answers PORT WHAT: nginx (reloaded) passes the screen's login page on
answers() {
    wait_until 10 eval "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$1/tasks/login)\" = 200 ]"
    ok $? "$2: nginx passes /tasks/ to the application"
}

# connections DB USER WHAT: the programs connect as USER alone
connections() {
    is "$(mariadb --batch --skip-column-names -e \
        "SELECT DISTINCT user FROM information_schema.processlist WHERE db = '$1'")" "$2" \
        "$3: the programs' connections are the runtime account's"
}

# running WHAT RUNDIR USER: the supervisor and the screen have started,
# as USER, and the socket is USER's and the web server's group's, 0660
running() {
    local pid
    wait_until 10 test -S "$2/fcgi.sock" -a -s "$2/asynctasksd.pid"
    is "$(stat -c '%U:%G %a' "$2/fcgi.sock" 2>&1)" "$3:www-data 660" \
        "$1: the socket is $3's and the web server's group's, 0660"
    pid=$(cat "$2/asynctasksd.pid" 2>/dev/null)
    is "$(ps -o user= -p "${pid:-1}" 2>/dev/null | tr -d ' ')" "$3" "$1: the supervisor runs as $3"
}

# serving WHAT DB ACCOUNT PORT DIR LOG...: the runtime account's grants,
# nginx in front, a task enqueued over HTTP runs and shows in the screen,
# the programs connect as the runtime account, and their logs are clean
serving() {
    local what=$1 db=$2 account=$3 port=$4 dir=$5
    shift 5
    grants "$db" "$account" "$what"
    answers "$port" "$what"
    http_flow "$what" "$port" "$dir"
    connections "$db" "$account" "$what"
    ! grep -q -E 'error|Sanitizer' "$@"
    step_ok $? "$what: nothing went wrong in the programs' logs" "$@"
}

# ==== with root ====

(cd "$T/root" && bash -c "$(script "$SET_ROOT" "${RUN_ROOT[@]}")") >"$T/root.log" 2>&1
step $? "root: the guide's steps, from the account to the first token" "$T/root.log"
R=$PREFIX_R/var/run/asynctasks
running root "$R" "$SVC"
FC_PID=$(cat "$R/fcgi.pid" 2>/dev/null)
is "$(ps -o user= --ppid "${FC_PID:-1}" 2>/dev/null | sort -u | tr -d ' ')" "$SVC" \
    "root: the screen's workers run as $SVC"
is "$(stat -c '%U:%G %a' "$PREFIX_R/etc/asynctasks/db-password" "$PREFIX_R/etc/asynctasks/migrate.conf" | tr '\n' ' ')" \
    "root:$SVC 640 root:root 600 " "root: the password readable by the group, the migrate configuration by root alone"
serving root "${DBS[0]}" "${ACCOUNTS[0]}" "$PORT_ROOT" "$T/root" "$PREFIX_R"/var/log/*.log
for f in "$R/asynctasksd.pid" "$R/fcgi.pid"; do stop_pidfile "$f"; done

# ==== shared hosting, without root ====

# the host: the database and its two accounts, by the guide's statements
HPW=$(openssl rand -hex 16) HMPW=$(openssl rand -hex 16)
(bash -c "$(script "$SET_HOST
DB_PASSWORD=$HPW DB_MIGRATE_PASSWORD=$HMPW" db-grants)") >"$T/host-db.log" 2>&1
step $? "hosting: the host makes the database and its accounts" "$T/host-db.log"
# the account: its configuration, and its programs started
as_hosting "$(script "$SET_HOST
DB_PASSWORD=$HPW DB_MIGRATE_PASSWORD=$HMPW" "${RUN_HOSTING[@]}")" >"$T/hosting.log" 2>&1
step $? "hosting: the guide's steps as $HOSTING, without root" "$T/hosting.log"
R=$H/asynctasks/var/run/asynctasks
running hosting "$R" "$HOSTING"
ok "$(runuser -u www-data -- test -w "$R/fcgi.sock"; echo $?)" "hosting: the web server may connect"
ok "$(! runuser -u nobody -- test -w "$R/fcgi.sock"; echo $?)" "hosting: another account may not"
# the host's nginx includes the snippet the account installed
(bash -c "$(script "$SET_HOST" nginx)") >"$T/host-nginx.log" 2>&1
step $? "hosting: the host's nginx takes the installed snippet" "$T/host-nginx.log"
as_hosting "$(script "$SET_HOST" use)" >"$T/hosting-use.log" 2>&1
step $? "hosting: the admin and the token, as $HOSTING" "$T/hosting-use.log"
serving hosting "${DBS[1]}" "${ACCOUNTS[2]}" "$PORT_HOST" "$H" "$H"/asynctasks/var/*.log
diag "the whole test took $(($(date +%s) - START)) s"
done_testing
