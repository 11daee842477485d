/*
 * smtp_server_cmd: the server's command table, after OpenSMTPD's
 * smtp_session.c: for each verb a pure check (sequence, syntax, limits) that
 * answers with the error reply, and an apply that acts and replies.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_server_int.h"

static const smtp_reply_t ok_reply; /* code 0: the command may go ahead */

static smtp_reply_t syntax(const char *usage)
{
    return smtp_reply_make(501, "5.5.4", "Syntax: %s", usage);
}

static smtp_reply_t no_args(const char *args, const char *usage)
{
    return args[0] ? syntax(usage) : ok_reply;
}

/* Copies the first word of args into w; false when there is none or it is too long. */
static bool first_word(const char *args, char *w, size_t n, const char **rest)
{
    size_t len = strcspn(args, " ");
    if (len == 0 || len >= n)
        return false;
    memcpy(w, args, len);
    w[len] = '\0';
    const char *p = args + len;
    while (*p == ' ')
        p++;
    *rest = p;
    return true;
}

/* --- HELO, EHLO --------------------------------------------------------- */

static smtp_reply_t check_helo(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a)
{
    const char *rest;
    /* RFC 5321 4.1.1.1: the client names itself; the name is not verified. */
    if (!first_word(args, a->word, sizeof a->word, &rest))
        return syntax("HELO hostname");
    return ok_reply;
}

static smtp_reply_t check_ehlo(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a)
{
    const char *rest;
    if (!first_word(args, a->word, sizeof a->word, &rest))
        return syntax("EHLO hostname");
    return ok_reply;
}

/* RFC 5321 4.1.4: HELO/EHLO in the middle of a transaction resets it. */
static void greeted_by(smtp_server_t *s, const char *name)
{
    smtp_server_reset_transaction(s);
    free(s->helo);
    s->helo = xstrdup(name);
    smtp_server_set_state(s, SMTP_SERVER_READY);
}

static void apply_helo(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    greeted_by(s, a->word);
    smtp_reply_t r = smtp_reply_make(250, NULL, "%s", s->hostname);
    smtp_server_send_plain(s, &r, out);
}

static void apply_ehlo(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    greeted_by(s, a->word);
    unsigned ext = smtp_server_offered(s);
    buf_t text = BUF_INIT;
    buf_printf(&text, "%s Hello %s", s->hostname, a->word);
    if (ext & SMTP_EXT_PIPELINING)
        buf_puts(&text, "\nPIPELINING");
    /* RFC 1870 4: "SIZE" with no number when there is no fixed limit. */
    if ((ext & SMTP_EXT_SIZE) && s->cfg.max_size)
        buf_printf(&text, "\nSIZE %llu", (unsigned long long)s->cfg.max_size);
    else if (ext & SMTP_EXT_SIZE)
        buf_puts(&text, "\nSIZE");
    if (ext & SMTP_EXT_8BITMIME)
        buf_puts(&text, "\n8BITMIME");
    if (ext & SMTP_EXT_ENHANCEDSTATUSCODES)
        buf_puts(&text, "\nENHANCEDSTATUSCODES");
    if (ext & SMTP_EXT_AUTH)
        buf_puts(&text, "\nAUTH PLAIN LOGIN");
    smtp_reply_t r = smtp_reply_make(250, NULL, "%s", buf_cstr(&text));
    buf_free(&text);
    smtp_server_send_plain(s, &r, out);
}

/* --- MAIL --------------------------------------------------------------- */

