/*
 * imap_server: the engine's life cycle, the state setter, the response
 * builder, and the input loop: it frames lines, gathers a command's lines and
 * literals (RFC 3501 7.5: "+" before a synchronising literal's data, none for
 * LITERAL+'s {n+}), and hands each whole command to the command table; lines
 * read in the AUTHENTICATING and IDLE states go to their exchanges.
 */
#include "proto/imap_server.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap_server_int.h"

static const char *const state_names[] = {
#define X(id, name) name,
    IMAP_SERVER_STATES(X)
#undef X
};

const char *imap_server_state_name(imap_server_state_t st)
{
    if ((size_t)st >= ARRAY_LEN(state_names))
        return "?";
    return state_names[st];
}

void imap_server_config_default(imap_server_config_t *cfg)
{
    *cfg = (imap_server_config_t){
        .hostname = "localhost",
        .capabilities = IMAP_CAP_DEFAULT,
        .max_literal = IMAP_DEFAULT_LITERAL_MAX,
    };
}

imap_server_t *imap_server_new(const imap_server_config_t *cfg, const imap_server_hooks_t *hooks)
{
    imap_server_t *s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    s->hostname = xstrdup(cfg->hostname && cfg->hostname[0] ? cfg->hostname : "localhost");
    s->cfg.hostname = s->hostname;
    if (s->cfg.max_literal == 0)
        s->cfg.max_literal = IMAP_DEFAULT_LITERAL_MAX;
    if (hooks)
        s->hooks = *hooks;
    s->state = IMAP_SERVER_NEW;
    line_reader_init(&s->reader, IMAP_LINE_MAX);
    buf_init(&s->cmd);
    buf_init(&s->resp.wire);
    buf_init(&s->resp.trace);
    str_copy(s->tag, sizeof s->tag, "*");
    return s;
}

void imap_server_free(imap_server_t *s)
{
    if (!s)
        return;
    imap_view_close(s);
    line_reader_free(&s->reader);
    buf_free(&s->cmd);
    buf_free(&s->resp.wire);
    buf_free(&s->resp.trace);
    free(s->hostname);
    free(s);
}

void imap_server_set_state(imap_server_t *s, imap_server_state_t to)
{
    imap_server_state_t from = s->state;
    if (from == to)
        return;
    s->state = to;
    if (s->hooks.on_state)
        s->hooks.on_state(s->hooks.ctx, from, to);
}

/* --- responses ---------------------------------------------------------- */

void imap_resp_reset(imap_resp_t *r)
{
    buf_reset(&r->wire);
    buf_reset(&r->trace);
}

static void resp_vprintf(imap_resp_t *r, const char *fmt, va_list ap)
{
    size_t start = r->wire.len;
    buf_vprintf(&r->wire, fmt, ap);
    buf_append(&r->trace, r->wire.data + start, r->wire.len - start);
}

void imap_resp_printf(imap_resp_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    resp_vprintf(r, fmt, ap);
    va_end(ap);
}

void imap_resp_append(imap_resp_t *r, const void *data, size_t len)
{
    buf_append(&r->wire, data, len);
    buf_append(&r->trace, data, len);
}

void imap_resp_literal(imap_resp_t *r, const void *data, size_t len)
{
    imap_resp_printf(r, "{%zu}", len);
    buf_append(&r->wire, "\r\n", 2);
    buf_append(&r->wire, data, len);
}

void imap_resp_string(imap_resp_t *r, const char *data, size_t len)
{
    /* RFC 3501 4.3: a quoted string holds 7-bit text without CR or LF. */
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)data[i];
        if (c == 0 || c >= 0x80 || c == '\r' || c == '\n') {
            imap_resp_literal(r, data, len);
            return;
        }
    }
    imap_resp_append(r, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '"' || data[i] == '\\')
            imap_resp_append(r, "\\", 1);
        imap_resp_append(r, data + i, 1);
    }
    imap_resp_append(r, "\"", 1);
}

void imap_resp_nstring(imap_resp_t *r, const char *str)
{
    if (!str)
        imap_resp_append(r, "NIL", 3);
    else
        imap_resp_string(r, str, strlen(str));
}

void imap_resp_send(imap_server_t *s, imap_resp_t *r, buf_t *out, const char *tag, const char *word)
{
    buf_append(out, r->wire.data, r->wire.len);
    buf_append(out, "\r\n", 2);
    if (s->hooks.on_line)
        s->hooks.on_line(s->hooks.ctx, LINE_SERVER_TO_CLIENT, tag, word, buf_cstr(&r->trace));
}

