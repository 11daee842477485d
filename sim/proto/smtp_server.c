/*
 * smtp_server: the engine's life cycle, the state setter, reply helpers, and
 * the input loop that frames lines and routes each one by state: to the
 * command table (smtp_server_cmd.c), to the DATA body, or to the AUTH
 * exchange (smtp_server_auth.c).
 */
#include "proto/smtp_server.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_server_int.h"

/* What a DATA body gets before it arrives: with buf's NUL, one 4 KB block holds most messages. */
#define SMTP_DATA_BUFFER_START (4096 - 1)

static const char *const state_names[] = {
#define X(id, name) name,
    SMTP_SERVER_STATES(X)
#undef X
};

const char *smtp_server_state_name(smtp_server_state_t st)
{
    if ((size_t)st >= ARRAY_LEN(state_names))
        return "?";
    return state_names[st];
}

void smtp_server_config_default(smtp_server_config_t *cfg)
{
    *cfg = (smtp_server_config_t){
        .hostname = "localhost",
        .extensions = SMTP_EXT_DEFAULT,
        .max_size = SMTP_DEFAULT_MAX_SIZE,
        .max_recipients = SMTP_DEFAULT_MAX_RECIPIENTS,
    };
}

smtp_server_t *smtp_server_new(const smtp_server_config_t *cfg, const smtp_server_hooks_t *hooks)
{
    const char *host = cfg->hostname && cfg->hostname[0] ? cfg->hostname : "localhost";
    size_t host_len = strlen(host);
    /* One allocation for the engine and its copy of the hostname. */
    smtp_server_t *s = xcalloc(1, sizeof *s + host_len + 1);
    s->hostname = memcpy(s + 1, host, host_len + 1);
    s->cfg = *cfg;
    s->cfg.hostname = s->hostname;
    if (s->cfg.max_recipients == 0)
        s->cfg.max_recipients = SMTP_DEFAULT_MAX_RECIPIENTS;
    if (hooks)
        s->hooks = *hooks;
    s->trace_lines = true;
    s->state = SMTP_SERVER_NEW;
    line_reader_init(&s->reader, SMTP_COMMAND_LINE_MAX);
    line_dotblock_init(&s->data, 0);
    return s;
}

void smtp_server_prefetch(const smtp_server_t *s)
{
    for (size_t at = 0; at < offsetof(struct smtp_server, helo); at += 64)
        __builtin_prefetch((const char *)s + at);
    /* the first line of the two strings a transaction writes: the client's
     * name, the sender */
    __builtin_prefetch(s->helo);
    __builtin_prefetch(s->reverse_path);
}

void smtp_server_prefetch_deep(const smtp_server_t *s)
{
    if (s->recipients)
        __builtin_prefetch(s->recipients);
    if (s->rcpt_text)
        __builtin_prefetch(s->rcpt_text);
    __builtin_prefetch(&s->auth_user);
    __builtin_prefetch(s->data.room);
}

smtp_server_replies_t *smtp_server_replies_new(void)
{
    return xcalloc(1, sizeof(smtp_server_replies_t));
}

static void replies_release(smtp_server_replies_t *r)
{
    buf_free(&r->ehlo_tail);
    buf_free(&r->fixed);
}

void smtp_server_replies_free(smtp_server_replies_t *r)
{
    if (!r)
        return;
    replies_release(r);
    free(r);
}

void smtp_server_free(smtp_server_t *s)
{
    if (!s)
        return;
    smtp_server_reset_transaction(s);
    free(s->rcpt_text);
    free(s->recipients);
    line_dotblock_free(&s->data);
    line_reader_free(&s->reader);
    replies_release(&s->own);
    free(s->auth_user);
    free(s->login_user);
    free(s);
}

void smtp_server_reuse(smtp_server_t *s)
{
    smtp_server_reset_transaction(s);
    line_reader_reset(&s->reader);
    line_reader_set_max(&s->reader, SMTP_COMMAND_LINE_MAX);
    free(s->auth_user);
    free(s->login_user);
    s->auth_user = s->login_user = NULL;
    s->helo[0] = '\0';
    s->trace_lines = true;
    s->closing = false;
    s->messages = 0;
    s->state = SMTP_SERVER_NEW;
}

void smtp_server_trace_lines(smtp_server_t *s, bool on)
{
    s->trace_lines = on;
}

void smtp_server_set_state(smtp_server_t *s, smtp_server_state_t to)
{
    smtp_server_state_t from = s->state;
    if (from == to)
        return;
    s->state = to;
    if (s->hooks.on_state)
        s->hooks.on_state(s->hooks.ctx, from, to);
}

