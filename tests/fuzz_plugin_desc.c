/* fuzz_plugin_desc.c: a fuzz target for the checks the plugin loader runs
 * on a plugin's descriptor (lib/plugin_load.c: at_plugin_desc_load), on a
 * descriptor built in memory from the input: its header (magic, ABI
 * version, struct sizes, the strides of a newer plugin's arrays), names
 * and texts, task types with fake run functions, and parameter
 * declarations. What a plugin gives is laid out as a compiled plugin
 * would: arrays as long as it declares them, with the stride it declares,
 * strings NUL-terminated. A descriptor that is accepted has only task
 * types and parameters that pass the host's own checks, distinct names,
 * and parameters that survive their stored "v1" text; a refusal names
 * the plugin's file in valid UTF-8. */
#include <string.h>

#include <asynctasks/asynctasks.h>
#include <asynctasks/loader.h>

#include "fuzz.h"
#include "internal.h"

#define PATH      "/plugins/fuzz.so"
#define TYPES     4  /* at most, given in full */
#define PARAMS    6  /* at most, per type */
#define STRIDE_UP 64 /* a newer plugin's structs: up to this much longer */

/* the strings and arrays of one descriptor, freed together */
typedef struct arena {
    void *p[TYPES * (PARAMS * 3 + 4) + 8];
    size_t n;
} arena;

static void *
keep(arena *a, void *p)
{
    fuzz_check(p != NULL && a->n < sizeof a->p / sizeof a->p[0]);
    return a->p[a->n++] = p;
}

static void
arena_free(arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->p[i]);
}

/* A string of the input: a length byte (255: NULL), then its bytes. */
static const char *
string(fuzz_in *in, arena *a)
{
    unsigned len = fuzz_byte(in);
    if (len == 255)
        return NULL;
    const uint8_t *b;
    size_t n = fuzz_take(in, len, &b);
    char *s = keep(a, malloc(n + 1));
    memcpy(s, b, n);
    s[n] = 0;
    return s;
}

static uint64_t
number(fuzz_in *in, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++)
        v = v << 8 | fuzz_byte(in);
    return v;
}

/* A struct size: mostly this host's, else a newer plugin's (longer, and
 * as aligned as a compiler makes it), or too small. */
static uint32_t
struct_size(fuzz_in *in, size_t host)
{
    unsigned b = fuzz_byte(in);
    switch (b & 3) {
    case 0:
    case 1: return (uint32_t) host;
    case 2: return (uint32_t) (host + sizeof(void *) * ((b >> 2) % (STRIDE_UP / sizeof(void *) + 1)));
    default: return (uint32_t) ((b >> 2) % host);
    }
}

static int
fake_run(const at_host *host, at_job *job, void *state)
{
    abort(); /* the checks never run a task */
}

static int
fake_validate(const char *payload, size_t len, char *errbuf, size_t errlen)
{
    abort();
}

/* A count: mostly small and given in full, sometimes beyond the limit
 * (refused before the array is read). */
static unsigned
count(fuzz_in *in, unsigned given_max, unsigned *given)
{
    unsigned b = fuzz_byte(in);
    if (b >= 250) {
        *given = 1;
        return b == 255 ? 0xffffffffu : 1000u + (b - 249) * 17u;
    }
    *given = b % (given_max + 1);
    return *given;
}

static const at_plugin_param *
params(fuzz_in *in, arena *a, uint32_t stride, unsigned n)
{
    char *v = keep(a, calloc(n ? n : 1, stride));
    for (unsigned k = 0; k < n; k++) {
        at_plugin_param pp = {0};
        pp.name = string(in, a);
        pp.type = (int) (fuzz_byte(in) % 5);
        pp.required = (int) (fuzz_byte(in) % 3);
        pp.default_value = string(in, a);
        unsigned lim = fuzz_byte(in);
        pp.min = lim & 1 ? (int64_t) number(in, 8) : (int64_t) (lim >> 4) - 4;
        pp.max = lim & 2 ? (int64_t) number(in, 8) : (int64_t) number(in, 2);
        pp.description = string(in, a);
        memcpy(v + (size_t) k * stride, &pp, stride < sizeof pp ? stride : sizeof pp);
    }
    return (const at_plugin_param *) v;
}

static const at_plugin_task_type *
types(fuzz_in *in, arena *a, const at_plugin *d, unsigned n)
{
    char *v = keep(a, calloc(n ? n : 1, d->type_size));
    for (unsigned i = 0; i < n; i++) {
        at_plugin_task_type t = {0};
        t.name = string(in, a);
        t.description = string(in, a);
        unsigned flags = fuzz_byte(in);
        t.run = flags & 1 ? NULL : fake_run;
        t.validate = flags & 2 ? fake_validate : NULL;
        t.timeout_s = (unsigned) number(in, flags & 4 ? 4 : 1);
        t.max_attempts = (unsigned) number(in, flags & 8 ? 4 : 1);
        unsigned given;
        t.nparams = count(in, PARAMS, &given);
        t.params = flags & 16 ? NULL : params(in, a, d->param_size, given);
        memcpy(v + (size_t) i * d->type_size, &t,
               d->type_size < sizeof t ? d->type_size : sizeof t);
    }
    return (const at_plugin_task_type *) v;
}

