/* enqueue.c: the C client API in a few lines: enqueue one task (or, with
 * --count N, N alike in one transaction) and print the ids, or with
 * --wait, wait until they have finished and print how.
 *
 *   enqueue [--config FILE] [--priority N] [--count N] [--wait] BUSINESS USER-EMAIL TYPE [PAYLOAD]
 *
 * Build against an installed asynctasks:
 *   cc enqueue.c -o enqueue $(pkg-config --cflags --libs asynctasks) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <asynctasks/client.h>

/* Waits until the task has finished; 0 when it succeeded. */
static int
wait_for(at_client *c, const char *business, uint64_t id)
{
    for (;;) {
        at_task task;
        at_error err;
        if (at_client_get(c, business, id, &task, &err) != AT_OK) {
            fprintf(stderr, "enqueue: %s\n", err.msg);
            return 69;
        }
        int done = task.state == AT_TASK_SUCCEEDED || task.state == AT_TASK_FAILED ||
                   task.state == AT_TASK_CANCELLED;
        int rc = task.state == AT_TASK_SUCCEEDED ? 0 : 1;
        if (done)
            printf("%s%s%s\n", at_task_state_str(task.state), task.last_error ? ": " : "",
                   task.last_error ? task.last_error : "");
        at_task_clear(&task);
        if (done)
            return rc;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

int
main(int argc, char **argv)
{
    const char *config = NULL;
    int wait = 0, priority = 0, count = 1, i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strcmp(argv[i], "--priority") == 0 && i + 1 < argc)
            priority = atoi(argv[++i]); /* the library checks the range */
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = atoi(argv[++i]); /* and the count: 1 to AT_ENQUEUE_MANY_MAX */
        else if (strcmp(argv[i], "--wait") == 0)
            wait = 1;
        else
            break;
    }
    if (argc - i < 3 || argc - i > 4 || count < 0) {
        fprintf(stderr, "usage: enqueue [--config FILE] [--priority N] [--count N] [--wait] "
                        "BUSINESS USER-EMAIL TYPE [PAYLOAD]\n");
        return 64;
    }
    at_error err;
    at_client *c;
    if (at_client_open(config, &c, &err) != AT_OK) {
        fprintf(stderr, "enqueue: %s\n", err.msg);
        return 69;
    }
    at_client_task t = {.business = argv[i],
                        .user = argv[i + 1],
                        .type = argv[i + 2],
                        .payload = argc - i == 4 ? argv[i + 3] : NULL,
                        .priority = priority};
    at_client_task *tasks = calloc(count ? (size_t) count : 1, sizeof *tasks);
    uint64_t *ids = calloc(count ? (size_t) count : 1, sizeof *ids);
    int rc = 0, failed;
    if (!tasks || !ids) {
        fprintf(stderr, "enqueue: out of memory\n");
        rc = 70;
        goto out;
    }
    for (int k = 0; k < count; k++)
        tasks[k] = t;
    /* one task alone, or many in one transaction: all or none */
    if (count == 1)
        failed = at_client_enqueue(c, &t, &ids[0], &err);
    else
        failed = at_client_enqueue_many(c, tasks, (size_t) count, ids, NULL, &err);
    if (failed) {
        fprintf(stderr, "%s\n", err.msg); /* it begins with "enqueue: " */
        rc = err.code == AT_EINVAL ? 65 : err.code == AT_ENOTFOUND ? 66 : 69;
        goto out;
    }
    for (int k = 0; k < count; k++)
        printf("%llu\n", (unsigned long long) ids[k]);
    for (int k = 0; wait && k < count; k++) {
        int r = wait_for(c, t.business, ids[k]);
        rc = r > rc ? r : rc;
    }
out:
    free(tasks);
    free(ids);
    at_client_close(c);
    return rc;
}
