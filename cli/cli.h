/* cli.h: what the command files of asynctasks(1) share. */
#ifndef AT_CLI_H
#define AT_CLI_H

#include <signal.h>
#include <stdio.h>

#include <asynctasks/asynctasks.h>

/* Exit codes (documented in asynctasks(1)). */
enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,     /* not found, conflict, wrong state, schema mismatch */
    EXIT_USAGE = 64,   /* bad command line */
    EXIT_DATA = 65,    /* invalid input */
    EXIT_DB = 69,      /* database unavailable or failing */
    EXIT_SOFTWARE = 70,
    EXIT_IO = 74,
    EXIT_DENIED = 77,
    EXIT_CONFIG = 78
};

typedef struct cli {
    const char *config_path; /* --config, may be NULL */
    at_config *cfg;
    at_db *db;
    at_actor actor;
    char actor_name[80];
} cli;

typedef int (*cmd_fn)(cli *c, int argc, char **argv);

/* Opens config and database on first use; exits with a message on failure.
 * check_schema: refuse a database that is not at this build's schema. */
at_db *cli_db(cli *c, int check_schema);

/* Prints "asynctasks: <msg>" and returns the exit code for err. */
int cli_fail(const at_error *err);
int cli_exit_code(int status);
/* Prints a usage error with a hint to --help, returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a whole number in [min, max]; on error prints and returns -1. */
int cli_number(const char *what, const char *s, long long min, long long max, long long *out);

/* Reads a whole file ("-": stdin), at most max bytes. */
int cli_read_file(const char *path, size_t max, char **out, size_t *len, at_error *err);

/* Looks things up by their names, with messages that say what is wrong. */
int cli_business(cli *c, const char *slug, at_business *b);
int cli_user(cli *c, const char *email, at_user *u);
int cli_task_type(cli *c, const char *name, at_task_type *t);
/* For "COMMAND SUBCOMMAND EMAIL" (argv[0] is "asynctasks COMMAND"): the
 * user named, or the exit status of what is wrong. */
int cli_one_user(cli *c, int argc, char **argv, at_user *u);

/* Drops the subcommand word, keeping the program name first (getopt's
 * messages start with it): "asynctasks user" add ... -> "asynctasks user" ... */
static inline char **
cli_shift(char **argv)
{
    argv[1] = argv[0];
    return argv + 1;
}

/* Makes SIGINT and SIGTERM set cli_stop_requested (and cut a sleep
 * short), for commands that stop cleanly between steps. */
extern volatile sig_atomic_t cli_stop_requested;
void cli_catch_stop(void);

/* Prints the hint after getopt's own complaint; returns EXIT_USAGE. */
int cli_bad_option(const char *cmd);

/* For a command with subcommands: prints help and returns the exit status
 * when argv asks for it or names no subcommand; otherwise returns -1. */
int cli_help(int argc, char **argv, const char *help);

/* Whether argv asks for help: -h or --help as the first or second word. */
int cli_wants_help(int argc, char **argv);

/* Output (out.c): on a terminal, stdout and stderr write control
 * characters as C-style escapes (\x1b), newlines and tabs excepted; call
 * first in main. */
void cli_out_init(void);
/* Prints s as a table cell: control characters escaped wherever the table
 * goes (newlines and tabs too), padded with spaces to width characters. */
void cli_cell(FILE *f, const char *s, size_t width);

int cmd_migrate(cli *c, int argc, char **argv);
int cmd_business(cli *c, int argc, char **argv);
int cmd_counters(cli *c, int argc, char **argv);
int cmd_stats(cli *c, int argc, char **argv);
int cmd_user(cli *c, int argc, char **argv);
int cmd_member(cli *c, int argc, char **argv);
int cmd_platform_admin(cli *c, int argc, char **argv);
int cmd_type(cli *c, int argc, char **argv);
int cmd_demo_data(cli *c, int argc, char **argv);
int cmd_enqueue(cli *c, int argc, char **argv);
/* enqueue --from: the tasks of a file of tab-separated lines (enqueue_from.c). */
int cli_enqueue_from(cli *c, const char *path, int print_ids);
/* One of its lines (NUL-terminated, no line end) into a task, in place:
 * names and req point into s. AT_OK, or AT_EINVAL saying why not
 * (from_line.c). */
int cli_from_line(char *s, at_time now, at_task_names *names, at_enqueue *req, at_error *err);
int cmd_tasks(cli *c, int argc, char **argv);
/* tasks retry|cancel|delete over a filter (cmd_bulk.c); *not_bulk 1, and
 * nothing done, when the arguments name tasks by id instead. */
int cli_tasks_bulk(cli *c, int argc, char **argv, int action, int *not_bulk);
/* tasks bulk-run: runs the batches of a bulk job that waits for a runner. */
int cli_tasks_bulk_run(cli *c, int argc, char **argv);
int cmd_pause(cli *c, int argc, char **argv);
int cmd_resume(cli *c, int argc, char **argv);
int cmd_audit(cli *c, int argc, char **argv);
int cmd_plugin(cli *c, int argc, char **argv);
int cmd_token(cli *c, int argc, char **argv);
int cmd_login(cli *c, int argc, char **argv);
int cmd_explain(cli *c, int argc, char **argv);
int cmd_prune(cli *c, int argc, char **argv);
int cmd_schedule(cli *c, int argc, char **argv);

#endif
