/* fuzz_replay.c: the main of a fuzz target in make check. It feeds every
 * file of the target's committed corpus, tests/fuzz/corpus/FUZZ_TARGET/
 * (or the files and directories named on the command line), to
 * LLVMFuzzerTestOneInput, each in a child process, and prints one TAP line
 * per file: "not ok" when the target aborted (a broken promise), crashed,
 * hung for a minute, or, in a sanitizer build, tripped a sanitizer or
 * leaked. dev/fuzz builds the same targets with libFuzzer's main instead
 * (AT_LIBFUZZER), and clang is not needed here. */
#include "config.h"

#ifndef AT_LIBFUZZER
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"
#include "tap.h"

#define INPUT_MAX (1 << 20)
#define HANG_S    60

/* Runs one input in a child; returns its wait status, or -1. */
static int
run_one(const char *path)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        alarm(HANG_S);
        /* a parser that reads a file it is given must not wait on ours */
        if (!freopen("/dev/null", "r", stdin))
            _exit(120);
        FILE *f = fopen(path, "rb");
        if (!f)
            _exit(120);
        uint8_t *buf = malloc(INPUT_MAX);
        size_t n = buf ? fread(buf, 1, INPUT_MAX, f) : 0;
        int bad = !buf || ferror(f) || !feof(f);
        fclose(f);
        if (bad)
            _exit(121);
        /* exactly n bytes, so that a read past the end is caught */
        uint8_t *in = malloc(n ? n : 1);
        if (!in)
            _exit(121);
        memcpy(in, buf, n);
        free(buf);
        LLVMFuzzerTestOneInput(in, n);
        free(in);
        exit(0); /* exit, not _exit: LeakSanitizer checks here */
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return st;
}

static void
report(const char *path)
{
    int st = run_one(path);
    if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        ok(1, "%s", path);
    else if (st >= 0 && WIFSIGNALED(st))
        ok(0, "%s: killed by signal %d%s", path, WTERMSIG(st),
           WTERMSIG(st) == SIGALRM ? " (it ran for a minute)" : "");
    else if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) >= 120 && WEXITSTATUS(st) <= 121)
        ok(0, "%s: cannot be read", path);
    else
        ok(0, "%s: exit status %d", path, st >= 0 ? WEXITSTATUS(st) : -1);
}

static int
regular_file(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Every file of dir, in name order; returns how many. */
static int
replay_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, regular_file, alphasort);
    if (n < 0) {
        ok(0, "cannot read the corpus %s: %s", dir, strerror(errno));
        return 0;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        report(path);
        free(names[i]);
    }
    free(names);
    return n;
}

static int
replay(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return replay_dir(path);
    report(path);
    return 1;
}

int
main(int argc, char **argv)
{
    int files = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            files += replay(argv[i]);
    } else {
        const char *top = getenv("top_srcdir");
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top && *top ? top : ".",
                 FUZZ_TARGET);
        files = replay(dir);
    }
    /* a replay of nothing proves nothing */
    if (files == 0)
        ok(0, "the corpus of %s holds no file", FUZZ_TARGET);
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
#else
/* libFuzzer brings its own main. */
typedef int fuzz_replay_unused;
#endif
