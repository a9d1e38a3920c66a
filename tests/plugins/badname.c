/* badname.c: test plugin with a task type name the host does not allow. */
#define REFUSED_TYPE "Bad Name"
#include "refused.h"

TEST_PLUGIN("test-badname");
