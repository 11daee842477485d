/*
 * pop3_server: the engine's life cycle, the state setter, the response
 * helpers, the ends of a session that are not QUIT (lost connection,
 * auto-logout, shutdown), and the input loop that frames command lines and
 * hands each one to the command table (pop3_server_cmd.c).
 */
#include "proto/pop3_server.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pop3_server_int.h"

static const char *const state_names[] = {
#define X(id, name) name,
    POP3_SERVER_STATES(X)
#undef X
};

const char *pop3_server_state_name(pop3_server_state_t st)
{
    if ((size_t)st >= ARRAY_LEN(state_names))
        return "?";
    return state_names[st];
}

static bool timestamp_valid(const char *ts)
{
    char copy[POP3_TIMESTAMP_MAX];
    return pop3_greeting_timestamp(ts, copy, sizeof copy) && strcmp(copy, ts) == 0;
}

pop3_server_t *pop3_server_new(const pop3_server_config_t *cfg, const pop3_server_hooks_t *hooks)
{
    if (cfg->timestamp && cfg->timestamp[0] && !timestamp_valid(cfg->timestamp))
        panic("pop3_server_new: \"%s\" is not an APOP timestamp <N.M@host>", cfg->timestamp);
    pop3_server_t *s = xcalloc(1, sizeof *s);
    s->hostname = xstrdup(cfg->hostname && cfg->hostname[0] ? cfg->hostname : "localhost");
    if (cfg->timestamp && cfg->timestamp[0])
        s->timestamp = xstrdup(cfg->timestamp);
    if (hooks)
        s->hooks = *hooks;
    s->state = POP3_SERVER_NEW;
    line_reader_init(&s->reader, POP3_COMMAND_LINE_MAX);
    return s;
}

void pop3_server_free(pop3_server_t *s)
{
    if (!s)
        return;
    pop3_server_rollback(s);
    line_reader_free(&s->reader);
    free(s->hostname);
    free(s->timestamp);
    free(s->user);
    free(s);
}

void pop3_server_set_state(pop3_server_t *s, pop3_server_state_t to)
{
    pop3_server_state_t from = s->state;
    if (from == to)
        return;
    s->state = to;
    if (s->hooks.on_state)
        s->hooks.on_state(s->hooks.ctx, from, to);
}

/* --- responses ----------------------------------------------------------- */

/* Appends one line and its CRLF, tracing it; the line is cut to fit 512 octets. */
static void send_line(pop3_server_t *s, buf_t *out, const char *status, const char *prefix,
                      const char *fmt, va_list ap)
{
    size_t start = out->len;
    buf_puts(out, prefix);
    size_t text = out->len;
    buf_vprintf(out, fmt, ap);
    /* "+OK text", or "+OK" alone when there is no text. */
    if (out->len > text && prefix[0]) {
        buf_putc(out, ' ');
        memmove(out->data + text + 1, out->data + text, out->len - text - 1);
        out->data[text] = ' ';
    }
    if (out->len - start > POP3_RESPONSE_LINE_MAX - 2)
        out->len = start + POP3_RESPONSE_LINE_MAX - 2;
    buf_append(out, "", 0);
    if (s->hooks.on_line)
        s->hooks.on_line(s->hooks.ctx, LINE_SERVER_TO_CLIENT, NULL, status,
                         (const char *)out->data + start);
    buf_append(out, "\r\n", 2);
}

void pop3_server_ok(pop3_server_t *s, buf_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send_line(s, out, "+OK", "+OK", fmt, ap);
    va_end(ap);
}

void pop3_server_err(pop3_server_t *s, buf_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send_line(s, out, "-ERR", "-ERR", fmt, ap);
    va_end(ap);
}

void pop3_server_data_line(pop3_server_t *s, buf_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send_line(s, out, NULL, "", fmt, ap);
    va_end(ap);
}

void pop3_server_data_end(pop3_server_t *s, buf_t *out)
{
    buf_append(out, ".\r\n", 3);
    if (s->hooks.on_line)
        s->hooks.on_line(s->hooks.ctx, LINE_SERVER_TO_CLIENT, NULL, NULL, ".");
}