static smtp_reply_t mail_sequence(const smtp_server_t *s)
{
    switch (s->state) {
    case SMTP_SERVER_READY:
        break;
    case SMTP_SERVER_MAIL:
    case SMTP_SERVER_RCPT:
        return smtp_reply_make(503, "5.5.1", "Nested MAIL command");
    case SMTP_SERVER_NEW:
    case SMTP_SERVER_GREETED:
    case SMTP_SERVER_REFUSING:
    case SMTP_SERVER_DATA:
    case SMTP_SERVER_AUTH_PLAIN:
    case SMTP_SERVER_AUTH_LOGIN_USER:
    case SMTP_SERVER_AUTH_LOGIN_PASS:
    case SMTP_SERVER_CLOSED:
        return smtp_reply_make(503, "5.5.1", "Send HELO or EHLO first");
    }
    /* RFC 4954 6 and RFC 6409 4.3: submission wants to know who is sending. */
    if (s->cfg.submission && !s->auth_user)
        return smtp_reply_make(530, "5.7.0", "Authentication required");
    return ok_reply;
}

static smtp_reply_t mail_size(const smtp_server_t *s, const smtp_param_t *p)
{
    if (!(smtp_server_offered(s) & SMTP_EXT_SIZE))
        return smtp_reply_make(555, "5.5.4", "SIZE parameter not supported here");
    size_t n = strlen(p->value);
    if (!p->has_value || n == 0 || n > 19 || strspn(p->value, "0123456789") != n)
        return smtp_reply_make(501, "5.5.4", "Bad SIZE value");
    uint64_t size = strtoull(p->value, NULL, 10);
    /* RFC 1870 6.1: a declared size over the fixed maximum is refused at once. */
    if (s->cfg.max_size && size > s->cfg.max_size)
        return smtp_reply_make(552, "5.3.4", "Message size exceeds fixed maximum message size");
    return ok_reply;
}

static smtp_reply_t mail_body(const smtp_server_t *s, const smtp_param_t *p, smtp_cmd_args_t *a)
{
    if (!(smtp_server_offered(s) & SMTP_EXT_8BITMIME))
        return smtp_reply_make(555, "5.5.4", "BODY parameter not supported here");
    if (p->has_value && str_casecmp(p->value, "7BIT") == 0)
        a->body_8bit = false;
    else if (p->has_value && str_casecmp(p->value, "8BITMIME") == 0)
        a->body_8bit = true;
    else
        return smtp_reply_make(501, "5.5.4", "Unknown BODY value \"%s\"", p->value);
    return ok_reply;
}

static smtp_reply_t mail_params(const smtp_server_t *s, const char *rest, smtp_cmd_args_t *a)
{
    if (rest[0] && rest[0] != ' ')
        return syntax("MAIL FROM:<address> [parameters]");
    unsigned seen = 0;
    smtp_param_t p;
    int got;
    while ((got = smtp_param_next(&rest, &p)) == 1) {
        smtp_reply_t r = ok_reply;
        unsigned bit = 0;
        if (str_casecmp(p.keyword, "SIZE") == 0) {
            bit = 1;
            r = mail_size(s, &p);
        } else if (str_casecmp(p.keyword, "BODY") == 0) {
            bit = 2;
            r = mail_body(s, &p, a);
        } else if (str_casecmp(p.keyword, "AUTH") == 0 &&
                   (smtp_server_offered(s) & SMTP_EXT_AUTH)) {
            bit = 4; /* RFC 4954 5: accepted; mailsim does not relay the identity */
        } else {
            r = smtp_reply_make(555, "5.5.4", "Unsupported parameter \"%s\"", p.keyword);
        }
        if (r.code)
            return r;
        if (seen & bit)
            return smtp_reply_make(501, "5.5.4", "Parameter \"%s\" given twice", p.keyword);
        seen |= bit;
    }
    return got < 0 ? smtp_reply_make(501, "5.5.4", "Bad parameter syntax") : ok_reply;
}

static smtp_reply_t check_mail(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a)
{
    smtp_reply_t r = mail_sequence(s);
    if (r.code)
        return r;
    if (!str_has_prefix_ci(args, "FROM:"))
        return syntax("MAIL FROM:<address>");
    const char *p = args + 5, *rest, *why;
    while (*p == ' ')
        p++;
    if (smtp_path_parse(p, true, false, a->path, &rest, &why) != SMTP_PATH_OK)
        return smtp_reply_make(501, "5.1.7", "Bad sender address: %s", why);
    return mail_params(s, rest, a);
}