unsigned smtp_server_offered(const smtp_server_t *s)
{
    return s->cfg.extensions | (s->cfg.submission ? SMTP_EXT_AUTH : 0);
}

/*
 * What smtp_reply_format writes for a reply of one line (its text holds no
 * CR or LF) with a code of three digits, put together in out at once:
 * "CODE [ENHANCED ]TEXT" CRLF. False, having written nothing, for any other.
 */
static bool send_one_line(const smtp_reply_t *r, bool enhanced, buf_t *out)
{
    int code = r->code;
    size_t n = strcspn(r->text, "\r\n");
    if (code < 100 || code > 999 || r->text[n] != '\0')
        return false;
    /* RFC 3463 2: enhanced codes exist for success, transient and permanent only; X.0.0 by default. */
    int cls = code / 100;
    bool enh = enhanced && (cls == 2 || cls == 4 || cls == 5);
    size_t elen = enh ? strnlen(r->enhanced, sizeof r->enhanced) : 0;
    if (enh && elen == 0)
        elen = 5;
    buf_reserve(out, 4 + elen + 1 + n + 2);
    char *d = (char *)out->data + out->len;
    d[0] = (char)('0' + cls);
    d[1] = (char)('0' + code / 10 % 10);
    d[2] = (char)('0' + code % 10);
    d[3] = ' ';
    d += 4;
    if (enh) {
        if (r->enhanced[0])
            memcpy(d, r->enhanced, elen);
        else
            memcpy(d, (char[5]){(char)('0' + cls), '.', '0', '.', '0'}, 5);
        d += elen;
        if (n)
            *d++ = ' ';
    }
    memcpy(d, r->text, n);
    memcpy(d + n, "\r\n", 3);
    out->len = (size_t)(d + n + 2 - (char *)out->data);
    return true;
}

void smtp_server_send(smtp_server_t *s, const smtp_reply_t *r, buf_t *out)
{
    bool enhanced = (smtp_server_offered(s) & SMTP_EXT_ENHANCEDSTATUSCODES) != 0;
    /* Untraced, the usual reply goes straight into out: one for every RCPT and every message. */
    if (!smtp_server_line_hook(s) && send_one_line(r, enhanced, out))
        return;
    smtp_reply_format(r, enhanced, out, smtp_server_line_hook(s), s->hooks.ctx);
}

void smtp_server_send_plain(smtp_server_t *s, const smtp_reply_t *r, buf_t *out)
{
    smtp_reply_format(r, false, out, smtp_server_line_hook(s), s->hooks.ctx);
}

void smtp_server_reply_text(smtp_server_t *s, buf_t *out, int code, const char *enhanced,
                            const char *text, size_t len)
{
    bool use = (smtp_server_offered(s) & SMTP_EXT_ENHANCEDSTATUSCODES) != 0;
    smtp_reply_format_text(code, enhanced, use, text, len, out, smtp_server_line_hook(s),
                           s->hooks.ctx);
}

void smtp_server_reply(smtp_server_t *s, buf_t *out, int code, const char *enhanced,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    smtp_reply_t r;
    smtp_reply_vset(&r, code, enhanced, fmt, ap);
    va_end(ap);
    smtp_server_send(s, &r, out);
}

size_t smtp_server_join(char *text, const char *a, const char *b, size_t blen)
{
    size_t room = SMTP_REPLY_TEXT_MAX - 1;
    size_t alen = strlen(a);
    if (alen > room)
        alen = room;
    memcpy(text, a, alen);
    if (blen > room - alen)
        blen = room - alen;
    memcpy(text + alen, b, blen);
    return alen + blen;
}

void smtp_server_hook_check(smtp_reply_t *r)
{
    if (r->code < 200 || r->code > 599 || r->code / 100 == 3) {
        smtp_reply_set(r, 451, "4.3.0", "Local error in processing");
        return;
    }
    r->text[sizeof r->text - 1] = '\0';
    r->enhanced[sizeof r->enhanced - 1] = '\0';
}

void smtp_server_reset_transaction(smtp_server_t *s)
{
    s->reverse_path[0] = '\0';
    s->nrecipients = 0;
    s->body_8bit = false;
    s->declared_size = 0;
    line_dotblock_reset(&s->data, 0);
}

/* The transaction as the hooks see it; borrowed from the engine. */
static smtp_envelope_t envelope_of(const smtp_server_t *s)
{
    return (smtp_envelope_t){
        .helo = s->helo,
        .reverse_path = s->reverse_path,
        .recipients = s->recipients,
        .nrecipients = s->nrecipients,
        .body_8bit = s->body_8bit,
        .auth_user = s->auth_user,
    };
}

