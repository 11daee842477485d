/*
 * smtp_server_cmd: the server's command table, after OpenSMTPD's
 * smtp_session.c: for each verb a pure check (sequence, syntax, limits) that
 * answers with the error reply, and an apply that acts and replies.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_server_int.h"

/* Makes *err the reply and says the command may not go ahead. */
static bool fail(smtp_reply_t *err, int code, const char *enhanced, const char *fmt, ...)
    MS_PRINTF(4, 5);
static bool fail(smtp_reply_t *err, int code, const char *enhanced, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    smtp_reply_vset(err, code, enhanced, fmt, ap);
    va_end(ap);
    return false;
}

static bool syntax(smtp_reply_t *err, const char *usage)
{
    return fail(err, 501, "5.5.4", "Syntax: %s", usage);
}

/*
 * Whether s starts with the n octets of upper (upper case and punctuation),
 * ASCII letters of s compared without regard to case: str_has_prefix_ci
 * for a literal, in line.
 */
static inline bool has_prefix_upper(const char *s, const char *upper, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((unsigned char)(c - 'a') < 26)
            c = (char)(c - ('a' - 'A'));
        if (c != upper[i])
            return false;
    }
    return true;
}

static bool no_args(const char *args, const char *usage, smtp_reply_t *err)
{
    return args[0] ? syntax(err, usage) : true;
}

/*
 * Copies the first word of args into w (its length in *wlen); false when
 * there is none or it is too long.
 */
static bool first_word(const char *args, char *w, size_t n, size_t *wlen, const char **rest)
{
    size_t len = strcspn(args, " ");
    if (len == 0 || len >= n)
        return false;
    memcpy(w, args, len);
    w[len] = '\0';
    *wlen = len;
    const char *p = args + len;
    while (*p == ' ')
        p++;
    *rest = p;
    return true;
}

/* --- HELO, EHLO --------------------------------------------------------- */

static bool check_helo(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a,
                       smtp_reply_t *err)
{
    const char *rest;
    /* RFC 5321 4.1.1.1: the client names itself; the name is not verified. */
    return first_word(args, a->word, sizeof a->word, &a->word_len, &rest) || syntax(err, "HELO hostname");
}

static bool check_ehlo(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a,
                       smtp_reply_t *err)
{
    const char *rest;
    return first_word(args, a->word, sizeof a->word, &a->word_len, &rest) || syntax(err, "EHLO hostname");
}

/* RFC 5321 4.1.4: HELO/EHLO in the middle of a transaction resets it. */
static void greeted_by(smtp_server_t *s, const smtp_cmd_args_t *a)
{
    smtp_server_reset_transaction(s);
    /* The word fits: check_helo and check_ehlo took at most SMTP_DOMAIN_MAX octets. */
    memcpy(s->helo, a->word, a->word_len + 1);
    smtp_server_set_state(s, SMTP_SERVER_READY);
}

static void apply_helo(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    greeted_by(s, a);
    char text[SMTP_REPLY_TEXT_MAX];
    size_t n = smtp_server_join(text, s->hostname, "", 0);
    smtp_reply_format_text(250, NULL, false, text, n, out, smtp_server_line_hook(s),
                           s->hooks.ctx);
}

/* A reply text built piece by piece, cut as smtp_reply_make cuts. */
typedef struct text_builder {
    char text[SMTP_REPLY_TEXT_MAX];
    size_t len;
} text_builder_t;

static void text_add(text_builder_t *t, const char *s, size_t n)
{
    size_t room = sizeof t->text - 1 - t->len;
    if (n > room)
        n = room;
    memcpy(t->text + t->len, s, n);
    t->len += n;
}

static void text_add_str(text_builder_t *t, const char *s)
{
    text_add(t, s, strlen(s));
}

/* The literal's octets without its NUL. */
#define TEXT_ADD_LIT(t, lit) text_add((t), (lit), sizeof(lit) - 1)