void pop3_server_data_block(pop3_server_t *s, buf_t *out, const uint8_t *data, size_t len)
{
    /* RFC 1939 3: lines that start with "." get another; "." alone ends the block. */
    line_dot_encode(data, len, out);
    if (s->hooks.on_line)
        s->hooks.on_line(s->hooks.ctx, LINE_SERVER_TO_CLIENT, NULL, NULL, ".");
}

void pop3_server_stat(const pop3_server_t *s, pop3_maildrop_stat_t *out)
{
    *out = (pop3_maildrop_stat_t){0, 0, 0};
    if (s->hooks.stat)
        s->hooks.stat(s->hooks.ctx, out);
}

/* --- the session's ends -------------------------------------------------- */

void pop3_server_rollback(pop3_server_t *s)
{
    if (!s->maildrop_open)
        return;
    s->maildrop_open = false;
    if (s->hooks.rollback)
        s->hooks.rollback(s->hooks.ctx);
}

void pop3_server_start(pop3_server_t *s, buf_t *out)
{
    if (s->state != POP3_SERVER_NEW)
        panic("pop3_server_start: called twice");
    pop3_server_set_state(s, POP3_SERVER_AUTHORIZATION);
    /* RFC 1939 4 and 7: the greeting ends with the APOP timestamp, when there is one. */
    if (s->timestamp)
        pop3_server_ok(s, out, "%s POP3 server ready %s", s->hostname, s->timestamp);
    else
        pop3_server_ok(s, out, "%s POP3 server ready", s->hostname);
}

/* Ends the session without UPDATE: nothing is deleted (RFC 1939 3 and 6). */
static void close_without_update(pop3_server_t *s)
{
    pop3_server_rollback(s);
    s->closing = true;
    pop3_server_set_state(s, POP3_SERVER_CLOSED);
}

void pop3_server_connection_lost(pop3_server_t *s)
{
    close_without_update(s);
}

void pop3_server_timeout(pop3_server_t *s, buf_t *out)
{
    /* RFC 1939 3: the auto-logout closes without any response to the client. */
    close_without_update(s);
}

void pop3_server_shutdown(pop3_server_t *s, buf_t *out)
{
    switch (s->state) {
    case POP3_SERVER_NEW:
    case POP3_SERVER_CLOSED:
        close_without_update(s);
        return;
    case POP3_SERVER_AUTHORIZATION:
    case POP3_SERVER_USER:
        pop3_server_err(s, out, "[SYS/TEMP] %s POP3 server shutting down", s->hostname);
        break;
    case POP3_SERVER_TRANSACTION:
    case POP3_SERVER_UPDATE:
        pop3_server_err(s, out, "[SYS/TEMP] %s POP3 server shutting down; no message was deleted",
                        s->hostname);
        break;
    }
    close_without_update(s);
}

bool pop3_server_wants_close(const pop3_server_t *s)
{
    return s->closing;
}

pop3_server_state_t pop3_server_state(const pop3_server_t *s)
{
    return s->state;
}

const char *pop3_server_user(const pop3_server_t *s)
{
    return s->logged_in ? s->user : NULL;
}

/* --- commands ------------------------------------------------------------ */

/* The verb of a command line, upper-cased into verb (cut to n - 1); *args after one space. */
static void split_command(const char *line, char *verb, size_t n, const char **args)
{
    size_t len = strcspn(line, " ");
    size_t keep = len < n - 1 ? len : n - 1;
    for (size_t i = 0; i < keep; i++)
        verb[i] = (char)toupper((unsigned char)line[i]);
    verb[keep] = '\0';
    /* RFC 1939 3: one space separates a keyword from its argument. */
    *args = line[len] == ' ' ? line + len + 1 : line + len;
}

static bool printable_word(const char *w)
{
    for (; *w; w++)
        if (*w < 0x21 || *w > 0x7e)
            return false;
    return true;
}

