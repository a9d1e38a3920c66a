/* testplugin.h: what the test plugins share: the descriptor of a plugin
 * whose task types are the array `types`. Test plugins, like any plugin,
 * see nothing of the host but plugin.h. */
#ifndef AT_TESTPLUGIN_H
#define AT_TESTPLUGIN_H

#include <asynctasks/plugin.h>

#define TEST_PLUGIN(plugin_name)                                                                   \
    AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {                                         \
        AT_PLUGIN_HEADER,                                                                          \
        .name = plugin_name,                                                                       \
        .version = "test",                                                                         \
        .types = types,                                                                            \
        .ntypes = sizeof types / sizeof types[0],                                                  \
    }


static inline int
test_ok_run(const at_host *host, at_job *job, void *state)
{
    (void) state;
    host->result(job, "ok");
    return AT_PLUGIN_OK;
}

#endif