void smtp_server_begin_data(smtp_server_t *s)
{
    line_dotblock_reset(&s->data, s->cfg.max_size);
    size_t cap = 0;
    uint8_t *room = NULL;
    if (s->hooks.data_room) {
        smtp_envelope_t env = envelope_of(s);
        room = s->hooks.data_room(s->hooks.ctx, &env, s->declared_size, &cap);
    }
    if (room)
        line_dotblock_lend(&s->data, room, cap);
    else /* room for a usual message at once, rather than growing to it line by line */
        buf_reserve(&s->data.data, SMTP_DATA_BUFFER_START);
    line_reader_set_max(&s->reader, SMTP_TEXT_LINE_MAX);
    smtp_server_set_state(s, SMTP_SERVER_DATA);
}

/* Writes a fixed reply as it goes on the wire, through the line hook when there is one. */
static void write_fixed(smtp_server_t *s, smtp_fixed_t which, buf_t *out)
{
    char text[SMTP_REPLY_TEXT_MAX];
    size_t n;
    switch (which) {
    case SMTP_FIXED_GREETING: {
        /* RFC 5321 4.2: 220 and 554 greetings begin with the server's name. */
        static const char greet[] = " ESMTP mailsim", refused[] = " No SMTP service here";
        bool refuse = s->cfg.refuse;
        n = refuse ? smtp_server_join(text, s->hostname, refused, sizeof refused - 1)
                   : smtp_server_join(text, s->hostname, greet, sizeof greet - 1);
        smtp_reply_format_text(refuse ? 554 : 220, NULL, false, text, n, out,
                               smtp_server_line_hook(s), s->hooks.ctx);
        return;
    }
    case SMTP_FIXED_DATA:
        SMTP_SERVER_REPLY_LIT(s, out, 354, NULL, "End data with <CR><LF>.<CR><LF>");
        return;
    case SMTP_FIXED_QUIT:
        n = smtp_server_join(text, s->hostname, " Bye", 4);
        smtp_server_reply_text(s, out, 221, "2.0.0", text, n);
        return;
    case SMTP_FIXED_COUNT:
        break;
    }
    panic("write_fixed: no reply %d", (int)which);
}

void smtp_server_reply_fixed(smtp_server_t *s, smtp_fixed_t which, buf_t *out)
{
    /* Traced, each line goes through the hook as it is written. */
    if (smtp_server_line_hook(s)) {
        write_fixed(s, which, out);
        return;
    }
    /* Their bytes depend on the configuration and the name alone: written
     * once an engine, or once for all that share the configuration's. */
    smtp_server_replies_t *r = smtp_server_rep(s);
    if (!r->fixed_ready) {
        for (int i = 0; i < SMTP_FIXED_COUNT; i++) {
            r->fixed_at[i] = r->fixed.len;
            write_fixed(s, (smtp_fixed_t)i, &r->fixed);
        }
        r->fixed_at[SMTP_FIXED_COUNT] = r->fixed.len;
        r->fixed_ready = true;
    }
    buf_append(out, r->fixed.data + r->fixed_at[which],
               r->fixed_at[which + 1] - r->fixed_at[which]);
}

void smtp_server_start(smtp_server_t *s, buf_t *out)
{
    if (s->state != SMTP_SERVER_NEW)
        panic("smtp_server_start: called twice");
    smtp_server_set_state(s, s->cfg.refuse ? SMTP_SERVER_REFUSING : SMTP_SERVER_GREETED);
    smtp_server_reply_fixed(s, SMTP_FIXED_GREETING, out);
}

static void close_with(smtp_server_t *s, buf_t *out, const char *enhanced, const char *why)
{
    switch (s->state) {
    case SMTP_SERVER_CLOSED:
        return;
    case SMTP_SERVER_NEW:
    case SMTP_SERVER_GREETED:
    case SMTP_SERVER_REFUSING:
    case SMTP_SERVER_READY:
    case SMTP_SERVER_MAIL:
    case SMTP_SERVER_RCPT:
    case SMTP_SERVER_DATA:
    case SMTP_SERVER_AUTH_PLAIN:
    case SMTP_SERVER_AUTH_LOGIN_USER:
    case SMTP_SERVER_AUTH_LOGIN_PASS:
        break;
    }
    /* RFC 5321 3.8: 421 may come at any time, even in the middle of DATA. */
    smtp_server_reply(s, out, 421, enhanced, "%s %s", s->hostname, why);
    smtp_server_reset_transaction(s);
    s->closing = true;
    smtp_server_set_state(s, SMTP_SERVER_CLOSED);
}

