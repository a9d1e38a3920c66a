/* dup.c: test plugin declaring "test.crash" again, which crash.so
 * (loaded first, by name order) already declares. */
#define REFUSED_TYPE "test.crash"
#include "refused.h"

TEST_PLUGIN("test-dup");
