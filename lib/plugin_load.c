/* plugin_load.c: the plugin loader: opens task-type plugins with dlopen,
 * checks their descriptor against the ABI this host speaks, copies what
 * they declare into the host's own layout, and registers their types.
 * A plugin that fails any check is refused with a message naming its file;
 * in a directory, a refused plugin never stops the others. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/loader.h>

#include "internal.h"

/* The smallest structs a plugin may declare: their size in ABI version 1.
 * Later members are appended, so these stay the end of the v1 members
 * however the structs grow. */
#define V1_END(type, member) (offsetof(type, member) + sizeof(((type *) 0)->member))
#define MIN_PLUGIN_SIZE      V1_END(at_plugin, fini)
#define MIN_TYPE_SIZE        V1_END(at_plugin_task_type, validate)
#define MIN_PARAM_SIZE       V1_END(at_plugin_param, description)

#define PLUGIN_NAME_MAX 100 /* characters of a plugin's name and version */
#define TYPES_MAX       1000

#define DEFAULT_TIMEOUT  300
#define DEFAULT_ATTEMPTS 3

static int __attribute__((format(printf, 3, 4)))
refuse(at_error *err, const char *path, const char *fmt, ...)
{
    char msg[AT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return at_error_set(err, AT_EPLUGIN, "plugin %s: %s", path, msg);
}

/* Turns a check's error into the plugin's refusal. */
static int
refused(at_error *err, const char *path)
{
    at_error_wrap(err, "plugin %s", path);
    if (err)
        err->code = AT_EPLUGIN;
    return AT_EPLUGIN;
}

static size_t
min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static int
check_header(const char *path, const at_plugin *d, at_error *err)
{
    if (d->magic != AT_PLUGIN_MAGIC)
        return refuse(err, path,
                      "not an asynctasks plugin descriptor: wrong magic number "
                      "(expected 0x%08x, found 0x%08x)",
                      AT_PLUGIN_MAGIC, d->magic);
    if (d->abi_version != AT_PLUGIN_ABI_VERSION)
        return refuse(err, path, "wrong plugin ABI version (expected %u, found %u): %s",
                      AT_PLUGIN_ABI_VERSION, d->abi_version,
                      d->abi_version > AT_PLUGIN_ABI_VERSION
                          ? "the plugin needs a newer asynctasks"
                          : "rebuild the plugin against this asynctasks' plugin.h");
    const struct {
        const char *what;
        uint32_t found;
        size_t min;
    } sizes[] = {{"descriptor size", d->size, MIN_PLUGIN_SIZE},
                 {"task type size", d->type_size, MIN_TYPE_SIZE},
                 {"parameter size", d->param_size, MIN_PARAM_SIZE}};
    for (size_t i = 0; i < AT_COUNT(sizes); i++)
        if (sizes[i].found < sizes[i].min)
            return refuse(err, path, "%s too small (expected at least %zu, found %u)",
                          sizes[i].what, sizes[i].min, sizes[i].found);
    return AT_OK;
}

/* Copies a C string of the plugin into dst, refusing one that does not
 * fit (NULL is ""). */
static int
copy_text(const char *path, const char *what, const char *s, char *dst, size_t dstlen,
          at_error *err)
{
    if (!s)
        s = "";
    size_t n = strnlen(s, dstlen);
    if (n == dstlen)
        return refuse(err, path, "%s is longer than %zu bytes", what, dstlen - 1);
    memcpy(dst, s, n + 1);
    return AT_OK;
}

static int
load_param(const char *path, const char *type, const at_plugin_param *pp, unsigned k,
           at_param_decl *d, at_error *err)
{
    char what[AT_TYPE_NAME_BUF + 64];
    memset(d, 0, sizeof *d);
    if (!pp->name)
        return refuse(err, path, "task type '%s': parameter #%u has no name", type, k + 1);
    snprintf(what, sizeof what, "task type '%s': parameter #%u's name", type, k + 1);
    int rc = copy_text(path, what, pp->name, d->name, sizeof d->name, err);
    snprintf(what, sizeof what, "task type '%s': default of parameter '%s'", type, d->name);
    if (rc == AT_OK && pp->default_value) {
        d->has_default = 1;
        rc = copy_text(path, what, pp->default_value, d->default_value, sizeof d->default_value,
                       err);
    }
    snprintf(what, sizeof what, "task type '%s': description of parameter '%s'", type, d->name);
    if (rc == AT_OK)
        rc = copy_text(path, what, pp->description, d->description, sizeof d->description, err);
    if (rc)
        return rc;
    d->type = pp->type;
    d->required = pp->required != 0;
    d->min = pp->min;
    d->max = pp->max;
    rc = at_param_decl_check(d, err);
    if (rc) {
        at_error_wrap(err, "task type '%s'", type);
        return refused(err, path);
    }
    return AT_OK;
}

static int
load_type(const char *path, const at_plugin *desc, unsigned i, at_handler *h, at_error *err)
{
    const char *raw = (const char *) desc->types + (size_t) i * desc->type_size;
    memcpy(&h->type, raw, min_size(desc->type_size, sizeof h->type));
    at_plugin_task_type *t = &h->type;
    if (at_check_type_name(t->name, err)) {
        at_error_wrap(err, "task type #%u", i + 1);
        return refused(err, path);
    }
    if (!t->description)
        t->description = "";
    char what[AT_TYPE_NAME_BUF + 40];
    snprintf(what, sizeof what, "description of task type '%s'", t->name);
    if (at_text_check(what, t->description, AT_DESC_MAX, 1, 0, err))
        return refused(err, path);
    if (!t->run)
        return refuse(err, path, "task type '%s' has no run function", t->name);
    if (!t->timeout_s)
        t->timeout_s = DEFAULT_TIMEOUT;
    if (!t->max_attempts)
        t->max_attempts = DEFAULT_ATTEMPTS;
    if (t->timeout_s > AT_TYPE_TIMEOUT_MAX)
        return refuse(err, path, "task type '%s': timeout %u s is above %u s", t->name,
                      t->timeout_s, AT_TYPE_TIMEOUT_MAX);
    if (t->max_attempts > AT_TYPE_ATTEMPTS_MAX)
        return refuse(err, path, "task type '%s': %u attempts are more than %u", t->name,
                      t->max_attempts, AT_TYPE_ATTEMPTS_MAX);
    if (t->nparams > AT_PARAMS_MAX)
        return refuse(err, path, "task type '%s' declares %u parameters, at most %d", t->name,
                      t->nparams, AT_PARAMS_MAX);
    if (t->nparams && !t->params)
        return refuse(err, path, "task type '%s' declares %u parameters but gives none", t->name,
                      t->nparams);
    if (!t->nparams)
        return AT_OK;
    h->params = calloc(t->nparams, sizeof *h->params);
    if (!h->params)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    for (unsigned k = 0; k < t->nparams; k++) {
        const at_plugin_param *pp =
            (const void *) ((const char *) t->params + (size_t) k * desc->param_size);
        at_plugin_param one = {0};
        memcpy(&one, pp, min_size(desc->param_size, sizeof one));
        int rc = load_param(path, t->name, &one, k, &h->params[k], err);
        if (rc)
            return rc;
        for (unsigned j = 0; j < k; j++)
            if (strcmp(h->params[j].name, h->params[k].name) == 0)
                return refuse(err, path, "task type '%s' declares parameter '%s' twice",
                              t->name, h->params[k].name);
        h->nparams++;
    }
    return AT_OK;
}

static int
load_types(at_loaded_plugin *p, at_error *err)
{
    const at_plugin *d = &p->desc;
    if (!d->name)
        return refuse(err, p->path, "the descriptor has no plugin name");
    if (at_text_check("plugin name", d->name, PLUGIN_NAME_MAX, 0, 0, err) ||
        at_text_check("plugin version", d->version ? d->version : "", PLUGIN_NAME_MAX, 1, 0, err))
        return refused(err, p->path);
    if (!d->types || d->ntypes == 0)
        return refuse(err, p->path, "declares no task types");
    if (d->ntypes > TYPES_MAX)
        return refuse(err, p->path, "declares %u task types, at most %d", d->ntypes, TYPES_MAX);
    p->handlers = calloc(d->ntypes, sizeof *p->handlers);
    if (!p->handlers)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    for (unsigned i = 0; i < d->ntypes; i++) {
        at_handler *h = &p->handlers[i];
        h->plugin = p;
        p->nhandlers++;
        int rc = load_type(p->path, d, i, h, err);
        if (rc)
            return rc;
        for (unsigned j = 0; j < i; j++)
            if (strcmp(p->handlers[j].type.name, h->type.name) == 0)
                return refuse(err, p->path, "declares task type '%s' twice", h->type.name);
    }
    return AT_OK;
}

int
at_plugin_desc_load(at_loaded_plugin *p, const at_plugin *d, at_error *err)
{
    int rc = check_header(p->path, d, err);
    if (rc)
        return rc;
    /* An older plugin's descriptor is shorter: what it lacks stays zero. */
    memcpy(&p->desc, d, min_size(d->size, sizeof p->desc));
    return load_types(p, err);
}

int
at_plugin_open(const char *path, at_loaded_plugin **out, at_error *err)
{
    *out = NULL;
    at_loaded_plugin *p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path))) {
        at_plugin_close(p);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    /* Only a file nobody else can change is loaded, by its resolved path:
     * absolute, so never searched for on the library path. */
    char *dlpath;
    int rc = at_plugin_trust_file(path, &dlpath, err);
    if (rc) {
        at_plugin_close(p);
        return refused(err, path);
    }
    dlerror();
    p->dl = dlopen(dlpath, RTLD_NOW | RTLD_LOCAL);
    free(dlpath);
    if (!p->dl) {
        const char *e = dlerror();
        rc = refuse(err, path, "cannot be loaded: %s", e ? e : "unknown error");
        goto out;
    }
    dlerror();
    const at_plugin *d = dlsym(p->dl, AT_PLUGIN_SYMBOL);
    if (!d) {
        const char *e = dlerror();
        rc = refuse(err, path, "exports no descriptor '%s' (%s)", AT_PLUGIN_SYMBOL,
                    e ? e : "the symbol is NULL");
        goto out;
    }
    rc = at_plugin_desc_load(p, d, err);
out:
    if (rc) {
        at_plugin_close(p);
        return rc;
    }
    *out = p;
    return AT_OK;
}

