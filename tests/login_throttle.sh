#!/usr/bin/env bash
# tests/login_throttle.sh: the login throttle over HTTP, through nginx, the
# app and the database (docs/SECURITY.md, "Logging in"): parallel wrong
# passwords get at most the limit checked; the owner logs in from another
# address while one address is blocked; unknown emails are counted like
# known ones, per address too; expired counts stop blocking and are
# deleted a few at a time; `asynctasks login unlock` clears a count and
# is audited. Each client address is one of 127.0.0.0/8 (curl
# --interface), so that the test's counts are its own.
#
# Needs ASYNCTASKS_TEST_URL (the test instance, as dev/check starts it)
# and ASYNCTASKS_TEST_FCGI_LOG (its log, which names each password that
# was checked and failed).
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

for tool in curl xmllint; do
    command -v "$tool" >/dev/null || bail "$tool is needed"
done
FCGI_LOG=${ASYNCTASKS_TEST_FCGI_LOG:-}
[ -n "$FCGI_LOG" ] && [ -f "$FCGI_LOG" ] || bail "ASYNCTASKS_TEST_FCGI_LOG names no log file"
HTTP_TEST=login_throttle
# shellcheck source=http_lib.sh
. "$top_srcdir/tests/http_lib.sh"

PAIR_MAX=5 ADDR_MAX=50 # include/asynctasks/session.h
RUN=lt$$t$(date +%s)
PW="pw $RUN"
EMAIL=owner-$RUN@example.org
cli user add "$EMAIL" "Owner $RUN" --password-file - <<<"$PW"
# ip N: this run's Nth client address.
NET=127.$((1 + ($$ >> 8) % 254)).$(($$ % 256))
ip() { printf '%s.%s' "$NET" "$1"; }
curl -s -o /dev/null --interface "$(ip 1)" "$URL/login" ||
    bail "cannot reach $URL from $(ip 1)"

# login_from N EMAIL PASSWORD: the login form from address N, as a new
# visitor (a cookie jar of its own, emptied); ST is the POST's status.
login_from() {
    local jar=$WORK/jar.$1 tok
    : >"$jar"
    req "$jar" --interface "$(ip "$1")" "$URL/login"
    tok=$(csrf_in_body)
    [ -n "$tok" ] || bail "no login token for $(ip "$1")"
    req "$jar" --interface "$(ip "$1")" --data-urlencode "csrf=$tok" \
        --data-urlencode "email=$2" --data-urlencode "password=$3" "$URL/login"
}
alert() { xp 'string(//*[@role="alert"])'; }
rows() { q "SELECT COUNT(*) FROM login_throttle WHERE $1"; }

# ==== parallel wrong passwords: at most the limit is checked ====

: >"$WORK/jar.par"
req "$WORK/jar.par" --interface "$(ip 1)" "$URL/login"
TOK=$(csrf_in_body)
[ -n "$TOK" ] || bail "no login token"
N=30
for i in $(seq 1 $N); do
    curl -s -o /dev/null -w '%{http_code}\n' --interface "$(ip 1)" -b "at_login=$TOK" \
        --data-urlencode "csrf=$TOK" --data-urlencode "email=$EMAIL" \
        --data-urlencode "password=guess $i" "$URL/login" >"$WORK/par.$i" &
