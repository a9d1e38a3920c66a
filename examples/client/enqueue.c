/* enqueue.c: the C client API in a few lines: enqueue one task and print
 * its id, or with --wait, wait until it has finished and print how.
 *
 *   enqueue [--config FILE] [--priority N] [--wait] BUSINESS USER-EMAIL TYPE [PAYLOAD]
 *
 * Build against an installed asynctasks:
 *   cc enqueue.c -o enqueue $(pkg-config --cflags --libs asynctasks) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <asynctasks/asynctasks.h>

int
main(int argc, char **argv)
{
    const char *config = NULL;
    int wait = 0, priority = 0, i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strcmp(argv[i], "--priority") == 0 && i + 1 < argc)
            priority = atoi(argv[++i]); /* the library checks the range */
        else if (strcmp(argv[i], "--wait") == 0)
            wait = 1;
        else
            break;
    }
    if (argc - i < 3 || argc - i > 4) {
        fprintf(stderr, "usage: enqueue [--config FILE] [--priority N] [--wait] BUSINESS "
                        "USER-EMAIL TYPE [PAYLOAD]\n");
        return 64;
    }
    at_error err;
    at_client *c;
    if (at_client_open(config, &c, &err) != AT_OK) {
        fprintf(stderr, "enqueue: %s\n", err.msg);
        return 69;
    }
    at_client_task t = {.business = argv[i], .user = argv[i + 1], .type = argv[i + 2],
                        .payload = argc - i == 4 ? argv[i + 3] : NULL, .priority = priority};
    uint64_t id;
    int rc = 0;
    if (at_client_enqueue(c, &t, &id, &err) != AT_OK) {
        fprintf(stderr, "enqueue: %s\n", err.msg);
        rc = err.code == AT_EINVAL ? 65 : err.code == AT_ENOTFOUND ? 66 : 69;
        goto out;
    }
    printf("%llu\n", (unsigned long long) id);
    while (wait) {
        at_task task;
        if (at_client_get(c, t.business, id, &task, &err) != AT_OK) {
            fprintf(stderr, "enqueue: %s\n", err.msg);
            rc = 69;
            break;
        }
        int done = task.state == AT_TASK_SUCCEEDED || task.state == AT_TASK_FAILED ||
                   task.state == AT_TASK_CANCELLED;
        if (done) {
            printf("%s%s%s\n", at_task_state_str(task.state), task.last_error ? ": " : "",
                   task.last_error ? task.last_error : "");
            rc = task.state == AT_TASK_SUCCEEDED ? 0 : 1;
        }
        at_task_clear(&task);
        if (done)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
out:
    at_client_close(c);
    return rc;
}
