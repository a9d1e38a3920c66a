/* h_api_bulk.c: the bulk enqueue of the HTTP API: POST /api/v1/tasks
 * with an XML document of up to AT_ENQUEUE_MANY_MAX tasks (docs/api.rng).
 * Each task is a set of the route's parameters, checked by the same
 * table as the form; the names are looked up in bulk; the whole document
 * is one transaction and one wake-up. Answers: 201 with the new ids in
 * order, 422 naming each bad task by its position, 400 for a document
 * that cannot be read, 413 for too many tasks. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "bulk_xml.h"

#define TEXT_FIELD "payload" /* the field a task carries as an element */

/* The work of one request: per task, its checked fields, names, request,
 * error and new id. */
typedef struct bulk_work {
    size_t n;
    fc_value (*vals)[FC_PARAMS_PER_ROUTE];
    at_task_names *names;
    at_enqueue *reqs;
    at_error *errs;
    uint64_t *ids;
} bulk_work;

static int
work_alloc(bulk_work *w, size_t n)
{
    w->n = n;
    w->vals = calloc(n, sizeof *w->vals);
    w->names = calloc(n, sizeof *w->names);
    w->reqs = calloc(n, sizeof *w->reqs);
    w->errs = calloc(n, sizeof *w->errs);
    w->ids = calloc(n, sizeof *w->ids);
    return w->vals && w->names && w->reqs && w->errs && w->ids ? 0 : -1;
}

static void
work_free(bulk_work *w, size_t nparams)
{
    for (size_t i = 0; w->vals && i < w->n; i++)
        fc_params_free(w->vals[i], nparams);
    free(w->vals);
    free(w->names);
    free(w->reqs);
    free(w->errs);
    free(w->ids);
}

/* The route's parameters but the text field are a task's attributes. */
static void
route_attrs(const fc_route *rt, const char **attrs)
{
    size_t k = 0;
    for (size_t i = 0; i < rt->nparams; i++)
        if (strcmp(rt->params[i].name, TEXT_FIELD) != 0)
            attrs[k++] = rt->params[i].name;
    attrs[k] = NULL;
}

/* Each task's fields, checked as a form's: its names and request. */
static void
check_fields(fc_ctx *c, const fc_bulk *b, bulk_work *w)
{
    for (size_t i = 0; i < w->n; i++) {
        if (b->v[i].err.code) {
            w->errs[i] = b->v[i].err;
            continue;
        }
        fc_value *v = w->vals[i];
        if (fc_params_check(c->route->params, c->route->nparams, &b->v[i].fields, c->acc.now, v,
                            &w->errs[i]))
            continue;
        w->names[i] = (at_task_names){c->acc.business.slug, fc_arg_of(c, v, "user")->s,
                                      fc_arg_of(c, v, "type")->s};
        fc_api_request(c, v, &w->reqs[i]);
    }
}

/* The names of the tasks whose fields are good, looked up in bulk; the
 * requests are checked as enqueue will check them. */
static int
resolve(fc_ctx *c, bulk_work *w, at_error *err)
{
    size_t *at = malloc(w->n * sizeof *at), m = 0, nbad;
    at_task_names *names = malloc(w->n * sizeof *names);
    at_enqueue *reqs = malloc(w->n * sizeof *reqs);
    at_error *errs = malloc(w->n * sizeof *errs);
    at_resolver *r = NULL;
    int rc = at && names && reqs && errs ? at_resolver_open(c->db, &r, err)
                                         : at_error_set(err, AT_ENOMEM, "out of memory");
    for (size_t i = 0; rc == AT_OK && i < w->n; i++)
        if (!w->errs[i].code) {
            at[m] = i;
            names[m] = w->names[i];
            reqs[m++] = w->reqs[i];
        }
    if (rc == AT_OK && m && (rc = at_resolver_prepare(r, names, reqs, m, errs, &nbad, err)) && nbad)
        rc = AT_OK; /* the items say what is wrong */
    for (size_t j = 0; rc == AT_OK && j < m; j++) {
        w->reqs[at[j]] = reqs[j];
        w->errs[at[j]] = errs[j];
    }
    at_resolver_close(r);
    free(at);
    free(names);
    free(reqs);
    free(errs);
    return rc;
}

static size_t
count_bad(const bulk_work *w)
{
    size_t nbad = 0;
    for (size_t i = 0; i < w->n; i++)
        nbad += w->errs[i].code != AT_OK;
    return nbad;
}

/* 422: the error document names each bad task by position. */
static int
answer_items(fc_ctx *c, const bulk_work *w, size_t nbad)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%zu of %zu tasks cannot be enqueued: nothing was enqueued", nbad,
             w->n);
    if (vw_xml_begin(c, "error"))
        return fc_error(c, 500, "Out of memory.");
    c->resp.status = 422;
    vw_attr(c, "status", "422");
    vw_attr(c, "message", msg);
    for (size_t i = 0; i < w->n; i++) {
        if (!w->errs[i].code)
            continue;
        vw_start(c, "item", NULL);
        vw_attrf(c, "position", "%zu", i + 1);
        vw_attr(c, "message", w->errs[i].msg);
        vw_end(c);
    }
    vw_xml_end(c);
    return 0;
}

/* 201: the new tasks' ids, in the order of the document. */
static int
answer_ids(fc_ctx *c, const bulk_work *w)
{
    if (vw_xml_begin(c, "enqueued"))
        return fc_error(c, 500, "Out of memory.");
    c->resp.status = 201;
    vw_attr(c, "business", c->acc.business.slug);
    vw_attrf(c, "count", "%zu", w->n);
    for (size_t i = 0; i < w->n; i++) {
        vw_start(c, "task", NULL);
        vw_attrf(c, "id", "%" PRIu64, w->ids[i]);
        vw_end(c);
    }
    vw_xml_end(c);
    return 0;
}

static int
enqueue(fc_ctx *c, bulk_work *w)
{
    at_error err;
    if (resolve(c, w, &err))
        return fc_fail(c, &err);
    for (size_t i = 0; i < w->n; i++)
        if (w->errs[i].code == AT_ENOMEM)
            return fc_fail(c, &w->errs[i]);
    size_t nbad = count_bad(w);
    if (nbad)
        return answer_items(c, w, nbad);
    if (at_task_enqueue_many(c->db, w->reqs, w->n, w->ids, w->errs, &err))
        return (nbad = count_bad(w)) ? answer_items(c, w, nbad) : fc_fail(c, &err);
    return answer_ids(c, w);
}

int
h_api_enqueue_many(fc_ctx *c)
{
    const char *attrs[FC_PARAMS_PER_ROUTE + 1];
    route_attrs(c->route, attrs);
    fc_bulk b;
    at_error err;
    if (fc_bulk_parse(c->xml_body, c->xml_body_len, attrs, TEXT_FIELD, AT_ENQUEUE_MANY_MAX, &b,
                      &err))
        return err.code == AT_EINVAL ? fc_error(c, b.too_many ? 413 : 400, err.msg)
                                     : fc_fail(c, &err);
    bulk_work w = {0};
    if (work_alloc(&w, b.n)) {
        fc_error(c, 500, "Out of memory.");
    } else {
        check_fields(c, &b, &w);
        enqueue(c, &w);
    }
    work_free(&w, c->route->nparams);
    fc_bulk_free(&b);
    return 0;
}