/* The lines of the EHLO reply after the first, each after a '\n' (RFC 5321 4.1.1.1). */
static void ehlo_keywords(const smtp_server_t *s, text_builder_t *t)
{
    unsigned ext = smtp_server_offered(s);
    if (ext & SMTP_EXT_PIPELINING)
        TEXT_ADD_LIT(t, "\nPIPELINING");
    /* RFC 1870 4: "SIZE" with no number when there is no fixed limit. */
    if (ext & SMTP_EXT_SIZE) {
        TEXT_ADD_LIT(t, "\nSIZE");
        if (s->cfg.max_size) {
            char digits[24];
            size_t i = sizeof digits;
            for (uint64_t v = s->cfg.max_size; v; v /= 10)
                digits[--i] = (char)('0' + v % 10);
            digits[--i] = ' ';
            text_add(t, digits + i, sizeof digits - i);
        }
    }
    if (ext & SMTP_EXT_8BITMIME)
        TEXT_ADD_LIT(t, "\n8BITMIME");
    if (ext & SMTP_EXT_ENHANCEDSTATUSCODES)
        TEXT_ADD_LIT(t, "\nENHANCEDSTATUSCODES");
    if (ext & SMTP_EXT_AUTH)
        TEXT_ADD_LIT(t, "\nAUTH PLAIN LOGIN");
}

/*
 * The keyword lines as they go on the wire, made once per engine (or once
 * for the engines that share a configuration's replies): they never
 * change. Their text (with its '\n's) is ehlo_text_len octets.
 */
static void ehlo_tail_build(const smtp_server_t *s, smtp_server_replies_t *r)
{
    text_builder_t k;
    k.len = 0;
    ehlo_keywords(s, &k);
    r->ehlo_text_len = k.len;
    if (k.len)
        smtp_reply_write(250, NULL, k.text + 1, k.len - 1, &r->ehlo_tail, NULL, NULL);
    /* The first line up to the client's name, when the writer would leave the name as it is. */
    size_t host_len = strlen(s->hostname);
    r->ehlo_head_len = 0;
    if (!strpbrk(s->hostname, "\r\n") && host_len + 11 < sizeof r->ehlo_head) {
        memcpy(r->ehlo_head, k.len ? "250-" : "250 ", 4);
        memcpy(r->ehlo_head + 4, s->hostname, host_len);
        memcpy(r->ehlo_head + 4 + host_len, " Hello ", 7);
        r->ehlo_head_len = host_len + 11;
    }
    r->ehlo_tail_ready = true;
}

/*
 * The EHLO reply put together from the parts made once an engine, untraced:
 * when the whole text fits a reply (nothing cut) and the client's name (n
 * octets) holds no CR for the writer to change; it holds no LF, having come
 * in one line. False, having written nothing, else.
 */
static bool ehlo_from_parts(smtp_server_t *s, const char *word, size_t n, buf_t *out)
{
    if (smtp_server_line_hook(s))
        return false;
    smtp_server_replies_t *r = smtp_server_rep(s);
    if (!r->ehlo_tail_ready)
        ehlo_tail_build(s, r);
    if (!r->ehlo_head_len ||
        r->ehlo_head_len - 4 + n + r->ehlo_text_len > SMTP_REPLY_TEXT_MAX - 1 ||
        memchr(word, '\r', n))
        return false;
    buf_append(out, r->ehlo_head, r->ehlo_head_len);
    buf_append(out, word, n);
    buf_append(out, "\r\n", 2);
    buf_append(out, r->ehlo_tail.data, r->ehlo_tail.len);
    return true;
}

static void apply_ehlo(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    greeted_by(s, a);
    if (ehlo_from_parts(s, a->word, a->word_len, out))
        return;
    text_builder_t t;
    t.len = 0;
    text_add_str(&t, s->hostname);
    TEXT_ADD_LIT(&t, " Hello ");
    text_add_str(&t, a->word);
    ehlo_keywords(s, &t);
    /* RFC 2034 3: no enhanced code in the EHLO reply. */
    smtp_reply_write(250, NULL, t.text, t.len, out, smtp_server_line_hook(s), s->hooks.ctx);
}