static void apply_mail(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_reply_t r = smtp_reply_make(250, "2.1.0", "Sender <%s> OK", a->path);
    if (s->hooks.check_sender)
        r = smtp_server_hook_reply(s->hooks.check_sender(s->hooks.ctx, a->path, s->auth_user));
    if (smtp_reply_ok(&r)) {
        s->reverse_path = xstrdup(a->path);
        s->body_8bit = a->body_8bit;
        smtp_server_set_state(s, SMTP_SERVER_MAIL);
    }
    smtp_server_send(s, &r, out);
}

/* --- RCPT --------------------------------------------------------------- */

static smtp_reply_t check_rcpt(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a)
{
    if (s->state != SMTP_SERVER_MAIL && s->state != SMTP_SERVER_RCPT)
        return smtp_reply_make(503, "5.5.1", "Need MAIL before RCPT");
    if (!str_has_prefix_ci(args, "TO:"))
        return syntax("RCPT TO:<address>");
    const char *p = args + 3, *rest, *why;
    while (*p == ' ')
        p++;
    if (smtp_path_parse(p, false, true, a->path, &rest, &why) != SMTP_PATH_OK)
        return smtp_reply_make(501, "5.1.3", "Bad recipient address: %s", why);
    smtp_param_t param;
    int got = rest[0] && rest[0] != ' ' ? -1 : smtp_param_next(&rest, &param);
    if (got < 0)
        return smtp_reply_make(501, "5.5.4", "Bad parameter syntax");
    if (got > 0)
        return smtp_reply_make(555, "5.5.4", "Unsupported parameter \"%s\"", param.keyword);
    /* RFC 5321 4.5.3.1.10: past the limit, 452 and the client tries them later. */
    if (s->nrecipients >= s->cfg.max_recipients)
        return smtp_reply_make(452, "4.5.3", "Too many recipients");
    return ok_reply;
}

static void add_recipient(smtp_server_t *s, const char *addr)
{
    if (s->nrecipients == s->cap_recipients) {
        s->cap_recipients = s->cap_recipients ? s->cap_recipients * 2 : 8;
        s->recipients = xrealloc(s->recipients, s->cap_recipients * sizeof *s->recipients);
    }
    s->recipients[s->nrecipients++] = xstrdup(addr);
}

static void apply_rcpt(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_reply_t r = smtp_reply_make(250, "2.1.5", "Recipient <%s> OK", a->path);
    /* RFC 5321 4.5.1: <Postmaster> is always taken, whatever the policy. */
    if (s->hooks.check_recipient && !smtp_path_is_postmaster(a->path))
        r = smtp_server_hook_reply(s->hooks.check_recipient(s->hooks.ctx, a->path, s->auth_user));
    if (smtp_reply_ok(&r)) {
        add_recipient(s, a->path);
        smtp_server_set_state(s, SMTP_SERVER_RCPT);
    }
    smtp_server_send(s, &r, out);
}

/* --- DATA, RSET, NOOP, QUIT, VRFY, HELP, EXPN, AUTH ---------------------- */

static smtp_reply_t check_data(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a)
{
    /* RFC 5321 3.3 and RFC 2920 3.1: no valid recipient is 554, no MAIL is 503. */
    if (s->state == SMTP_SERVER_MAIL)
        return smtp_reply_make(554, "5.5.1", "No valid recipients");
    if (s->state != SMTP_SERVER_RCPT)
        return smtp_reply_make(503, "5.5.1", "Need MAIL and RCPT before DATA");
    return no_args(args, "DATA");
}

static void apply_data(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_server_reply(s, out, 354, NULL, "End data with <CR><LF>.<CR><LF>");
    smtp_server_begin_data(s);
}