/* What a student most likely meant by a verb that is not POP3. */
static const char *verb_hint(const char *verb)
{
    static const char *const smtp[] = {"HELO", "EHLO", "MAIL", "RCPT", "DATA", "VRFY"};
    for (size_t i = 0; i < ARRAY_LEN(smtp); i++)
        if (strcmp(verb, smtp[i]) == 0)
            return " (that is SMTP; this is a POP3 server)";
    if (strcmp(verb, "LOGIN") == 0 || strcmp(verb, "SELECT") == 0 || strcmp(verb, "FETCH") == 0)
        return " (that is IMAP; this is a POP3 server)";
    return "; CAPA lists what this server knows";
}

/* RFC 1939 3 leaves the text free: say what went wrong and what would work. */
static void wrong_state(pop3_server_t *s, const pop3_command_t *cmd, buf_t *out)
{
    switch (s->state) {
    case POP3_SERVER_AUTHORIZATION:
        if (strcmp(cmd->verb, "PASS") == 0)
            pop3_server_err(s, out, "send USER with your name first, then PASS");
        else
            pop3_server_err(s, out,
                            "%s needs a login first: send USER and PASS (or APOP) "
                            "(AUTHORIZATION state)",
                            cmd->verb);
        return;
    case POP3_SERVER_USER:
        pop3_server_err(s, out, "%s needs a login first: after USER comes PASS", cmd->verb);
        return;
    case POP3_SERVER_TRANSACTION:
        pop3_server_err(s, out,
                        "already logged in: %s is only valid before login "
                        "(AUTHORIZATION state)",
                        cmd->verb);
        return;
    case POP3_SERVER_NEW:
    case POP3_SERVER_UPDATE:
    case POP3_SERVER_CLOSED:
        panic("pop3_server: a command in state %s", pop3_server_state_name(s->state));
    }
}

static void trace_command(pop3_server_t *s, const char *verb, const char *line)
{
    if (s->hooks.on_line)
        s->hooks.on_line(s->hooks.ctx, LINE_CLIENT_TO_SERVER, verb, NULL, line);
}

static void handle_command(pop3_server_t *s, const line_t *ln, buf_t *out)
{
    char verb[16];
    const char *args;
    split_command(ln->text, verb, sizeof verb, &args);
    trace_command(s, verb, ln->text);
    if (ln->kind == LINE_TOO_LONG) {
        pop3_server_err(s, out, "line too long (the limit is %d octets)", POP3_COMMAND_LINE_MAX);
        return;
    }
    if (strlen(ln->text) != ln->len) {
        pop3_server_err(s, out, "a command line cannot hold a NUL octet");
        return;
    }
    if (ln->len == 0) {
        pop3_server_err(s, out, "empty command line; CAPA lists what this server knows");
        return;
    }
    const pop3_command_t *cmd = pop3_server_command_find(verb);
    if (!cmd) {
        if (strlen(verb) <= 8 && printable_word(verb))
            pop3_server_err(s, out, "unknown command \"%s\"%s", verb, verb_hint(verb));
        else
            pop3_server_err(s, out, "unknown command; CAPA lists what this server knows");
        return;
    }
    if (!(cmd->states & (1u << s->state))) {
        wrong_state(s, cmd, out);
        return;
    }
    pop3_cmd_args_t a;
    memset(&a, 0, sizeof a);
    if (!cmd->check(s, args, &a)) {
        pop3_server_err(s, out, "%s", a.error);
        return;
    }
    cmd->apply(s, &a, out);
}

void pop3_server_feed(pop3_server_t *s, const uint8_t *data, size_t len, buf_t *out)
{
    if (s->state == POP3_SERVER_NEW)
        panic("pop3_server_feed: the engine was not started");
    while (len > 0 && s->state != POP3_SERVER_CLOSED) {
        line_t ln;
        size_t used = line_reader_take(&s->reader, data, len, &ln);
        data += used;
        len -= used;
        switch (ln.kind) {
        case LINE_NONE:
            break;
        case LINE_TEXT:
        case LINE_TOO_LONG:
            handle_command(s, &ln, out);
            break;
        case LINE_BYTES:
            panic("pop3_server_feed: POP3 never asks for raw bytes");
        }
    }
}
