/* newer.c: test plugin built as a later ABI revision would build it: its
 * structs are longer than this host's (members appended), so the host
 * must step through its arrays by the sizes the plugin declares. */
#include <stddef.h>

#include "testplugin.h"

struct newer_param {
    at_plugin_param p;
    const char *future[3];
};
struct newer_type {
    at_plugin_task_type t;
    const char *future[5];
};
struct newer_plugin {
    at_plugin d;
    const char *future[2];
};

static const struct newer_param params[] = {
    {{.name = "first", .type = AT_PLUGIN_PARAM_INT, .default_value = "1"}, {"x", "y", "z"}},
    {{.name = "second", .type = AT_PLUGIN_PARAM_BOOL, .required = 1}, {"x", "y", "z"}},
};

static const struct newer_type types[] = {
    {{.name = "test.newer.a", .description = "First of two", .run = test_ok_run,
      .params = &params[0].p, .nparams = 2},
     {"a", "b", "c", "d", "e"}},
    {{.name = "test.newer.b", .description = "Second of two", .timeout_s = 42,
      .max_attempts = 5, .run = test_ok_run},
     {"a", "b", "c", "d", "e"}},
};

AT_PLUGIN_EXPORT const struct newer_plugin asynctasks_plugin = {
    {.magic = AT_PLUGIN_MAGIC,
     .abi_version = AT_PLUGIN_ABI_VERSION,
     .size = sizeof(struct newer_plugin),
     .type_size = sizeof(struct newer_type),
     .param_size = sizeof(struct newer_param),
     .name = "test-newer",
     .version = "2.0",
     .types = &types[0].t,
     .ntypes = 2},
    {"later", "members"},
};
