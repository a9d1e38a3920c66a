/* child_exit.c: how a forked child of a long-running program (a FastCGI
 * worker, an executor, the pruner) ends. It leaves with _exit, never
 * exit: the atexit handlers and the stdio buffers it shares with its
 * parent belong to the parent. LeakSanitizer checks a process for leaks
 * from an atexit handler, so _exit skips it; in a build with
 * AddressSanitizer the child runs the check itself first, and a leak ends
 * it with LeakSanitizer's report and exit status. Other builds compile to
 * the bare _exit. (Valgrind's memcheck needs nothing: it checks a process
 * at its last system call, _exit's included.) */
#include "config.h"

#include <unistd.h>

#include "internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define AT_LEAK_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AT_LEAK_CHECK 1
#endif
#endif

#ifdef AT_LEAK_CHECK
#include <sanitizer/lsan_interface.h>
#endif

void
at_child_exit(int status)
{
#ifdef AT_LEAK_CHECK
    __lsan_do_leak_check();
#endif
    _exit(status);
}
