/* badabi.c: test plugin that claims a later ABI version. */
#define REFUSED_TYPE "test.badabi"
#include "refused.h"

REFUSED_DESCRIPTOR(asynctasks_plugin, "test-badabi", AT_PLUGIN_MAGIC, AT_PLUGIN_ABI_VERSION + 1,
                   sizeof(at_plugin));