/* --- MAIL --------------------------------------------------------------- */

static bool mail_sequence(const smtp_server_t *s, smtp_reply_t *err)
{
    switch (s->state) {
    case SMTP_SERVER_READY:
        break;
    case SMTP_SERVER_MAIL:
    case SMTP_SERVER_RCPT:
        return fail(err, 503, "5.5.1", "Nested MAIL command");
    case SMTP_SERVER_NEW:
    case SMTP_SERVER_GREETED:
    case SMTP_SERVER_REFUSING:
    case SMTP_SERVER_DATA:
    case SMTP_SERVER_AUTH_PLAIN:
    case SMTP_SERVER_AUTH_LOGIN_USER:
    case SMTP_SERVER_AUTH_LOGIN_PASS:
    case SMTP_SERVER_CLOSED:
        return fail(err, 503, "5.5.1", "Send HELO or EHLO first");
    }
    /* RFC 4954 6 and RFC 6409 4.3: submission wants to know who is sending. */
    if (s->cfg.submission && !s->auth_user)
        return fail(err, 530, "5.7.0", "Authentication required");
    return true;
}

static bool mail_size(const smtp_server_t *s, const smtp_param_t *p, smtp_cmd_args_t *a,
                      smtp_reply_t *err)
{
    if (!(smtp_server_offered(s) & SMTP_EXT_SIZE))
        return fail(err, 555, "5.5.4", "SIZE parameter not supported here");
    size_t n = strlen(p->value);
    if (!p->has_value || n == 0 || n > 19)
        return fail(err, 501, "5.5.4", "Bad SIZE value");
    /* At most 19 digits: no overflow. */
    uint64_t size = 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)(p->value[i] - '0') > 9)
            return fail(err, 501, "5.5.4", "Bad SIZE value");
        size = size * 10 + (uint64_t)(p->value[i] - '0');
    }
    /* RFC 1870 6.1: a declared size over the fixed maximum is refused at once. */
    if (s->cfg.max_size && size > s->cfg.max_size)
        return fail(err, 552, "5.3.4", "Message size exceeds fixed maximum message size");
    a->size = size;
    return true;
}

static bool mail_body(const smtp_server_t *s, const smtp_param_t *p, smtp_cmd_args_t *a,
                      smtp_reply_t *err)
{
    if (!(smtp_server_offered(s) & SMTP_EXT_8BITMIME))
        return fail(err, 555, "5.5.4", "BODY parameter not supported here");
    if (p->has_value && str_casecmp(p->value, "7BIT") == 0)
        a->body_8bit = false;
    else if (p->has_value && str_casecmp(p->value, "8BITMIME") == 0)
        a->body_8bit = true;
    else
        return fail(err, 501, "5.5.4", "Unknown BODY value \"%s\"", p->value);
    return true;
}

static bool mail_params(const smtp_server_t *s, const char *rest, smtp_cmd_args_t *a,
                        smtp_reply_t *err)
{
    if (rest[0] && rest[0] != ' ')
        return syntax(err, "MAIL FROM:<address> [parameters]");
    unsigned seen = 0;
    smtp_param_t p;
    int got;
    a->size = 0;
    while ((got = smtp_param_next(&rest, &p)) == 1) {
        unsigned bit = 0;
        if (str_casecmp(p.keyword, "SIZE") == 0) {
            bit = 1;
            if (!mail_size(s, &p, a, err))
                return false;
        } else if (str_casecmp(p.keyword, "BODY") == 0) {
            bit = 2;
            if (!mail_body(s, &p, a, err))
                return false;
        } else if (str_casecmp(p.keyword, "AUTH") == 0 &&
                   (smtp_server_offered(s) & SMTP_EXT_AUTH)) {
            bit = 4; /* RFC 4954 5: accepted; mailsim does not relay the identity */
        } else {
            return fail(err, 555, "5.5.4", "Unsupported parameter \"%s\"", p.keyword);
        }
        if (seen & bit)
            return fail(err, 501, "5.5.4", "Parameter \"%s\" given twice", p.keyword);
        seen |= bit;
    }
    return got < 0 ? fail(err, 501, "5.5.4", "Bad parameter syntax") : true;
}