static void
check_params(const at_handler *h, const at_plugin_task_type *given)
{
    at_error err = {0};
    fuzz_check(h->nparams == given->nparams && h->nparams <= AT_PARAMS_MAX);
    for (size_t k = 0; k < h->nparams; k++) {
        fuzz_check(at_param_decl_check(&h->params[k], &err) == AT_OK);
        for (size_t j = 0; j < k; j++)
            fuzz_check(strcmp(h->params[j].name, h->params[k].name) != 0);
    }
    char *text;
    fuzz_check(at_params_encode(h->params, h->nparams, &text, &err) == AT_OK);
    at_param_decl *back;
    size_t n;
    fuzz_check(at_params_decode(text, &back, &n, &err) == AT_OK && n == h->nparams);
    for (size_t k = 0; k < n; k++) {
        const at_param_decl *x = &h->params[k], *y = &back[k];
        fuzz_check(strcmp(x->name, y->name) == 0 && x->type == y->type &&
                   x->required == y->required && x->has_default == y->has_default &&
                   x->min == y->min && x->max == y->max &&
                   strcmp(x->description, y->description) == 0 &&
                   (!x->has_default || strcmp(x->default_value, y->default_value) == 0));
    }
    free(back);
    free(text);
}

static void
check_accepted(const at_loaded_plugin *p, const at_plugin *d)
{
    at_error err = {0};
    fuzz_check(d->magic == AT_PLUGIN_MAGIC && d->abi_version == AT_PLUGIN_ABI_VERSION);
    fuzz_check(p->nhandlers == d->ntypes && d->ntypes >= 1 && d->ntypes <= TYPES);
    for (size_t i = 0; i < p->nhandlers; i++) {
        const at_handler *h = &p->handlers[i];
        const at_plugin_task_type *given =
            (const void *) ((const char *) d->types + i * d->type_size);
        fuzz_check(h->plugin == p);
        fuzz_check(at_check_type_name(h->type.name, &err) == AT_OK);
        fuzz_check(at_text_check("description", h->type.description, AT_DESC_MAX, 1, 0, &err) ==
                   AT_OK);
        fuzz_check(h->type.run == fake_run && h->type.validate == given->validate);
        fuzz_check(h->type.timeout_s >= 1 && h->type.timeout_s <= AT_TYPE_TIMEOUT_MAX);
        fuzz_check(h->type.max_attempts >= 1 && h->type.max_attempts <= AT_TYPE_ATTEMPTS_MAX);
        fuzz_check(!given->timeout_s || h->type.timeout_s == given->timeout_s);
        for (size_t j = 0; j < i; j++)
            fuzz_check(strcmp(p->handlers[j].type.name, h->type.name) != 0);
        check_params(h, given);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    arena a = {{0}, 0};
    at_plugin d = {0};
    unsigned header = fuzz_byte(&in);
    d.magic = header & 1 ? (uint32_t) number(&in, 4) : AT_PLUGIN_MAGIC;
    d.abi_version = header & 2 ? (uint32_t) number(&in, 4) : AT_PLUGIN_ABI_VERSION;
    d.size = struct_size(&in, sizeof(at_plugin));
    d.type_size = struct_size(&in, sizeof(at_plugin_task_type));
    d.param_size = struct_size(&in, sizeof(at_plugin_param));
    d.name = string(&in, &a);
    d.version = string(&in, &a);
    unsigned given;
    d.ntypes = count(&in, TYPES, &given);
    /* a struct smaller than the host's is refused before it is read */
    if (d.type_size >= sizeof(at_plugin_task_type) && d.param_size >= sizeof(at_plugin_param))
        d.types = header & 4 ? NULL : types(&in, &a, &d, given);

    at_loaded_plugin *p = calloc(1, sizeof *p);
    fuzz_check(p && (p->path = strdup(PATH)));
    at_error err = {0};
    int rc = at_plugin_desc_load(p, &d, &err);
    if (rc == AT_OK) {
        check_accepted(p, &d);
    } else {
        fuzz_check(rc == AT_EPLUGIN || rc == AT_ENOMEM);
        fuzz_check(rc != AT_EPLUGIN || strncmp(err.msg, "plugin " PATH ": ",
                                               strlen("plugin " PATH ": ")) == 0);
        fuzz_check(at_utf8_valid(err.msg, strlen(err.msg)));
    }
    at_plugin_close(p);
    arena_free(&a);
    return 0;
}