void imap_untagged(imap_server_t *s, buf_t *out, const char *word, const char *fmt, ...)
{
    imap_resp_reset(&s->resp);
    imap_resp_append(&s->resp, "* ", 2);
    va_list ap;
    va_start(ap, fmt);
    resp_vprintf(&s->resp, fmt, ap);
    va_end(ap);
    imap_resp_send(s, &s->resp, out, "*", word);
}

static void tagged_v(imap_server_t *s, buf_t *out, const char *status, const char *fmt, va_list ap)
{
    imap_resp_reset(&s->resp);
    imap_resp_printf(&s->resp, "%s %s ", s->tag, status);
    resp_vprintf(&s->resp, fmt, ap);
    imap_resp_send(s, &s->resp, out, s->tag, status);
}

void imap_tagged(imap_server_t *s, buf_t *out, const char *status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tagged_v(s, out, status, fmt, ap);
    va_end(ap);
}

void imap_result_set(imap_result_t *res, const char *status, const char *fmt, ...)
{
    res->status = status;
    buf_reset(&res->text);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&res->text, fmt, ap);
    va_end(ap);
}

void imap_capabilities(const imap_server_t *s, buf_t *out)
{
    unsigned c = s->cfg.capabilities;
    /* No STARTTLS and no LOGINDISABLED: the simulation has no TLS (docs/imap.md). */
    buf_puts(out, "IMAP4rev1 AUTH=PLAIN");
    if (c & IMAP_CAP_SASL_IR)
        buf_puts(out, " SASL-IR");
    if (c & IMAP_CAP_LITERAL_PLUS)
        buf_puts(out, " LITERAL+");
    if (c & IMAP_CAP_IDLE)
        buf_puts(out, " IDLE");
    if (c & IMAP_CAP_UIDPLUS)
        buf_puts(out, " UIDPLUS");
    if (c & IMAP_CAP_MOVE)
        buf_puts(out, " MOVE");
    if (c & IMAP_CAP_UNSELECT)
        buf_puts(out, " UNSELECT");
}

/* --- life cycle --------------------------------------------------------- */

void imap_server_start(imap_server_t *s, buf_t *out)
{
    if (s->state != IMAP_SERVER_NEW)
        panic("imap_server_start: called twice");
    imap_server_set_state(s, IMAP_SERVER_NOT_AUTHENTICATED);
    buf_t caps = BUF_INIT;
    imap_capabilities(s, &caps);
    imap_untagged(s, out, "OK", "OK [CAPABILITY %s] mailsim IMAP4rev1 ready", buf_cstr(&caps));
    buf_free(&caps);
}

static void close_with(imap_server_t *s, buf_t *out, const char *why)
{
    switch (s->state) {
    case IMAP_SERVER_LOGOUT:
        return;
    case IMAP_SERVER_NEW:
    case IMAP_SERVER_NOT_AUTHENTICATED:
    case IMAP_SERVER_AUTHENTICATING:
    case IMAP_SERVER_AUTHENTICATED:
    case IMAP_SERVER_SELECTED:
    case IMAP_SERVER_IDLE:
        break;
    }
    /* RFC 3501 7.1.5: BYE may come at any time; the server then closes. */
    imap_untagged(s, out, "BYE", "BYE %s", why);
    imap_view_close(s);
    s->closing = true;
    imap_server_set_state(s, IMAP_SERVER_LOGOUT);
}

void imap_server_timeout(imap_server_t *s, buf_t *out)
{
    close_with(s, out, "Autologout; idle for too long");
}

void imap_server_shutdown(imap_server_t *s, buf_t *out)
{
    close_with(s, out, "Server shutting down");
}

void imap_server_notify(imap_server_t *s, buf_t *out)
{
    /* RFC 2177 3: while idling, updates go out as they happen. */
    if (s->state == IMAP_SERVER_IDLE && s->view.folder)
        imap_view_sync(s, out, true);
}

bool imap_server_wants_close(const imap_server_t *s)
{
    return s->closing;
}

imap_server_state_t imap_server_state(const imap_server_t *s)
{
    return s->state;
}

store_user_t *imap_server_user(const imap_server_t *s)
{
    return s->user;
}

store_folder_t *imap_server_selected(const imap_server_t *s)
{
    return s->view.folder;
}

