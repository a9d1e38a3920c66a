/* pause_churn.c: a helper of tests/churn.sh: pauses and resumes one task
 * type of a business as fast as the library allows, N times, feeding 200
 * tasks of it every fifth cycle: far more pauses a second than operators
 * at the command line make, so that a re-check racing a pause or a resume
 * is caught in the act.
 *   pause-churn CONFIG BUSINESS-ID USER-ID TYPE-ID N */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <asynctasks/asynctasks.h>

static void
nap_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: pause-churn CONFIG BUSINESS-ID USER-ID TYPE-ID N\n");
        return 64;
    }
    at_config *cfg;
    at_db *db;
    at_error err;
    if (at_config_load(argv[1], &cfg, &err) || at_db_open(cfg, &db, &err)) {
        fprintf(stderr, "pause-churn: %s\n", err.msg);
        return 1;
    }
    uint64_t b = strtoull(argv[2], NULL, 10), u = strtoull(argv[3], NULL, 10),
             t = strtoull(argv[4], NULL, 10);
    int n = atoi(argv[5]), failed = 0;
    at_actor actor = {0, "cli:pause-churn"};
    at_enqueue reqs[200];
    for (int i = 0; i < 200; i++)
        reqs[i] = (at_enqueue){b, u, t, NULL, 0, 0, 0, NULL, NULL};
    srand(1);
    for (int i = 0; i < n && failed < 10; i++) {
        if (i % 5 == 0 && at_task_enqueue_many(db, reqs, 200, NULL, NULL, &err))
            failed++, fprintf(stderr, "pause-churn: %s\n", err.msg);
        if (at_pause_add(db, &actor, b, AT_SCOPE_TASK_TYPE, &t, 1, "churn", 0, &err))
            failed++, fprintf(stderr, "pause-churn: %s\n", err.msg);
        nap_us(rand() % 3000);
        if (at_pause_resume(db, &actor, b, AT_SCOPE_TASK_TYPE, t, &err))
            failed++, fprintf(stderr, "pause-churn: %s\n", err.msg);
        nap_us(rand() % 3000);
    }
    at_db_close(db);
    at_config_free(cfg);
    return failed ? 1 : 0;
}