void smtp_server_shutdown(smtp_server_t *s, buf_t *out)
{
    close_with(s, out, "4.3.2", "Service not available, closing transmission channel");
}

void smtp_server_timeout(smtp_server_t *s, buf_t *out)
{
    close_with(s, out, "4.4.2", "Timeout waiting for input, closing transmission channel");
}

bool smtp_server_wants_close(const smtp_server_t *s)
{
    return s->closing;
}

smtp_server_state_t smtp_server_state(const smtp_server_t *s)
{
    return s->state;
}

const char *smtp_server_auth_user(const smtp_server_t *s)
{
    return s->auth_user;
}

uint64_t smtp_server_messages(const smtp_server_t *s)
{
    return s->messages;
}

/* --- commands ----------------------------------------------------------- */

/* ASCII upper case without the locale table: SMTP verbs are ASCII. */
static inline char ascii_upper(char c)
{
    return (unsigned char)(c - 'a') < 26 ? (char)(c - 'a' + 'A') : c;
}

/*
 * Whether the four octets at p are ASCII letters, each checked at once in
 * a word (none has its high bit; with bit 5 set, each is 'a'..'z'); *upper
 * gets them upper-cased, in the order they have in memory.
 */
static bool four_letters(const char *p, uint32_t *upper)
{
    uint32_t x;
    memcpy(&x, p, sizeof x);
    uint32_t lower = x | 0x20202020u;
    bool ascii = (x & 0x80808080u) == 0;
    bool from_a = ((lower + 0x1f1f1f1fu) & 0x80808080u) == 0x80808080u; /* >= 'a' */
    bool to_z = ((lower + 0x05050505u) & 0x80808080u) == 0;              /* <= 'z' */
    *upper = x & ~0x20202020u;
    return ascii && from_a && to_z;
}

/*
 * The verb of a command line (len octets), upper-cased into verb (cut to
 * n - 1); *args after it.
 */
static void split_command(const char *line, size_t len, char *verb, size_t n, const char **args)
{
    size_t i = 0;
    uint32_t upper;
    /* Every SMTP verb is four letters: those upper-cased at once, when a space or the end follows. */
    if (len >= 4 && n > 4 && (line[4] == ' ' || line[4] == '\0') && four_letters(line, &upper)) {
        memcpy(verb, &upper, 4);
        verb[4] = '\0';
        i = 4;
    } else {
        for (; line[i] && line[i] != ' '; i++)
            if (i < n - 1)
                verb[i] = ascii_upper(line[i]);
        verb[i < n - 1 ? i : n - 1] = '\0';
    }
    const char *p = line + i;
    while (*p == ' ')
        p++;
    *args = p;
}

static void trace_client_line(smtp_server_t *s, const char *verb, const char *line)
{
    if (s->trace_lines && s->hooks.on_line)
        s->hooks.on_line(s->hooks.ctx, LINE_CLIENT_TO_SERVER, verb, 0, line);
}

static void handle_command(smtp_server_t *s, const line_t *ln, buf_t *out)
{
    char verb[16];
    const char *args;
    split_command(ln->text, ln->len, verb, sizeof verb, &args);
    trace_client_line(s, verb, ln->text);
    if (ln->kind == LINE_TOO_LONG) {
        smtp_server_reply(s, out, 500, "5.5.2", "Line too long (the limit is %d octets)",
                          SMTP_COMMAND_LINE_MAX);
        return;
    }
    const smtp_command_t *cmd = NULL;
    if (ln->len && !memchr(ln->text, '\0', ln->len))
        cmd = smtp_server_command_find(verb);
    if (!cmd) {
        smtp_server_reply(s, out, 500, "5.5.2", "Syntax error, command unrecognized");
        return;
    }
    /* RFC 5321 3.1: after a 554 greeting, every command but QUIT gets 503. */
    if (s->state == SMTP_SERVER_REFUSING && strcmp(cmd->verb, "QUIT") != 0) {
        smtp_server_reply(s, out, 503, "5.5.1", "No SMTP service here; only QUIT is accepted");
        return;
    }
    /* Field by field: the path and word buffers need only their first octet cleared. */
    smtp_cmd_args_t a;
    a.path[0] = '\0';
    a.path_len = 0;
    a.word_len = 0;
    a.body_8bit = false;
    a.word[0] = '\0';
    a.initial = NULL;
    smtp_reply_t err;
    if (!cmd->check(s, args, &a, &err)) {
        if (cmd->plain)
            smtp_server_send_plain(s, &err, out);
        else
            smtp_server_send(s, &err, out);
        return;
    }
    cmd->apply(s, &a, out);
}

