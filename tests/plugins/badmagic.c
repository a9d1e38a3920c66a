/* badmagic.c: test plugin with a wrong magic number. */
#define REFUSED_TYPE "test.badmagic"
#include "refused.h"

REFUSED_DESCRIPTOR(asynctasks_plugin, "test-badmagic", 0x12345678u, AT_PLUGIN_ABI_VERSION,
                   sizeof(at_plugin));
