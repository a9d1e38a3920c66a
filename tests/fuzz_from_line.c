/* fuzz_from_line.c: a fuzz target for the lines of asynctasks enqueue
 * --from (cli/from_line.c). The input is one line (cut at its first line
 * end or NUL, as enqueue_from.c cuts the file). A line that is read has
 * three names without tabs, a priority in range and a payload without
 * NUL; written back as a line, its payload escaped and its time in ISO
 * form, it reads as the same task. A refusal is a message in valid
 * UTF-8. */
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "cli.h"
#include "fuzz.h"

#define NOW ((at_time) 1767225600 * 1000000) /* 2026-01-01 00:00:00 UTC */

/* The task read as a line again. */
static char *
write_back(const at_task_names *names, const at_enqueue *req)
{
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    fuzz_check(f != NULL);
    char when[64] = "";
    if (req->run_at)
        at_time_iso(req->run_at, when, sizeof when);
    fprintf(f, "%s\t%s\t%s\t%d\t%s\t", names->business, names->user, names->type,
            req->priority, when);
    for (size_t i = 0; req->payload && i < req->payload_len; i++) {
        const char *esc = strchr("\\\t\n\r", req->payload[i]);
        if (esc)
            fprintf(f, "\\%c", "\\tnr"[esc - "\\\t\n\r"]);
        else
            fputc(req->payload[i], f);
    }
    fuzz_check(fclose(f) == 0);
    return line;
}

static void
check_same(const at_task_names *a, const at_enqueue *x, const at_task_names *b,
           const at_enqueue *y)
{
    fuzz_check(strcmp(a->business, b->business) == 0 && strcmp(a->user, b->user) == 0 &&
               strcmp(a->type, b->type) == 0);
    fuzz_check(x->priority == y->priority && x->run_at == y->run_at);
    fuzz_check(!x->payload == !y->payload && x->payload_len == y->payload_len);
    fuzz_check(!x->payload || memcmp(x->payload, y->payload, x->payload_len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_string(data, size);
    line[strcspn(line, "\n")] = 0;
    at_task_names names;
    at_enqueue req;
    at_error err = {0};
    if (cli_from_line(line, NOW, &names, &req, &err) != AT_OK) {
        fuzz_check(err.msg[0] && at_utf8_valid(err.msg, strlen(err.msg)));
        free(line);
        return 0;
    }
    fuzz_check(!strchr(names.business, '\t') && !strchr(names.user, '\t') &&
               !strchr(names.type, '\t'));
    fuzz_check(req.priority >= AT_PRIORITY_MIN && req.priority <= AT_PRIORITY_MAX);
    fuzz_check(!req.payload || (req.payload_len > 0 && strlen(req.payload) == req.payload_len));
    char *again = write_back(&names, &req);
    at_task_names names2;
    at_enqueue req2;
    if (cli_from_line(again, NOW, &names2, &req2, &err) != AT_OK) {
        fprintf(stderr, "written back: %s\nrefused: %s\n", again, err.msg);
        fuzz_check(!"the line written back reads");
    }
    check_same(&names, &req, &names2, &req2);
    free(again);
    free(line);
    return 0;
}
