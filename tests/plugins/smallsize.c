/* smallsize.c: test plugin whose descriptor claims to be shorter than
 * any ABI version's. */
#define REFUSED_TYPE "test.smallsize"
#include "refused.h"

REFUSED_DESCRIPTOR(asynctasks_plugin, "test-smallsize", AT_PLUGIN_MAGIC, AT_PLUGIN_ABI_VERSION,
                   16);
