/* xml_alloc_fail.c: preloaded into asynctasks-fcgi by tests/write_fail.sh
 * (LD_PRELOAD), it makes libxml2 run out of memory for real. With
 * AT_TEST_XML_ALLOC_OVER=N in the environment, every allocation libxml2
 * asks for of N bytes or more fails, as it would on a machine out of
 * memory: libxml2 takes its allocator from xmlGcMemSetup, which this
 * library calls before main. Each refusal appends a line to the file
 * AT_TEST_XML_ALLOC_LOG when that is set, so that the test knows the
 * failure happened. Built for the tests only, never installed. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlmemory.h>

static size_t over;
static const char *log_path;

/* Async-signal-safe and allocation-free: it runs inside an allocator. */
static void
note_refusal(size_t n)
{
    if (!log_path)
        return;
    char line[40] = "refused ";
    size_t at = strlen(line), digits = 0;
    char rev[24];
    do {
        rev[digits++] = (char) ('0' + n % 10);
        n /= 10;
    } while (n && digits < sizeof rev);
    while (digits)
        line[at++] = rev[--digits];
    line[at++] = '\n';
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, at);
    (void) w;
    close(fd);
}

static void *
refusing_malloc(size_t n)
{
    if (n >= over) {
        note_refusal(n);
        return NULL;
    }
    return malloc(n);
}

static void *
refusing_realloc(void *p, size_t n)
{
    if (n >= over) {
        note_refusal(n);
        return NULL;
    }
    return realloc(p, n);
}

static char *
refusing_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    if (n >= over) {
        note_refusal(n);
        return NULL;
    }
    return strdup(s);
}

__attribute__((constructor)) static void
refuse_large_allocations(void)
{
    const char *v = getenv("AT_TEST_XML_ALLOC_OVER");
    if (!v || !*v)
        return;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || n == 0)
        return;
    over = (size_t) n;
    log_path = getenv("AT_TEST_XML_ALLOC_LOG");
    xmlGcMemSetup(free, refusing_malloc, refusing_malloc, refusing_realloc, refusing_strdup);
}