done
wait
codes=$(cat "$WORK"/par.* | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
is "$codes" "401:$PAIR_MAX 429:$((N - PAIR_MAX)) " \
    "$N parallel wrong passwords: $PAIR_MAX checked (401), the rest refused unchecked (429)"
is "$(grep -c "failed login from $(ip 1)\$" "$FCGI_LOG")" "$PAIR_MAX" \
    "the app checked $PAIR_MAX passwords (its log names each failure)"
is "$(q "SELECT failures FROM login_throttle WHERE addr = '$(ip 1)' AND email = '$EMAIL'")" "$N" \
    "each attempt was counted for the email at the address"
is "$(q "SELECT failures FROM login_throttle WHERE addr = '$(ip 1)' AND email = ''")" "$N" \
    "and for the address"

# ==== the owner from another address ====

login_from 1 "$EMAIL" "$PW"
status_is 429 "the right password from the blocked address: 429"
like "$(alert)" '^Too many failed logins for this email\. Try again in [0-9]+ seconds?\.$' \
    "429: says why and for how long"
like "$(hdr Retry-After)" '^[1-9][0-9]*$' "429: Retry-After in seconds"
is "$(set_cookie at_session)" "" "429: no session"
login_from 2 "$EMAIL" "$PW"
status_is 303 "the right password from another address logs in while the first is blocked"
ok "$([ -n "$(set_cookie at_session)" ]; echo $?)" "with a session"
is "$(rows "addr = '$(ip 2)'")" 1 "a success leaves no count of the email at its address"
is "$(q "SELECT failures FROM login_throttle WHERE addr = '$(ip 2)' AND email = ''")" 0 \
    "and gives the address its try back"

# ==== unknown emails ====

NOBODY=nobody-$RUN@example.org
for i in $(seq 1 $PAIR_MAX); do
    login_from 3 "$NOBODY" "guess $i"
    status_is 401 "an unknown email, failure $i: 401"
done
login_from 3 "$NOBODY" "guess 6"
status_is 429 "an unknown email past the limit: 429"
like "$(alert)" '^Too many failed logins for this email\.' "429: the same words as for a known one"
login_from 4 "$NOBODY" "guess 7"
status_is 401 "the unknown email from another address: checked (401)"

# Many emails from one address: the address's own limit.
: >"$WORK/jar.5"
req "$WORK/jar.5" --interface "$(ip 5)" "$URL/login"
TOK5=$(csrf_in_body)
fails=0
for i in $(seq 1 $ADDR_MAX); do
    req "$WORK/jar.5" --interface "$(ip 5)" --data-urlencode "csrf=$TOK5" \
        --data-urlencode "email=spray$i-$RUN@example.org" --data-urlencode "password=x" \
        "$URL/login"
    [ "$ST" = 401 ] || fails=$((fails + 1))
done
is "$fails" 0 "$ADDR_MAX unknown emails from one address: each checked (401)"
login_from 5 "$EMAIL" "$PW"
status_is 429 "then any email from that address, even with the right password: 429"
like "$(alert)" '^Too many failed logins from this address\. Try again in [0-9]+ seconds?\.$' \
    "429: says the address is blocked"
login_from 6 "$EMAIL" "$PW"
status_is 303 "the owner from another address: logged in"

# ==== expiry ====

# Time passing, which the product cannot do on demand: the counts of
# address 3 opened their window a day ago.
# Other tests log in meanwhile, and every login deletes a few expired
# counts: the rows are counted as they are aged, in one statement.
age() {
    q "UPDATE login_throttle SET window_start = window_start - INTERVAL 1 DAY WHERE $1;
       SELECT ROW_COUNT()"
}
is "$(age "addr = '$(ip 3)'")" 2 "address 3 has its count and the unknown email's"
login_from 7 "someone-$RUN@example.org" "x"
status_is 401 "a login from elsewhere"
is "$(rows "addr = '$(ip 3)'")" 0 "deletes the expired counts"
login_from 3 "$NOBODY" "guess 8"
status_is 401 "the unknown email is checked again at address 3"

# The 51 counts of address 5 expired at once: an attempt deletes a few.
aged=$(age "addr = '$(ip 5)'")
is "$aged" $((ADDR_MAX + 1)) "address 5 has $ADDR_MAX emails' counts and its own"
# A login of another test between the count and the one below deletes
# some too: then the next try (the rest of the 51 are still expired).
for try in 1 2 3 4 5; do
    ((try == 1)) || aged=$(rows "addr = '$(ip 5)'")
    login_from 8 "someone-$RUN@example.org" "x"
    gone=$((aged - $(rows "addr = '$(ip 5)'")))
    [ "$gone" = 8 ] && break
done
is "$gone" 8 "one login deletes 8 expired counts, no more"
login_from 5 "$EMAIL" "$PW"
status_is 303 "an expired count blocks no more, deleted or not: the owner logs in from address 5"

# ==== asynctasks login unlock ====

for i in $(seq 1 $PAIR_MAX); do
    login_from 9 "$EMAIL" "guess $i"
done
login_from 9 "$EMAIL" "$PW"
status_is 429 "the owner blocked at address 9"
run --config "$ASYNCTASKS_TEST_CONFIG" login unlock --email "$EMAIL" --address "$(ip 9)"
is "$RC $OUT" "0 cleared 2 failed-login counts" "login unlock --email --address: clears both counts"
login_from 9 "$EMAIL" "$PW"
status_is 303 "then the owner logs in from address 9"
run --config "$ASYNCTASKS_TEST_CONFIG" audit list --platform
is "$RC" 0 "audit list --platform exits 0"
like "$OUT" "cli:[^ ]+ +login_unlock +login +$EMAIL +address $(ip 9); 2 rows cleared" \
    "the unlock is in the platform's audit log, with who did it"
for i in $(seq 1 $PAIR_MAX); do
    login_from 10 "$EMAIL" "guess $i"
done
login_from 10 "$EMAIL" "$PW"
status_is 429 "the owner blocked at address 10"
run --config "$ASYNCTASKS_TEST_CONFIG" login unlock --email "$EMAIL"
is "$RC $OUT" "0 cleared 2 failed-login counts" \
    "login unlock --email: its counts at every address (10, and 1 of the parallel guesses)"
login_from 10 "$EMAIL" "$PW"
status_is 303 "then the owner logs in from address 10"
login_from 1 "$EMAIL" "$PW"
status_is 303 "and from address 1"
run --config "$ASYNCTASKS_TEST_CONFIG" login unlock
is "$RC" 64 "login unlock without an email or address: usage error (64)"
like "$OUT" "login unlock takes --email, --address or both" "and says what it takes"
run --config "$ASYNCTASKS_TEST_CONFIG" login unlock --address nowhere
is "$RC" 65 "login unlock --address nowhere: invalid input (65)"
like "$OUT" "'nowhere' is not an IPv4 or IPv6 address" "and says why"
run --config "$ASYNCTASKS_TEST_CONFIG" login frob
is "$RC" 64 "login with an unknown subcommand: 64"
run --config "$ASYNCTASKS_TEST_CONFIG" audit list --platform --business x
is "$RC" 64 "audit list with both --platform and --business: 64"

done_testing