void
at_plugin_close(at_loaded_plugin *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nhandlers; i++)
        free(p->handlers[i].params);
    free(p->handlers);
    if (p->dl)
        dlclose(p->dl);
    free(p->path);
    free(p);
}

/* ---- a directory of plugins ---- */

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The *.so names of dir, sorted. */
static int
list_dir(const char *dir, char ***out, size_t *n, at_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return at_error_set(err, AT_EIO, "cannot read plugin directory %s: %s", dir,
                            strerror(errno));
    char **v = NULL;
    size_t cap = 0;
    int rc = AT_OK;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 3, ".so") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                rc = at_error_set(err, AT_ENOMEM, "out of memory");
                break;
            }
            v = nv;
        }
        if (!(v[*n] = strdup(e->d_name))) {
            rc = at_error_set(err, AT_ENOMEM, "out of memory");
            break;
        }
        ++*n;
        errno = 0;
    }
    if (rc == AT_OK && errno)
        rc = at_error_set(err, AT_EIO, "cannot read plugin directory %s: %s", dir,
                          strerror(errno));
    closedir(d);
    if (rc) {
        for (size_t i = 0; i < *n; i++)
            free(v[i]);
        free(v);
        *n = 0;
        return rc;
    }
    if (*n)
        qsort(v, *n, sizeof *v, cmp_names);
    *out = v;
    return AT_OK;
}

