/* h_api.c: the HTTP API for programs: enqueue a task of the token's
 * business (POST /api/v1/tasks) and read its state back
 * (GET /api/v1/tasks/{id}). http.c has checked the bearer token and set
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

/* The member of the token's business with this email. An unknown email
 * and a user of another business get the same answer, so that a token
 * tells nothing about who uses the platform elsewhere. */
static int
member(fc_ctx *c, const char *email, at_user *u)
{
    at_error err;
    int role;
    int rc = at_member_get(c->db, c->acc.business.id, email, u, &role, &err);
    if (rc == AT_EINVAL)
        return fc_error(c, 400, err.msg), -1;
    if (rc == AT_ENOTFOUND || (rc == AT_OK && role == AT_ROLE_NONE)) {
        char msg[AT_NAME_BUF + 64];
        snprintf(msg, sizeof msg, "user '%s' is not a member of this business", email);
        return fc_error(c, 404, msg), -1;
    }
    if (rc)
        return fc_fail(c, &err), -1;
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

int
h_api_enqueue(fc_ctx *c)
{
    at_user u;
    at_task_type type;
    at_error err;
    if (c->xml_body)
        return h_api_enqueue_many(c);
    if (member(c, fc_arg(c, "user")->s, &u))
        return 0;
    if (at_task_type_get(c->db, fc_arg(c, "type")->s, &type, &err))
        return fc_fail(c, &err); /* a malformed name is 400, an unknown one 404 */
    at_enqueue req;
    fc_api_request(c, c->p, &req);
    req.business_id = c->acc.business.id;
    req.user_id = u.id;
    req.task_type_id = type.id;
    /* enqueue checks the payload against the type's parameters (the
     * message names the parameter) and wakes an idle executor */
    uint64_t id = 0;
    if (at_task_enqueue(c->db, &req, &id, &err))
        return fc_fail(c, &err);
    char url[128];
    snprintf(url, sizeof url, "/admin/async-tasks/tasks/%" PRIu64 "?business=%s", id,
             c->acc.business.slug);
    fc_add_header(c, "Location", url);
    return answer_task(c, id, 201);
}

int
h_api_task(fc_ctx *c)
{
    return answer_task(c, c->path_id, 200);
}