/* --- DATA --------------------------------------------------------------- */

/* The reply to the final dot, in *r. */
static void finish_message(smtp_server_t *s, smtp_reply_t *r)
{
    /* RFC 5321 4.5.3.1.10 and 4.3.2: the reply to the final dot says why. */
    if (s->data.too_big) {
        smtp_reply_set(r, 552, "5.3.4", "Message too big: the limit is %llu octets",
                       (unsigned long long)s->cfg.max_size);
        return;
    }
    if (s->data.long_line) {
        smtp_reply_set(r, 554, "5.6.0", "Message refused: a text line is longer than %d octets",
                       SMTP_TEXT_LINE_MAX);
        return;
    }
    smtp_envelope_t env = envelope_of(s);
    s->messages++;
    if (!s->hooks.accept_message) {
        smtp_reply_set_text(r, 250, "2.0.0", "Ok: message accepted");
        return;
    }
    size_t len;
    const uint8_t *text = line_dotblock_text(&s->data, &len);
    s->hooks.accept_message(s->hooks.ctx, &env, text, len, r);
    smtp_server_hook_check(r);
}

/* The terminating line (dot, the text of the "." line) was read: reply, and back to commands. */
static void end_data(smtp_server_t *s, const char *dot, buf_t *out)
{
    trace_client_line(s, NULL, dot);
    smtp_reply_t r;
    finish_message(s, &r);
    smtp_server_send(s, &r, out);
    smtp_server_reset_transaction(s);
    line_reader_set_max(&s->reader, SMTP_COMMAND_LINE_MAX);
    smtp_server_set_state(s, SMTP_SERVER_READY);
}

/* A line of the body that the bulk path left to the reader (over-long, or split across feeds). */
static void handle_data_line(smtp_server_t *s, const line_t *ln, buf_t *out)
{
    if (line_dotblock_add(&s->data, ln))
        end_data(s, ln->text, out);
}

/* --- input -------------------------------------------------------------- */

static void handle_line(smtp_server_t *s, const line_t *ln, buf_t *out)
{
    switch (s->state) {
    case SMTP_SERVER_NEW:
        panic("smtp_server_feed: the engine was not started");
    case SMTP_SERVER_CLOSED:
        return;
    case SMTP_SERVER_DATA:
        handle_data_line(s, ln, out);
        return;
    case SMTP_SERVER_AUTH_PLAIN:
    case SMTP_SERVER_AUTH_LOGIN_USER:
    case SMTP_SERVER_AUTH_LOGIN_PASS:
        trace_client_line(s, NULL, ln->text);
        if (ln->kind == LINE_TOO_LONG || strlen(ln->text) != ln->len) {
            smtp_server_reply(s, out, 500, "5.5.2", "Line too long or malformed");
            free(s->login_user);
            s->login_user = NULL;
            smtp_server_set_state(s, SMTP_SERVER_READY);
            return;
        }
        smtp_server_auth_line(s, ln->text, out);
        return;
    case SMTP_SERVER_GREETED:
    case SMTP_SERVER_REFUSING:
    case SMTP_SERVER_READY:
    case SMTP_SERVER_MAIL:
    case SMTP_SERVER_RCPT:
        handle_command(s, ln, out);
        return;
    }
}

void smtp_server_feed(smtp_server_t *s, const uint8_t *data, size_t len, buf_t *out)
{
    while (len > 0 && s->state != SMTP_SERVER_CLOSED) {
        /* The body goes in bulk, whole lines at a time; the reader takes what is left. */
        if (s->state == SMTP_SERVER_DATA) {
            bool done;
            size_t used = line_dotblock_take(&s->data, &s->reader, data, len, &done);
            data += used;
            len -= used;
            if (done) {
                end_data(s, ".", out);
                continue;
            }
            if (len == 0)
                break;
        }
        line_t ln;
        size_t used = line_reader_take(&s->reader, data, len, &ln);
        data += used;
        len -= used;
        switch (ln.kind) {
        case LINE_NONE:
            break;
        case LINE_TEXT:
        case LINE_TOO_LONG:
            handle_line(s, &ln, out);
            break;
        case LINE_BYTES:
            panic("smtp_server_feed: SMTP never asks for raw bytes");
        }
    }
}
