/* badparam.c: test plugin with a parameter whose limits contradict each
 * other. */
#include "testplugin.h"

static const at_plugin_param params[] = {
    {.name = "size", .type = AT_PLUGIN_PARAM_INT, .min = 10, .max = 5},
};

static const at_plugin_task_type types[] = {
    {.name = "test.badparam", .params = params, .nparams = 1, .run = test_ok_run},
};
TEST_PLUGIN("test-badparam");