static bool check_mail(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a,
                       smtp_reply_t *err)
{
    if (!mail_sequence(s, err))
        return false;
    if (!has_prefix_upper(args, "FROM:", 5))
        return syntax(err, "MAIL FROM:<address>");
    const char *p = args + 5, *rest, *why;
    while (*p == ' ')
        p++;
    if (smtp_path_parse_len(p, true, false, a->path, &a->path_len, &rest, &why) != SMTP_PATH_OK)
        return fail(err, 501, "5.1.7", "Bad sender address: %s", why);
    return mail_params(s, rest, a, err);
}

/*
 * The reply to MAIL or RCPT: the hook's (hooked), or with no hook
 * "<what><path>> OK", written with no smtp_reply_t. The enhanced code is
 * a literal, measured where it is written.
 */
#define send_verdict(s, hooked, enhanced, what, a, out)                                          \
    send_verdict_n(s, hooked, enhanced, sizeof enhanced - 1, what, sizeof what - 1, a, out)

static void send_verdict_n(smtp_server_t *s, const smtp_reply_t *hooked, const char *enhanced,
                           size_t enhanced_len, const char *what, size_t what_len,
                           const smtp_cmd_args_t *a, buf_t *out)
{
    if (hooked) {
        smtp_server_send(s, hooked, out);
        return;
    }
    const char *path = a->path;
    size_t n = a->path_len;
    /*
     * Untraced, the line is put together in out: the text is far below the
     * reply limit, and a path that passed its check holds no CR for the
     * writer to change (its octets are printable; tests/test_smtp_syntax.c
     * feeds the parser garbage to be sure), nor LF: it came in one line.
     */
    if (!smtp_server_line_hook(s)) {
        size_t elen = smtp_server_offered(s) & SMTP_EXT_ENHANCEDSTATUSCODES ? enhanced_len : 0;
        size_t total = 4 + (elen ? elen + 1 : 0) + what_len + n + 6;
        buf_reserve(out, total);
        char *d = (char *)out->data + out->len;
        memcpy(d, "250 ", 4);
        d += 4;
        if (elen) {
            memcpy(d, enhanced, elen);
            d[elen] = ' ';
            d += elen + 1;
        }
        memcpy(d, what, what_len);
        memcpy(d + what_len, path, n);
        memcpy(d + what_len + n, "> OK\r\n", 7); /* and the NUL buf_append keeps */
        out->len += total;
        return;
    }
    char text[SMTP_PATH_MAX + 32];
    memcpy(text, what, what_len);
    memcpy(text + what_len, path, n);
    memcpy(text + what_len + n, "> OK", 4);
    smtp_server_reply_text(s, out, 250, enhanced, text, what_len + n + 4);
}

static void apply_mail(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_reply_t r, *hooked = NULL;
    if (s->hooks.check_sender) {
        hooked = &r;
        s->hooks.check_sender(s->hooks.ctx, a->path, s->auth_user, &r);
        smtp_server_hook_check(&r);
    }
    if (!hooked || smtp_reply_ok(hooked)) {
        memcpy(s->reverse_path, a->path, a->path_len + 1);
        s->body_8bit = a->body_8bit;
        s->declared_size = a->size;
        smtp_server_set_state(s, SMTP_SERVER_MAIL);
    }
    send_verdict(s, hooked, "2.1.0", "Sender <", a, out);
}

/* --- RCPT --------------------------------------------------------------- */

