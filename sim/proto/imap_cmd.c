/*
 * imap_cmd: the server's command table, after OpenSMTPD's: for each command
 * the states it is valid in, a pure parse of its arguments and an apply that
 * acts. Here too the commands of any state (CAPABILITY, NOOP, LOGOUT), of
 * the not-authenticated state (LOGIN, AUTHENTICATE PLAIN) and IDLE; the
 * mailbox commands are in imap_cmd_mailbox.c, the selected-state ones in
 * imap_cmd_selected.c, imap_fetch.c and imap_search.c.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/utf7.h"
#include "proto/imap_server_int.h"
#include "proto/smtp_auth.h"

void imap_args_free(imap_args_t *a)
{
    buf_free(&a->s1);
    buf_free(&a->s2);
    imap_seqset_free(&a->set);
    imap_flags_free(&a->flags);
    if (a->fetch)
        imap_fetch_free(a->fetch);
    if (a->search)
        imap_search_free(a->search);
    a->fetch = NULL;
    a->search = NULL;
}

bool imap_parse_no_args(imap_parser_t *ps, imap_args_t *a)
{
    if (!imap_parse_at_end(ps)) {
        ps->error = "this command takes no arguments";
        return false;
    }
    return true;
}

char *imap_mailbox_decode(const buf_t *wire, const char **why)
{
    if (strlen(buf_cstr(wire)) != wire->len) {
        *why = "a mailbox name cannot hold NUL";
        return NULL;
    }
    /* RFC 3501 5.1: INBOX in any case is INBOX. */
    if (str_casecmp(buf_cstr(wire), "INBOX") == 0)
        return xstrdup("INBOX");
    return utf7_decode(buf_cstr(wire), why);
}

void imap_resp_mailbox(imap_resp_t *r, const char *utf8)
{
    char *wire = utf7_encode(utf8, NULL);
    const char *name = wire ? wire : utf8;
    imap_resp_string(r, name, strlen(name));
    free(wire);
}

/* --- any state ---------------------------------------------------------- */

static void apply_capability(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    buf_t caps = BUF_INIT;
    imap_capabilities(s, &caps);
    imap_untagged(s, out, "CAPABILITY", "CAPABILITY %s", buf_cstr(&caps));
    buf_free(&caps);
    imap_result_set(res, "OK", "CAPABILITY completed");
}

static void apply_noop(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    /* RFC 3501 6.1.2: NOOP's use is the updates that come with it. */
    imap_result_set(res, "OK", "NOOP completed");
}

static void apply_logout(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    /* RFC 3501 6.1.3: BYE, then the tagged OK, then the server closes. */
    imap_untagged(s, out, "BYE", "BYE %s IMAP4rev1 server logging out", s->hostname);
    imap_view_close(s);
    s->closing = true;
    imap_server_set_state(s, IMAP_SERVER_LOGOUT);
    imap_result_set(res, "OK", "LOGOUT completed");
    res->no_sync = true;
}

static void apply_starttls(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    imap_result_set(res, "BAD", "STARTTLS is not offered: the simulation has no TLS");
}

/* --- not authenticated -------------------------------------------------- */

static bool parse_login(imap_parser_t *ps, imap_args_t *a)
{
    return imap_parse_sp(ps) && imap_parse_astring(ps, &a->s1) && imap_parse_sp(ps) &&
           imap_parse_astring(ps, &a->s2);
}

