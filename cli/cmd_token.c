/* cmd_token.c: the API tokens of a business, for the HTTP enqueue
 * endpoint: create (the secret is shown once), list, revoke. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <asynctasks/apitoken.h>

#include "cli.h"

int
cmd_token(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks token create BUSINESS NAME\n"
        "       asynctasks token list BUSINESS\n"
        "       asynctasks token revoke BUSINESS NAME\n\n"
        "API tokens let a program enqueue tasks of the business over HTTP\n"
        "(POST /api/v1/tasks with \"Authorization: Bearer TOKEN\"). create prints the\n"
        "new token, alone on standard output: it is shown this once, since only its\n"
        "SHA-256 is kept. NAME says what the token is for; it is unique in the\n"
        "business and is not reused after a revoke. Creating and revoking are\n"
        "written to the audit log.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    const char *sub = argv[1];
    int want = strcmp(sub, "list") == 0 ? 3 : 4;
    if (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0)
        return cli_usage("token", "unknown subcommand '%s'", sub);
    if (argc != want)
        return cli_usage("token", "token %s takes %s", sub,
                         want == 3 ? "BUSINESS" : "BUSINESS and NAME");
    at_business b;
    int rc = cli_business(c, argv[2], &b);
    if (rc)
        return rc;
    at_db *db = cli_db(c, 1);
    at_error err = {0};
    if (strcmp(sub, "create") == 0) {
        char token[AT_TOKEN_TEXT_BUF];
        if (at_api_token_create(db, &c->actor, b.id, argv[3], token, NULL, &err))
            return cli_fail(&err);
        /* the token alone, so that a script can take it: $(asynctasks token create ...) */
        printf("%s\n", token);
        at_wipe(token, sizeof token);
        return EXIT_OK;
    }
    if (strcmp(sub, "revoke") == 0) {
        if (at_api_token_revoke(db, &c->actor, b.id, argv[3], &err))
            return cli_fail(&err);
        printf("revoked token %s of %s\n", argv[3], b.slug);
        return EXIT_OK;
    }
    at_api_token *v;
    size_t n;
    if (at_api_token_list(db, b.id, &v, &n, &err))
        return cli_fail(&err);
    char t1[32], t2[32], t3[32];
    printf("%-6s %-20s %-20s %-20s %s\n", "ID", "CREATED", "LAST USED", "REVOKED", "NAME");
    for (size_t i = 0; i < n; i++) {
        printf("%-6llu %-20s %-20s %-20s ", (unsigned long long) v[i].id,
               at_time_format(v[i].created_at, t1, sizeof t1),
               v[i].last_used_at ? at_time_format(v[i].last_used_at, t2, sizeof t2) : "-",
               v[i].revoked_at ? at_time_format(v[i].revoked_at, t3, sizeof t3) : "-");
        cli_cell(stdout, v[i].name, 0);
        putchar('\n');
    }
    free(v);
    return EXIT_OK;
}