static bool check_rcpt(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a,
                       smtp_reply_t *err)
{
    if (s->state != SMTP_SERVER_MAIL && s->state != SMTP_SERVER_RCPT)
        return fail(err, 503, "5.5.1", "Need MAIL before RCPT");
    if (!has_prefix_upper(args, "TO:", 3))
        return syntax(err, "RCPT TO:<address>");
    const char *p = args + 3, *rest, *why;
    while (*p == ' ')
        p++;
    if (smtp_path_parse_len(p, false, true, a->path, &a->path_len, &rest, &why) != SMTP_PATH_OK)
        return fail(err, 501, "5.1.3", "Bad recipient address: %s", why);
    smtp_param_t param;
    int got = rest[0] && rest[0] != ' ' ? -1 : smtp_param_next(&rest, &param);
    if (got < 0)
        return fail(err, 501, "5.5.4", "Bad parameter syntax");
    if (got > 0)
        return fail(err, 555, "5.5.4", "Unsupported parameter \"%s\"", param.keyword);
    /* RFC 5321 4.5.3.1.10: past the limit, 452 and the client tries them later. */
    if (s->nrecipients >= s->cfg.max_recipients)
        return fail(err, 452, "4.5.3", "Too many recipients");
    return true;
}

static void add_recipient(smtp_server_t *s, const char *addr, size_t len)
{
    if (s->nrecipients == s->cap_recipients) {
        s->cap_recipients = s->cap_recipients ? s->cap_recipients * 2 : 8;
        s->rcpt_text = xrealloc(s->rcpt_text, s->cap_recipients * sizeof *s->rcpt_text);
        s->recipients = xrealloc(s->recipients, s->cap_recipients * sizeof *s->recipients);
        for (size_t i = 0; i < s->nrecipients; i++)
            s->recipients[i] = s->rcpt_text[i];
    }
    char *slot = s->rcpt_text[s->nrecipients];
    memcpy(slot, addr, len + 1);
    s->recipients[s->nrecipients++] = slot;
}

static void apply_rcpt(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_reply_t r, *hooked = NULL;
    /* RFC 5321 4.5.1: <Postmaster> is always taken, whatever the policy. */
    if (s->hooks.check_recipient &&
        !(a->path_len == 10 && smtp_path_is_postmaster(a->path))) {
        hooked = &r;
        s->hooks.check_recipient(s->hooks.ctx, a->path, s->auth_user, &r);
        smtp_server_hook_check(&r);
    }
    if (!hooked || smtp_reply_ok(hooked)) {
        add_recipient(s, a->path, a->path_len);
        smtp_server_set_state(s, SMTP_SERVER_RCPT);
    }
    send_verdict(s, hooked, "2.1.5", "Recipient <", a, out);
}

/* --- DATA, RSET, NOOP, QUIT, VRFY, HELP, EXPN, AUTH ---------------------- */

static bool check_data(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a,
                       smtp_reply_t *err)
{
    /* RFC 5321 3.3 and RFC 2920 3.1: no valid recipient is 554, no MAIL is 503. */
    if (s->state == SMTP_SERVER_MAIL)
        return fail(err, 554, "5.5.1", "No valid recipients");
    if (s->state != SMTP_SERVER_RCPT)
        return fail(err, 503, "5.5.1", "Need MAIL and RCPT before DATA");
    return no_args(args, "DATA", err);
}

static void apply_data(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_server_reply_fixed(s, SMTP_FIXED_DATA, out);
    smtp_server_begin_data(s);
}

static bool check_rset(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a,
                       smtp_reply_t *err)
{
    return no_args(args, "RSET", err);
}

static void apply_rset(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_server_reset_transaction(s);
    if (s->state == SMTP_SERVER_MAIL || s->state == SMTP_SERVER_RCPT)
        smtp_server_set_state(s, SMTP_SERVER_READY);
    SMTP_SERVER_REPLY_LIT(s, out, 250, "2.0.0", "Ok");
}

static bool check_any(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a,
                      smtp_reply_t *err)
{
    return true;
}

static void apply_noop(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    SMTP_SERVER_REPLY_LIT(s, out, 250, "2.0.0", "Ok");
}

static bool check_quit(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a,
                       smtp_reply_t *err)
{
    return no_args(args, "QUIT", err);
}

