/* h_auth.c: logging in and out. The login form is protected against
 * cross-site posting by a token in a cookie that the form repeats; a new
 * session (and token) is made at every login. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "app.h"

static const char *
next_or_default(const fc_ctx *c)
{
    const fc_value *n = fc_arg(c, "next");
    return n->present ? n->s : "/admin/async-tasks";
}

int
h_root(fc_ctx *c)
{
    return fc_redirect(c, c->acc.logged_in ? "/admin/async-tasks" : "/login");
}

/* The form's anti-forgery token: the cookie's if it has a good one. */
static const char *
login_token(fc_ctx *c, char buf[AT_TOKEN_LEN + 1])
{
    const fc_kv *ck = fc_kv_get(&c->cookies, FC_LOGIN_COOKIE);
    if (ck && strlen(ck->value) == AT_TOKEN_LEN &&
        strspn(ck->value, "0123456789abcdef") == AT_TOKEN_LEN)
        return ck->value;
    at_error err;
    if (at_random_token(buf, &err))
        return NULL;
    fc_set_cookie(c, FC_LOGIN_COOKIE, buf, "/login", 3600);
    return buf;
}

static int
login_page(fc_ctx *c, int status, const char *message, const char *email)
{
    char tokbuf[AT_TOKEN_LEN + 1];
    const char *token = login_token(c, tokbuf);
    if (!token)
        return fc_error(c, 500, "No random numbers available.");
    c->resp.status = status;
    if (vw_page_begin(c, "Log in"))
        return fc_error(c, 500, "Out of memory.");
    vw_start(c, "section", "login");
    vw_elem(c, "h1", NULL, "Log in");
    if (message) {
        vw_start(c, "p", "form-error");
        vw_attr(c, "role", "alert");
        vw_text(c, message);
        vw_end(c);
    }
    vw_form_begin(c, "post", "/login", "stack");
    vw_hidden(c, "csrf", token);
    const fc_value *n = fc_arg(c, "next");
    if (n->present)
        vw_hidden(c, "next", n->s);
    vw_label(c, "login-email", "Email");
    vw_start(c, "input", NULL);
    vw_attr(c, "type", "email");
    vw_attr(c, "id", "login-email");
    vw_attr(c, "name", "email");
    vw_attr(c, "value", email);
    vw_attr(c, "autocomplete", "username");
    vw_attr(c, "required", "required");
    vw_end_void(c);
    vw_label(c, "login-password", "Password");
    vw_start(c, "input", NULL);
    vw_attr(c, "type", "password");
    vw_attr(c, "id", "login-password");
    vw_attr(c, "name", "password");
    vw_attr(c, "autocomplete", "current-password");
    vw_attr(c, "required", "required");
    vw_end_void(c);
    vw_button(c, "submit", "primary", "Log in");
    vw_end(c); /* form */
    vw_end(c); /* section */
    return vw_page_end(c);
}

int
h_login_form(fc_ctx *c)
{
    if (c->acc.logged_in)
        return fc_redirect(c, next_or_default(c));
    return login_page(c, 200, NULL, NULL);
}

/* The 429 page of an attempt over a limit: its password was not checked. */
static int
throttled(fc_ctx *c, const at_login_try *t, const char *email)
{
    char msg[160];
    snprintf(msg, sizeof msg, "Too many failed logins %s. Try again in %u second%s.",
             t->blocked == AT_LOGIN_ADDRESS ? "from this address" : "for this email", t->wait_s,
             t->wait_s == 1 ? "" : "s");
    char secs[16];
    snprintf(secs, sizeof secs, "%u", t->wait_s);
    fc_add_header(c, "Retry-After", secs);
    at_log(AT_LOG_INFO, "login refused for %u s: too many failures %s %s", t->wait_s,
           t->blocked == AT_LOGIN_ADDRESS ? "from" : "of its email from", t->addr);
    return login_page(c, 429, msg, email);
}

int
h_login(fc_ctx *c)
{
    const char *email = fc_arg(c, "email")->s;
    const char *password = fc_arg(c, "password")->s;
    at_error err;
    /* Counted before the password is checked, so that parallel attempts
     * cannot slip past the limit. */
    at_login_try t;
    if (at_login_attempt(c->db, email, c->remote_addr, &t, &err))
        return fc_fail(c, &err);
    if (t.blocked != AT_LOGIN_FREE)
        return throttled(c, &t, email);
    at_user u;
    int rc = at_user_authenticate(c->db, email, password, &u, &err);
    if (rc == AT_EDENIED) {
        if (u.disabled_at)
            at_log(AT_LOG_INFO, "refused login of disabled user %s from %s", u.email,
                   c->remote_addr);
        else
            at_log(AT_LOG_INFO, "failed login from %s", c->remote_addr);
        return login_page(c, 401, "Wrong email or password.", email);
    }
    if (rc)
        return fc_fail(c, &err);
    if (at_login_succeeded(c->db, &t, &err))
        at_log(AT_LOG_WARN, "cannot clear the failed logins of a login: %s", err.msg);
    /* A new session at every login: a token planted before it is useless. */
    if (c->acc.logged_in)
        at_session_end(c->db, c->token, &err);
    char token[AT_TOKEN_LEN + 1];
    at_session s;
    if (at_session_create(c->db, u.id, FC_SESSION_LIFE, token, &s, &err))
        return fc_fail(c, &err);
    fc_set_cookie(c, FC_SESSION_COOKIE, token, "/", FC_SESSION_LIFE);
    fc_set_cookie(c, FC_LOGIN_COOKIE, NULL, "/login", 0);
    at_log(AT_LOG_INFO, "%s logged in from %s", u.email, c->remote_addr);
    return fc_redirect(c, next_or_default(c));
}

int
h_logout(fc_ctx *c)
{
    at_error err;
    if (at_session_end(c->db, c->token, &err))
        return fc_fail(c, &err);
    fc_set_cookie(c, FC_SESSION_COOKIE, NULL, "/", 0);
    return fc_redirect(c, "/login");
}
