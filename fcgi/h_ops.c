/* h_ops.c: what monitoring asks, without a session (FC_OPS: no cookie is
 * read or set, no login is counted).
 *  - GET /healthz: one statement (the database clock) over the worker's
 *    connection, which the library opens again when it was lost: 200 "ok",
 *    or 503 when the database does not answer. Nothing else is read.
 *  - GET /metrics: the stats (lib/stats.c) in the Prometheus text format,
 *    to a request that lib/metrics_access.c lets in; 403 to others, 404
 *    while metrics are not configured at all. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"

#define TEXT       "text/plain; charset=utf-8"
#define PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"

static int
say(fc_ctx *c, int status, const char *text)
{
    return fc_text(c, status, TEXT, text, strlen(text));
}

int
h_healthz(fc_ctx *c)
{
    at_time now;
    at_error err;
    if (at_db_now(c->db, &now, &err)) {
        at_log(AT_LOG_DEBUG, "GET /healthz: %s", err.msg);
        return say(c, 503, "database unavailable\n");
    }
    return say(c, 200, "ok\n");
}

int
h_metrics(fc_ctx *c)
{
    int rc = at_metrics_access(c->cfg, c->remote_addr,
                               *c->authorization ? c->authorization : NULL);
    if (rc == AT_ENOTFOUND)
        return say(c, 404, "Metrics are not enabled: set metrics_token_file or metrics_allow "
                           "in the configuration.\n");
    if (rc) {
        at_log(AT_LOG_INFO, "GET /metrics refused to %s", *c->remote_addr ? c->remote_addr : "?");
        return say(c, 403, "Metrics need the metrics token (\"Authorization: Bearer TOKEN\") "
                           "or an address of metrics_allow.\n");
    }
    at_stats s;
    at_error err;
    char *text = NULL;
    size_t len = 0;
    if (at_stats_get(c->db, &s, &err) || at_stats_prometheus(&s, &text, &len, &err)) {
        at_stats_free(&s);
        if (err.code == AT_EDB || err.code == AT_ESCHEMA) {
            at_log(AT_LOG_ERROR, "GET /metrics: %s", err.msg);
            return say(c, 503, "database unavailable\n");
        }
        at_log(AT_LOG_ERROR, "GET /metrics: %s", err.msg);
        return say(c, 500, "The metrics could not be read; it has been logged.\n");
    }
    at_stats_free(&s);
    fc_text(c, 200, PROMETHEUS, text, len);
    free(text);
    return 0;
}
