/* wake.c: the wake-up that lets an idle executor start a new task at once
 * instead of at its next poll.
 *
 * Every supervisor binds a UDP socket and registers its address; its idle
 * executors wait on that socket. Whoever makes work runnable (enqueue,
 * resume) sends each live supervisor one datagram. It names the business
 * whose work it is, in decimal, or is empty when that is several or none:
 * for whoever watches the traffic, since executors do not read it. It
 * proves nothing: it only makes executors run their claim query now, so a
 * forged one costs a query and no more. */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#define WAKE_ADDRS_MAX 64
#define WAKE_CACHE_US  1000000 /* how long the list of addresses is reused */

/* Per process: addresses do not depend on the connection. */
static struct sockaddr_in addrs[WAKE_ADDRS_MAX];
static size_t naddrs;
static at_time fetched_at;
static int sock = -1;

/* "a.b.c.d:port" into an address: 0, or -1 when malformed. */
static int
wake_addr_parse(const char *text, struct sockaddr_in *out)
{
    char host[32];
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t) (colon - text) >= sizeof host)
        return -1;
    memcpy(host, text, (size_t) (colon - text));
    host[colon - text] = 0;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || port == 0 || port > 65535 || colon[1] == 0)
        return -1;
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons((uint16_t) port);
    return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

struct addr_row {
    char text[64];
};

static int
fill_addr(const db_res *r, void *elem, at_error *err)
{
    db_copy(r, 0, ((struct addr_row *) elem)->text, sizeof ((struct addr_row *) elem)->text);
    return AT_OK;
}

static void
refresh(at_db *db)
{
    at_time now = at_time_now();
    if (fetched_at && now - fetched_at < WAKE_CACHE_US && now >= fetched_at)
        return;
    struct addr_row *v = NULL;
    size_t n = 0;
    at_error err;
    db_arg lim[] = {da_u64(WAKE_ADDRS_MAX)};
    if (db_rows(db, DB_RETRY,
                "SELECT wake_addr FROM supervisors WHERE wake_addr <> '' "
                "AND heartbeat_at > UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE ORDER BY id LIMIT ?",
                lim, 1, sizeof *v, fill_addr, (void **) &v, &n, &err) != AT_OK) {
        at_log(AT_LOG_DEBUG, "wake: %s", err.msg);
        return;
    }
    naddrs = 0;
    for (size_t i = 0; i < n; i++)
        if (wake_addr_parse(v[i].text, &addrs[naddrs]) == 0)
            naddrs++;
    free(v);
    fetched_at = now;
}

void
at_wake(at_db *db, uint64_t business_id)
{
    refresh(db);
    if (naddrs == 0)
        return;
    if (sock < 0) {
        sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (sock < 0)
            return;
    }
    char text[24] = "";
    int len = business_id ? snprintf(text, sizeof text, "%" PRIu64, business_id) : 0;
    for (size_t i = 0; i < naddrs; i++)
        (void) sendto(sock, text, (size_t) len, 0, (const struct sockaddr *) &addrs[i],
                      sizeof addrs[i]);
}
