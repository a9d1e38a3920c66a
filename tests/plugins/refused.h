/* refused.h: the body of the test plugins the loader must refuse: one
 * well-formed task type (REFUSED_TYPE), and a descriptor whose header
 * fields each plugin spells out, to get one of them wrong. */
#include "testplugin.h"

static const at_plugin_task_type types[] = {
    {.name = REFUSED_TYPE, .description = "Never loaded", .run = test_ok_run},
};

#define REFUSED_DESCRIPTOR(symbol, plugin_name, magic_, abi_, size_)                               \
    AT_PLUGIN_EXPORT const at_plugin symbol = {                                                    \
        .magic = (magic_),                                                                         \
        .abi_version = (abi_),                                                                     \
        .size = (size_),                                                                           \
        .type_size = sizeof(at_plugin_task_type),                                                  \
        .param_size = sizeof(at_plugin_param),                                                     \
        .name = plugin_name,                                                                       \
        .types = types,                                                                            \
        .ntypes = 1,                                                                               \
    }
