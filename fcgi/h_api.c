/* h_api.c: the HTTP API for programs: enqueue a task of the token's
 * business (POST /api/v1/tasks, with an Idempotency-Key or without) and
 * read its state back (GET /api/v1/tasks/{id}). http.c has checked the bearer token and set
 * c->acc.business to its business; every answer is XML. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/run.h>

#include "app.h"

/* The task's document; status is 200, or 201 for a new one. */
static int
answer_task(fc_ctx *c, uint64_t id, int status)
{
    at_task t;
    at_pause_set rules;
    if (fc_task_load(c, id, &t, &rules))
        return 0;
    c->resp.status = status;
    fc_xml_task_document(c, &t, &rules, NULL);
    at_pause_set_free(&rules);
    at_task_clear(&t);
    return 0;
}

void
fc_api_request(const fc_ctx *c, const fc_value *vals, at_enqueue *req)
{
    const fc_value *payload = fc_arg_of(c, vals, "payload"), *run_at = fc_arg_of(c, vals, "run_at");
    memset(req, 0, sizeof *req);
    req->payload = payload->present ? payload->s : NULL;
    req->payload_len = req->payload ? strlen(req->payload) : 0;
    req->priority = (int) fc_arg_of(c, vals, "priority")->i;
    req->run_at = run_at->present ? run_at->t : 0;
}

/* One task by its user's email and type's name. An email that is no
 * member and a user of another business get the same answer, so that a
 * token tells nothing about who uses the platform elsewhere. The answer
 * is the task as written, read back only when a rule holds it (to name
 * the rule). */
int
h_api_enqueue(fc_ctx *c)
{
    at_error err;
    if (c->xml_body && c->idempotency_key)
        return fc_error(c, 400,
                        "Idempotency-Key goes with a single task: a bulk request is one "
                        "transaction, all or none, and is not made idempotent by a key.");
    if (c->xml_body)
        return h_api_enqueue_many(c);
    at_enqueue req;
    fc_api_request(c, c->p, &req);
    req.business_id = c->acc.business.id;
    char key[AT_IDEM_KEY_BUF];
    if (c->idempotency_key) {
        if (at_idem_key_parse(c->idempotency_key, key, &err))
            return fc_fail(c, &err);
        req.idem_key = key;
        const fc_value *run_at = fc_arg(c, "run_at");
        req.run_at_text = run_at->present ? at_idem_run_at_text(run_at->s) : NULL;
    }
    /* enqueue checks the payload against the type's parameters (the
     * message names the parameter) and wakes an idle executor */
    at_task t;
    int held, existing;
    if (at_task_enqueue_named(c->db, &req, fc_arg(c, "user")->s, fc_arg(c, "type")->s, &t, &held,
                              &existing, &err))
        return fc_fail(c, &err);
    char url[512];
    snprintf(url, sizeof url, "%s/admin/async-tasks/tasks/%" PRIu64 "?business=%s", fc_base(c),
             t.id, c->acc.business.slug);
    fc_add_header(c, "Location", url);
    /* the key's first task, as it is now: 200, not 201 */
    if (existing)
        return answer_task(c, t.id, 200);
    if (held) {
        at_task_clear(&t);
        return answer_task(c, t.id, 201);
    }
    c->resp.status = 201;
    fc_xml_task_document(c, &t, NULL, NULL);
    at_task_clear(&t);
    return 0;
}

int
h_api_task(fc_ctx *c)
{
    return answer_task(c, c->path_id, 200);
}