static void apply_quit(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    smtp_server_reply_fixed(s, SMTP_FIXED_QUIT, out);
    smtp_server_reset_transaction(s);
    s->closing = true;
    smtp_server_set_state(s, SMTP_SERVER_CLOSED);
}

static bool check_vrfy(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a,
                       smtp_reply_t *err)
{
    return args[0] ? true : syntax(err, "VRFY address");
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

static bool check_auth(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a,
                       smtp_reply_t *err)
{
    if (!(smtp_server_offered(s) & SMTP_EXT_AUTH))
        return fail(err, 502, "5.5.1", "AUTH not available");
    if (s->state == SMTP_SERVER_GREETED)
        return fail(err, 503, "5.5.1", "Send EHLO first");
    /* RFC 4954 4: not during a transaction, and only once. */
    if (s->state != SMTP_SERVER_READY)
        return fail(err, 503, "5.5.1", "AUTH not permitted during a mail transaction");
    if (s->auth_user)
        return fail(err, 503, "5.5.1", "Already authenticated");
    const char *rest;
    if (!first_word(args, a->word, sizeof a->word, &a->word_len, &rest))
        return syntax(err, "AUTH mechanism [initial-response]");
    if (str_casecmp(a->word, "PLAIN") != 0 && str_casecmp(a->word, "LOGIN") != 0)
        return fail(err, 504, "5.5.4", "Unrecognized authentication type");
    if (rest[0] && strchr(rest, ' '))
        return syntax(err, "AUTH mechanism [initial-response]");
    a->initial = rest[0] ? rest : NULL;
    return true;
}

static const smtp_command_t commands[] = {
    {"HELO", true, check_helo, apply_helo},  {"EHLO", true, check_ehlo, apply_ehlo},
    {"MAIL", false, check_mail, apply_mail}, {"RCPT", false, check_rcpt, apply_rcpt},
    {"DATA", false, check_data, apply_data}, {"RSET", false, check_rset, apply_rset},
    {"NOOP", false, check_any, apply_noop},  {"QUIT", false, check_quit, apply_quit},
    {"VRFY", false, check_vrfy, apply_vrfy}, {"HELP", false, check_any, apply_help},
    {"EXPN", false, check_any, apply_expn},  {"AUTH", false, check_auth, smtp_server_auth_start},
};

/* A four-octet verb as one number, for a switch. */
#define VERB_KEY(a, b, c, d)                                                                       \
    ((uint32_t)(unsigned char)(a) << 24 | (uint32_t)(unsigned char)(b) << 16 |                     \
     (uint32_t)(unsigned char)(c) << 8 | (uint32_t)(unsigned char)(d))

const smtp_command_t *smtp_server_command_find(const char *verb)
{
    /* Every verb is four octets: one switch on them, not a compare per entry. */
    if (!verb[0] || !verb[1] || !verb[2] || !verb[3] || verb[4])
        return NULL;
    size_t i;
    switch (VERB_KEY(verb[0], verb[1], verb[2], verb[3])) {
    case VERB_KEY('H', 'E', 'L', 'O'): i = 0; break;
    case VERB_KEY('E', 'H', 'L', 'O'): i = 1; break;
    case VERB_KEY('M', 'A', 'I', 'L'): i = 2; break;
    case VERB_KEY('R', 'C', 'P', 'T'): i = 3; break;
    case VERB_KEY('D', 'A', 'T', 'A'): i = 4; break;
    case VERB_KEY('R', 'S', 'E', 'T'): i = 5; break;
    case VERB_KEY('N', 'O', 'O', 'P'): i = 6; break;
    case VERB_KEY('Q', 'U', 'I', 'T'): i = 7; break;
    case VERB_KEY('V', 'R', 'F', 'Y'): i = 8; break;
    case VERB_KEY('H', 'E', 'L', 'P'): i = 9; break;
    case VERB_KEY('E', 'X', 'P', 'N'): i = 10; break;
    case VERB_KEY('A', 'U', 'T', 'H'): i = 11; break;
    default: return NULL;
    }
    return &commands[i];
}
