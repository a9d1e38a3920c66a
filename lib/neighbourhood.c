/* neighbourhood.c: which supervisors are neighbours, that is, may judge
 * whether another's process lives by its pid, and how they judge it.
 *
 * A pid means one process only within one kernel's boot and one pid
 * namespace: two hosts, or two pid namespaces of one host (containers with
 * the host's network share its name), each have their own pid 14. The
 * hostname tells none of that, so a supervisor's neighbourhood is the boot
 * id (/proc/sys/kernel/random/boot_id) with its pid namespace (the link
 * /proc/self/ns/pid, "pid:[4026531836]"); the hostname is kept for
 * people. Supervisors of other neighbourhoods are recovered when their
 * leases run out.
 *
 * Both are read through /proc, which must be the proc of this process's
 * own pid namespace (/proc/self names our pid) for the pids read there to
 * be ours; otherwise the neighbourhood is unknown, and a supervisor with an
 * unknown neighbourhood has no neighbours.
 *
 * Within a neighbourhood a pid can still come back as another process; the
 * process's start time (field 22 of /proc/PID/stat, clock ticks since boot)
 * recorded at registration tells them apart. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* /proc is the proc of this process's pid namespace. */
static int
proc_is_ours(void)
{
    char buf[32];
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *end;
    long pid = strtol(buf, &end, 10);
    return *end == 0 && pid == (long) getpid();
}

/* The first line of a small file, without its newline; 0 when unreadable
 * or empty. */
static int
read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int ok = fgets(buf, (int) size, f) != NULL;
    fclose(f);
    buf[ok ? strcspn(buf, "\n") : 0] = 0;
    return ok && *buf;
}

/* "<boot id> pid:[<inode>]", or "" when /proc cannot tell. */
static void
neighbourhood(char *out, size_t size)
{
    char boot[64], ns[64];
    ssize_t n;
    *out = 0;
    if (!proc_is_ours() || !read_line("/proc/sys/kernel/random/boot_id", boot, sizeof boot))
        return;
    if ((n = readlink("/proc/self/ns/pid", ns, sizeof ns - 1)) <= 0)
        return;
    ns[n] = 0;
    int len = snprintf(out, size, "%s %s", boot, ns);
    if (len < 0 || (size_t) len >= size)
        *out = 0;
}

/* Field 22 of /proc/PID/stat ("self" when pid is 0): the process's start,
 * in clock ticks since boot; 0 when unknown. The command name in field 2
 * may hold spaces and parentheses, so the fields are counted after its
 * last ')'. */
static uint64_t
process_start(int pid)
{
    char path[64], buf[1024];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
    else
        snprintf(path, sizeof path, "/proc/self/stat");
    if (!read_line(path, buf, sizeof buf))
        return 0;
    char *p = strrchr(buf, ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (!p)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p + 1, &end, 10);
    return errno || end == p + 1 ? 0 : (uint64_t) v;
}

void
at_supervisor_host_self(at_supervisor_host *me)
{
    memset(me, 0, sizeof *me);
    if (gethostname(me->name, sizeof me->name - 1) < 0 || !*me->name)
        snprintf(me->name, sizeof me->name, "localhost");
    me->pid = (int) getpid();
    neighbourhood(me->hood, sizeof me->hood);
    me->pid_start = *me->hood ? process_start(0) : 0;
}

int
at_process_gone(int pid, uint64_t pid_start)
{
    if (pid <= 0)
        return 0;
    if (kill(pid, 0) < 0)
        return errno == ESRCH;
    /* Alive, or the pid is another process's now. Unreadable: alive. */
    uint64_t now = pid_start ? process_start(pid) : 0;
    return now && now != pid_start;
}
