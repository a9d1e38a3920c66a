/* cmd_login.c: the login throttle from the operator's side: clearing it,
 * the way in for an admin locked out of the screen. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "cli.h"

int
cmd_login(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks login unlock [--email EMAIL] [--address ADDRESS]\n\n"
        "Clears the count of failed logins that makes the login page answer 429:\n"
        "with --email, that email's from every address; with --address, that\n"
        "address's own and every email's from it; with both, that email's from\n"
        "that address and the address's own. An IPv6 address stands for its /64.\n"
        "Written to the platform's audit log (asynctasks audit list --platform).\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    if (strcmp(argv[1], "unlock") != 0)
        return cli_usage("login", "unknown subcommand '%s'", argv[1]);
    static const struct option opts[] = {{"email", required_argument, NULL, 'e'},
                                         {"address", required_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    const char *email = NULL, *address = NULL;
    int o;
    argv = cli_shift(argv), argc--;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'e')
            email = optarg;
        else if (o == 'a')
            address = optarg;
        else
            return cli_bad_option("login");
    }
    if ((!email && !address) || optind != argc)
        return cli_usage("login",
                         "login unlock takes --email, --address or both, and nothing else");
    at_error err = {0};
    uint64_t cleared;
    if (at_login_unlock(cli_db(c, 1), &c->actor, email, address, &cleared, &err))
        return cli_fail(&err);
    printf("cleared %llu failed-login count%s\n", (unsigned long long) cleared,
           cleared == 1 ? "" : "s");
    return EXIT_OK;
}