/* The plugin of set that already declares type name, or NULL. */
static const at_loaded_plugin *
declared_by(const at_plugin_set *set, const char *name)
{
    const at_handler *h = at_plugins_find(set, name);
    return h ? h->plugin : NULL;
}

static int
add_refusal(at_plugin_set *set, const char *msg)
{
    char **nv = realloc(set->refusals, (set->nrefusals + 1) * sizeof *nv);
    if (!nv)
        return AT_ENOMEM;
    set->refusals = nv;
    if (!(nv[set->nrefusals] = strdup(msg)))
        return AT_ENOMEM;
    set->nrefusals++;
    return AT_OK;
}

/* Opens one file of the directory into set, or records its refusal. */
static int
load_one(at_plugin_set *set, const char *path, at_error *err)
{
    at_error why = {0};
    at_loaded_plugin *p;
    int rc = at_plugin_open(path, &p, &why);
    if (rc == AT_ENOMEM)
        return at_error_set(err, rc, "%s", why.msg);
    for (size_t i = 0; rc == AT_OK && i < p->nhandlers; i++) {
        const at_loaded_plugin *other = declared_by(set, p->handlers[i].type.name);
        if (other) {
            rc = refuse(&why, path, "task type '%s' is already declared by %s",
                        p->handlers[i].type.name, other->path);
            at_plugin_close(p);
        }
    }
    if (rc)
        return add_refusal(set, why.msg) ? at_error_set(err, AT_ENOMEM, "out of memory") : AT_OK;
    at_loaded_plugin **nv = realloc(set->plugins, (set->n + 1) * sizeof *nv);
    if (!nv) {
        at_plugin_close(p);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    set->plugins = nv;
    nv[set->n++] = p;
    return AT_OK;
}

int
at_plugins_load(const char *dir, at_plugin_set **out, at_error *err)
{
    *out = NULL;
    char **names;
    size_t n;
    int rc = at_plugin_trust_dir(dir, err);
    if (rc == AT_OK)
        rc = list_dir(dir, &names, &n, err);
    if (rc)
        return rc;
    at_plugin_set *set = calloc(1, sizeof *set);
    if (!set)
        rc = at_error_set(err, AT_ENOMEM, "out of memory");
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        if (!path) {
            rc = at_error_set(err, AT_ENOMEM, "out of memory");
            break;
        }
        size_t dl = strlen(dir);
        snprintf(path, len, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", names[i]);
        rc = load_one(set, path, err);
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc) {
        at_plugins_free(set);
        return rc;
    }
    *out = set;
    return AT_OK;
}

void
at_plugins_free(at_plugin_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        at_plugin_close(set->plugins[i]);
    for (size_t i = 0; i < set->nrefusals; i++)
        free(set->refusals[i]);
    free(set->plugins);
    free(set->refusals);
    free(set);
}

at_handler *
at_plugins_find(const at_plugin_set *set, const char *type_name)
{
    for (size_t i = 0; set && i < set->n; i++)
        for (size_t k = 0; k < set->plugins[i]->nhandlers; k++)
            if (strcmp(set->plugins[i]->handlers[k].type.name, type_name) == 0)
                return &set->plugins[i]->handlers[k];
    return NULL;
}

at_handler *
at_plugins_find_id(const at_plugin_set *set, uint64_t type_id)
{
    for (size_t i = 0; set && type_id && i < set->n; i++)
        for (size_t k = 0; k < set->plugins[i]->nhandlers; k++)
            if (set->plugins[i]->handlers[k].type_id == type_id)
                return &set->plugins[i]->handlers[k];
    return NULL;
}

int
at_plugins_register(at_db *db, at_plugin_set *set, at_error *err)
{
    for (size_t i = 0; i < set->n; i++) {
        at_loaded_plugin *p = set->plugins[i];
        for (size_t k = 0; k < p->nhandlers; k++) {
            at_handler *h = &p->handlers[k];
            int rc = at_task_type_register_params(db, h->type.name, h->type.description,
                                                  h->type.timeout_s, h->type.max_attempts,
                                                  h->params, h->nparams, &h->type_id, err);
            if (rc)
                return at_error_wrap(err, "plugin %s", p->path);
        }
    }
    return AT_OK;
}
