/* nodesc.c: test plugin that exports no descriptor (a misspelt one). */
#define REFUSED_TYPE "test.nodesc"
#include "refused.h"

REFUSED_DESCRIPTOR(asynctasks_plugn, "test-nodesc", AT_PLUGIN_MAGIC, AT_PLUGIN_ABI_VERSION,
                   sizeof(at_plugin));