/* --- commands ----------------------------------------------------------- */

static bool tag_byte(int c)
{
    return imap_atom_char(c) && c != '+';
}

/* The tag and command name of a command's first line, for tracing and errors. */
static void start_command(imap_server_t *s, const char *line, size_t len)
{
    size_t n = 0;
    while (n < len && (tag_byte((unsigned char)line[n]) || line[n] == ']'))
        n++;
    if (n == 0 || n > IMAP_TAG_MAX || (n < len && line[n] != ' '))
        str_copy(s->tag, sizeof s->tag, "*");
    else
        str_copy(s->tag, n + 1, line);
    /* The command name, upper-cased; after "UID" the next word too ("UID FETCH"). */
    size_t v = 0;
    bool after_uid = false;
    for (size_t i = n + 1; i < len && v + 1 < sizeof s->verb; i++) {
        if (line[i] == ' ' && (after_uid || v != 3 || memcmp(s->verb, "UID", 3) != 0))
            break;
        after_uid |= line[i] == ' ';
        s->verb[v++] = (char)toupper((unsigned char)line[i]);
    }
    s->verb[v] = '\0';
}

/* Why a command may not run in this state, or NULL; *cmd_out gets the command. */
static const char *refusal(const imap_server_t *s, const char *name, bool uid,
                           const imap_command_t **cmd_out)
{
    const imap_command_t *cmd = imap_command_find(name, uid);
    *cmd_out = cmd;
    if (!cmd || (cmd->cap && !(s->cfg.capabilities & cmd->cap)))
        return "Unknown command";
    if (cmd->states & (1u << s->state))
        return NULL;
    if (s->state == IMAP_SERVER_NOT_AUTHENTICATED)
        return "Command not valid in this state: log in first";
    if (cmd->states == IMAP_IN(NOT_AUTHENTICATED))
        return "Command not valid in this state: already logged in";
    return "Command not valid in this state: no mailbox selected";
}

static void execute_parsed(imap_server_t *s, const imap_command_t *cmd, imap_parser_t *ps,
                           imap_args_t *a, buf_t *out)
{
    if (!cmd->parse(ps, a)) {
        imap_tagged(s, out, "BAD", "%s: %s", s->verb, ps->error ? ps->error : "syntax error");
        return;
    }
    if (!imap_parse_at_end(ps)) {
        imap_tagged(s, out, "BAD", "%s: unexpected text after the arguments", s->verb);
        return;
    }
    imap_result_t res = {NULL, BUF_INIT, false};
    cmd->apply(s, a, out, &res);
    if (res.status) {
        if (!res.no_sync && s->view.folder)
            imap_view_sync(s, out, cmd->expunge_ok);
        imap_tagged(s, out, res.status, "%s", buf_cstr(&res.text));
    }
    buf_free(&res.text);
}

static void execute(imap_server_t *s, buf_t *out)
{
    imap_parser_t ps;
    imap_parser_init(&ps, s->cmd.data, s->cmd.len);
    buf_t word = BUF_INIT;
    if (s->cmd.len == 0) {
        imap_untagged(s, out, "BAD", "BAD Empty command line");
    } else if (strcmp(s->tag, "*") == 0 || !imap_parse_tag(&ps, &word) || !imap_parse_sp(&ps)) {
        imap_untagged(s, out, "BAD", "BAD Invalid tag (RFC 3501 2.2.1: tag SP command)");
    } else if (!imap_parse_atom(&ps, &word)) {
        imap_tagged(s, out, "BAD", "Missing command name");
    } else {
        bool uid = str_casecmp(buf_cstr(&word), "UID") == 0;
        if (uid && (!imap_parse_sp(&ps) || !imap_parse_atom(&ps, &word))) {
            imap_tagged(s, out, "BAD",
                        "UID: a command (FETCH, STORE, COPY, MOVE, SEARCH, "
                        "EXPUNGE) was expected");
            buf_free(&word);
            return;
        }
        for (size_t i = 0; i < word.len; i++)
            word.data[i] = (uint8_t)toupper(word.data[i]);
        const imap_command_t *cmd;
        const char *why = refusal(s, buf_cstr(&word), uid, &cmd);
        imap_args_t a;
        memset(&a, 0, sizeof a);
        a.uid = uid;
        if (why)
            imap_tagged(s, out, "BAD", "%s", why);
        else
            execute_parsed(s, cmd, &ps, &a, out);
        imap_args_free(&a);
    }
    buf_free(&word);
}