static smtp_reply_t check_rset(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a)
{
    return no_args(args, "RSET");
}

static void apply_rset(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_server_reset_transaction(s);
    if (s->state == SMTP_SERVER_MAIL || s->state == SMTP_SERVER_RCPT)
        smtp_server_set_state(s, SMTP_SERVER_READY);
    smtp_server_reply(s, out, 250, "2.0.0", "Ok");
}

static smtp_reply_t check_any(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a)
{
    return ok_reply;
}

static void apply_noop(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_server_reply(s, out, 250, "2.0.0", "Ok");
}

static smtp_reply_t check_quit(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a)
{
    return no_args(args, "QUIT");
}

static void apply_quit(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_server_reply(s, out, 221, "2.0.0", "%s Bye", s->hostname);
    smtp_server_reset_transaction(s);
    s->closing = true;
    smtp_server_set_state(s, SMTP_SERVER_CLOSED);
}

static smtp_reply_t check_vrfy(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a)
{
    return args[0] ? ok_reply : syntax("VRFY address");
}

static void apply_vrfy(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    /* RFC 5321 3.5.3: 252 says "I will not tell, but I will try to deliver". */
    smtp_server_reply(s, out, 252, "2.0.0",
                      "Cannot VRFY user, but will accept message and attempt delivery");
}

static void apply_help(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_server_reply(s, out, 214, "2.0.0",
                      "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP%s\n"
                      "See RFC 5321 for what each one does",
                      (smtp_server_offered(s) & SMTP_EXT_AUTH) ? " AUTH" : "");
}

static void apply_expn(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    /* RFC 5321 3.5.2: a server may refuse to expand lists. */
    smtp_server_reply(s, out, 502, "5.5.1", "EXPN not implemented");
}

static smtp_reply_t check_auth(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a)
{
    if (!(smtp_server_offered(s) & SMTP_EXT_AUTH))
        return smtp_reply_make(502, "5.5.1", "AUTH not available");
    if (s->state == SMTP_SERVER_GREETED)
        return smtp_reply_make(503, "5.5.1", "Send EHLO first");
    /* RFC 4954 4: not during a transaction, and only once. */
    if (s->state != SMTP_SERVER_READY)
        return smtp_reply_make(503, "5.5.1", "AUTH not permitted during a mail transaction");
    if (s->auth_user)
        return smtp_reply_make(503, "5.5.1", "Already authenticated");
    const char *rest;
    if (!first_word(args, a->word, sizeof a->word, &rest))
        return syntax("AUTH mechanism [initial-response]");
    if (str_casecmp(a->word, "PLAIN") != 0 && str_casecmp(a->word, "LOGIN") != 0)
        return smtp_reply_make(504, "5.5.4", "Unrecognized authentication type");
    if (rest[0] && strchr(rest, ' '))
        return syntax("AUTH mechanism [initial-response]");
    a->initial = rest[0] ? rest : NULL;
    return ok_reply;
}

static const smtp_command_t commands[] = {
    {"HELO", true, check_helo, apply_helo},  {"EHLO", true, check_ehlo, apply_ehlo},
    {"MAIL", false, check_mail, apply_mail}, {"RCPT", false, check_rcpt, apply_rcpt},
    {"DATA", false, check_data, apply_data}, {"RSET", false, check_rset, apply_rset},
    {"NOOP", false, check_any, apply_noop},  {"QUIT", false, check_quit, apply_quit},
    {"VRFY", false, check_vrfy, apply_vrfy}, {"HELP", false, check_any, apply_help},
    {"EXPN", false, check_any, apply_expn},  {"AUTH", false, check_auth, smtp_server_auth_start},
};

const smtp_command_t *smtp_server_command_find(const char *verb)
{
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (strcmp(commands[i].verb, verb) == 0)
            return &commands[i];
    return NULL;
}