/* Logs in as user with password; the tagged reply goes to res. */
static void log_in(imap_server_t *s, const char *user, const char *password, const char *what,
                   imap_result_t *res)
{
    store_user_t *u =
        s->hooks.authenticate ? s->hooks.authenticate(s->hooks.ctx, user, password) : NULL;
    if (!u) {
        /* RFC 5530 3: AUTHENTICATIONFAILED names the cause without saying which part was wrong. */
        imap_result_set(res, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
        return;
    }
    s->user = u;
    imap_server_set_state(s, IMAP_SERVER_AUTHENTICATED);
    imap_result_set(res, "OK", "%s completed", what);
}

static void apply_login(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    if (strlen(buf_cstr(&a->s1)) != a->s1.len || strlen(buf_cstr(&a->s2)) != a->s2.len) {
        imap_result_set(res, "BAD", "LOGIN: a user name or password cannot hold NUL");
        return;
    }
    log_in(s, buf_cstr(&a->s1), buf_cstr(&a->s2), "LOGIN", res);
}

static bool parse_authenticate(imap_parser_t *ps, imap_args_t *a)
{
    if (!imap_parse_sp(ps) || !imap_parse_atom(ps, &a->s1))
        return false;
    /* RFC 4959: an initial response after the mechanism ("=" for an empty one). */
    if (imap_parse_char(ps, ' ') && !imap_parse_atom(ps, &a->s2))
        return false;
    return true;
}

/* The PLAIN response (base64) checked and used; the tagged reply goes to res. */
static void auth_plain(imap_server_t *s, const char *b64, imap_result_t *res)
{
    buf_t msg = BUF_INIT;
    char *user = NULL, *password = NULL;
    if (!smtp_auth_b64_decode(b64, &msg) ||
        !smtp_auth_plain_split(msg.data, msg.len, &user, &password))
        imap_result_set(res, "BAD", "AUTHENTICATE: not a valid PLAIN response (RFC 4616)");
    else
        log_in(s, user, password, "AUTHENTICATE", res);
    free(user);
    free(password);
    buf_free(&msg);
}

static void apply_authenticate(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    if (str_casecmp(buf_cstr(&a->s1), "PLAIN") != 0) {
        imap_result_set(res, "NO", "Unsupported authentication mechanism (only PLAIN)");
        return;
    }
    if (a->s2.len > 0 && !(s->cfg.capabilities & IMAP_CAP_SASL_IR)) {
        imap_result_set(res, "BAD", "SASL-IR is not offered: send the response after \"+\"");
        return;
    }
    if (a->s2.len > 0) {
        auth_plain(s, buf_cstr(&a->s2), res);
        return;
    }
    /* RFC 3501 6.2.2: PLAIN has no challenge, so the continuation is empty. */
    imap_resp_reset(&s->resp);
    imap_resp_printf(&s->resp, "+ ");
    imap_resp_send(s, &s->resp, out, "+", NULL);
    imap_server_set_state(s, IMAP_SERVER_AUTHENTICATING);
}

void imap_auth_line(imap_server_t *s, const char *line, size_t len, buf_t *out)
{
    imap_result_t res = {NULL, BUF_INIT, false};
    imap_server_set_state(s, IMAP_SERVER_NOT_AUTHENTICATED);
    /* RFC 3501 6.2.2: "*" cancels the exchange. */
    if (strcmp(line, "*") == 0)
        imap_result_set(&res, "BAD", "AUTHENTICATE cancelled");
    else if (strlen(line) != len || len == 0)
        imap_result_set(&res, "BAD", "AUTHENTICATE: not a valid PLAIN response (RFC 4616)");
    else
        auth_plain(s, line, &res);
    imap_tagged(s, out, res.status, "%s", buf_cstr(&res.text));
    buf_free(&res.text);
}

/* --- IDLE --------------------------------------------------------------- */

static void apply_idle(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    /* RFC 2177 3: what is pending goes out first, then "+" and updates as they come. */
    imap_view_sync(s, out, true);
    imap_resp_reset(&s->resp);
    imap_resp_printf(&s->resp, "+ idling");
    imap_resp_send(s, &s->resp, out, "+", NULL);
    imap_server_set_state(s, IMAP_SERVER_IDLE);
}

void imap_idle_line(imap_server_t *s, const char *line, size_t len, buf_t *out)
{
    imap_server_set_state(s, s->view.folder ? IMAP_SERVER_SELECTED : IMAP_SERVER_AUTHENTICATED);
    imap_view_sync(s, out, true);
    if (str_casecmp(line, "DONE") == 0 && len == 4)
        imap_tagged(s, out, "OK", "IDLE terminated");
    else
        imap_tagged(s, out, "BAD", "IDLE: DONE was expected");
}

/* --- the table ---------------------------------------------------------- */

#define SEL IMAP_IN(SELECTED)
#define NOAUTH IMAP_IN(NOT_AUTHENTICATED)

static const imap_command_t commands[] = {
    {"CAPABILITY", IMAP_IN_ANY, 0, false, true, imap_parse_no_args, apply_capability},
    {"NOOP", IMAP_IN_ANY, 0, false, true, imap_parse_no_args, apply_noop},
    {"LOGOUT", IMAP_IN_ANY, 0, false, true, imap_parse_no_args, apply_logout},
    {"STARTTLS", NOAUTH, 0, false, true, imap_parse_no_args, apply_starttls},
    {"LOGIN", NOAUTH, 0, false, true, parse_login, apply_login},
    {"AUTHENTICATE", NOAUTH, 0, false, true, parse_authenticate, apply_authenticate},
    {"SELECT", IMAP_IN_AUTH, 0, false, true, imap_parse_mailbox, imap_apply_select},
    {"EXAMINE", IMAP_IN_AUTH, 0, false, true, imap_parse_mailbox, imap_apply_examine},
    {"CREATE", IMAP_IN_AUTH, 0, false, true, imap_parse_mailbox, imap_apply_create},
    {"DELETE", IMAP_IN_AUTH, 0, false, true, imap_parse_mailbox, imap_apply_delete},
    {"RENAME", IMAP_IN_AUTH, 0, false, true, imap_parse_two_mailboxes, imap_apply_rename},
    {"SUBSCRIBE", IMAP_IN_AUTH, 0, false, true, imap_parse_mailbox, imap_apply_subscribe},
    {"UNSUBSCRIBE", IMAP_IN_AUTH, 0, false, true, imap_parse_mailbox, imap_apply_unsubscribe},
    {"LIST", IMAP_IN_AUTH, 0, false, true, imap_parse_list, imap_apply_list},
    {"LSUB", IMAP_IN_AUTH, 0, false, true, imap_parse_list, imap_apply_lsub},
    {"STATUS", IMAP_IN_AUTH, 0, false, true, imap_parse_status, imap_apply_status},
    {"APPEND", IMAP_IN_AUTH, 0, false, true, imap_parse_append, imap_apply_append},
    {"IDLE", IMAP_IN_AUTH, IMAP_CAP_IDLE, false, true, imap_parse_no_args, apply_idle},
    {"CHECK", SEL, 0, false, true, imap_parse_no_args, imap_apply_check},
    {"CLOSE", SEL, 0, false, true, imap_parse_no_args, imap_apply_close},
    {"UNSELECT", SEL, IMAP_CAP_UNSELECT, false, true, imap_parse_no_args, imap_apply_unselect},
    {"EXPUNGE", SEL, 0, true, true, imap_parse_expunge, imap_apply_expunge},
    /* RFC 3501 7.4.1: no EXPUNGE response while answering FETCH, STORE or SEARCH. */
    {"SEARCH", SEL, 0, true, false, imap_parse_search, imap_apply_search},
    {"FETCH", SEL, 0, true, false, imap_parse_fetch, imap_apply_fetch},
    {"STORE", SEL, 0, true, false, imap_parse_store, imap_apply_store},
    {"COPY", SEL, 0, true, true, imap_parse_copy, imap_apply_copy},
    {"MOVE", SEL, IMAP_CAP_MOVE, true, true, imap_parse_copy, imap_apply_move},
};

const imap_command_t *imap_command_find(const char *name, bool uid)
{
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (strcmp(commands[i].name, name) == 0 && (!uid || commands[i].uid_form))
            return &commands[i];
    return NULL;
}