/* Why a literal of n octets cannot be taken, or NULL; *status gets BAD or NO. */
static const char *literal_refusal(imap_server_t *s, int64_t n, bool non_sync, const char **status)
{
    *status = "BAD";
    if (non_sync && !(s->cfg.capabilities & IMAP_CAP_LITERAL_PLUS))
        return "LITERAL+ is not offered here: send {n} and wait for \"+\"";
    /* RFC 3501 7.5: the server may refuse a literal at once instead of "+". */
    bool uid = strncmp(s->verb, "UID ", 4) == 0;
    const imap_command_t *cmd;
    const char *why = refusal(s, uid ? s->verb + 4 : s->verb, uid, &cmd);
    if (why)
        return why;
    if ((uint64_t)n > s->cfg.max_literal || s->cmd.len + (uint64_t)n > s->cfg.max_literal) {
        *status = "NO";
        return "[TOOBIG] Literal too big for this server";
    }
    return NULL;
}

static void command_line(imap_server_t *s, const line_t *ln, buf_t *out)
{
    if (!s->assembling) {
        start_command(s, ln->text, ln->len);
        buf_reset(&s->cmd);
        s->refused = NULL;
    }
    if (s->hooks.on_line)
        s->hooks.on_line(s->hooks.ctx, LINE_CLIENT_TO_SERVER, s->tag, s->verb[0] ? s->verb : NULL,
                         ln->text);
    s->assembling = false;
    if (ln->kind == LINE_TOO_LONG || memchr(ln->text, '\0', ln->len)) {
        const char *why = ln->kind == LINE_TOO_LONG ? "Line too long (the limit is 65536 octets)"
                                                    : "NUL octet in a command line";
        if (strcmp(s->tag, "*") == 0)
            imap_untagged(s, out, "BAD", "BAD %s", why);
        else
            imap_tagged(s, out, "BAD", "%s", why);
        return;
    }
    if (!s->refused)
        buf_append(&s->cmd, ln->text, ln->len);
    bool non_sync = false;
    int64_t n = imap_literal_marker(ln->text, ln->len, &non_sync);
    if (n < 0) {
        if (s->refused)
            imap_tagged(s, out, s->refused_status, "%s", s->refused);
        else
            execute(s, out);
        return;
    }
    buf_append(&s->cmd, "\r\n", 2);
    const char *status;
    const char *why = s->refused ? NULL : literal_refusal(s, n, non_sync, &status);
    if (why && !non_sync && strcmp(s->tag, "*") != 0) {
        imap_tagged(s, out, status, "%s", why); /* the client sends no data */
        return;
    }
    if (why) {
        s->refused = why;
        s->refused_status = status;
    }
    s->assembling = true;
    if (!non_sync) {
        imap_resp_reset(&s->resp);
        imap_resp_printf(&s->resp, "+ Ready for literal data");
        imap_resp_send(s, &s->resp, out, "+", NULL);
    }
    line_reader_expect_bytes(&s->reader, (uint64_t)n);
}

static void handle_line(imap_server_t *s, const line_t *ln, buf_t *out)
{
    switch (s->state) {
    case IMAP_SERVER_NEW:
        panic("imap_server_feed: the engine was not started");
    case IMAP_SERVER_LOGOUT:
        return;
    case IMAP_SERVER_AUTHENTICATING:
    case IMAP_SERVER_IDLE:
        if (s->hooks.on_line)
            s->hooks.on_line(s->hooks.ctx, LINE_CLIENT_TO_SERVER, s->tag, NULL, ln->text);
        if (s->state == IMAP_SERVER_IDLE)
            imap_idle_line(s, ln->kind == LINE_TEXT ? ln->text : "", ln->len, out);
        else
            imap_auth_line(s, ln->kind == LINE_TEXT ? ln->text : "", ln->len, out);
        return;
    case IMAP_SERVER_NOT_AUTHENTICATED:
    case IMAP_SERVER_AUTHENTICATED:
    case IMAP_SERVER_SELECTED:
        command_line(s, ln, out);
        return;
    }
}

void imap_server_feed(imap_server_t *s, const uint8_t *data, size_t len, buf_t *out)
{
    while (len > 0 && !s->closing) {
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
            /* A refused literal is read to its end and dropped (RFC 7888 4). */
            if (!s->refused)
                buf_append(&s->cmd, ln.text, ln.len);
            break;
        }
    }
}
