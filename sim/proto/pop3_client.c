/*
 * pop3_client: the client engine: the login, the listing of the maildrop,
 * the choice of what to fetch, RETR and DELE message by message, QUIT, and
 * the reading of status lines and multi-line responses.
 */
#include "proto/pop3_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One message of the maildrop as UIDL or LIST gave it. */
typedef struct listed {
    uint32_t msgno;
    bool has_uidl;
    char uidl[POP3_UIDL_MAX + 1];
} listed_t;

struct pop3_client {
    char *user, *password;
    bool apop, keep;
    pop3_client_hooks_t hooks;
    pop3_client_state_t state;
    line_reader_t reader;
    bool in_block;         /* +OK came to UIDL, LIST or RETR: reading lines up to "." */
    line_dotblock_t block; /* RETR: the message being received */
    listed_t *list;
    size_t nlist, cap_list;
    size_t next; /* the list entry to look at next */
    pop3_fetch_counts_t counts;
    char *error; /* the first thing that went wrong, or NULL */
};

static const char *const state_names[] = {
#define X(id, name) name,
    POP3_CLIENT_STATES(X)
#undef X
};

const char *pop3_client_state_name(pop3_client_state_t st)
{
    if ((size_t)st >= ARRAY_LEN(state_names))
        return "?";
    return state_names[st];
}

pop3_client_t *pop3_client_new(const pop3_client_config_t *cfg, const pop3_client_hooks_t *hooks)
{
    pop3_client_t *c = xcalloc(1, sizeof *c);
    c->user = xstrdup(cfg->user ? cfg->user : "");
    c->password = xstrdup(cfg->password ? cfg->password : "");
    c->apop = cfg->apop;
    c->keep = cfg->keep;
    if (hooks)
        c->hooks = *hooks;
    c->state = POP3_CLIENT_GREETING;
    line_reader_init(&c->reader, POP3_CLIENT_LINE_MAX);
    line_dotblock_init(&c->block, 0);
    return c;
}

void pop3_client_free(pop3_client_t *c)
{
    if (!c)
        return;
    line_reader_free(&c->reader);
    line_dotblock_free(&c->block);
    free(c->list);
    free(c->user);
    free(c->password);
    free(c->error);
    free(c);
}

static void set_state(pop3_client_t *c, pop3_client_state_t to)
{
    pop3_client_state_t from = c->state;
    if (from == to)
        return;
    c->state = to;
    if (c->hooks.on_state)
        c->hooks.on_state(c->hooks.ctx, from, to);
}

/* Sends one command line (fmt without CRLF), traces it with its verb, and enters next. */
static void send_command(pop3_client_t *c, buf_t *out, pop3_client_state_t next, const char *verb,
                         const char *fmt, ...) MS_PRINTF(5, 6);
static void send_command(pop3_client_t *c, buf_t *out, pop3_client_state_t next, const char *verb,
                         const char *fmt, ...)
{
    size_t start = out->len;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(out, fmt, ap);
    va_end(ap);
    if (c->hooks.on_line)
        c->hooks.on_line(c->hooks.ctx, LINE_CLIENT_TO_SERVER, verb, NULL,
                         (const char *)out->data + start);
    buf_append(out, "\r\n", 2);
    set_state(c, next);
}

/* --- errors and the end --------------------------------------------------- */

static void note_error(pop3_client_t *c, const char *fmt, ...) MS_PRINTF(2, 3);
static void note_error(pop3_client_t *c, const char *fmt, ...)
{
    if (c->error)
        return;
    va_list ap;
    va_start(ap, fmt);
    buf_t b = BUF_INIT;
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    c->error = buf_steal(&b, NULL);
}

static void end_session(pop3_client_t *c)
{
    set_state(c, POP3_CLIENT_DONE);
    if (c->hooks.on_done)
        c->hooks.on_done(c->hooks.ctx, c->error == NULL, c->error, &c->counts);
}

static void quit(pop3_client_t *c, buf_t *out)
{
    send_command(c, out, POP3_CLIENT_QUIT, "QUIT", "QUIT");
}

/* The session cannot go on: note why and say goodbye (the server answers QUIT in any state). */
static void fail(pop3_client_t *c, buf_t *out, const char *what, const char *line)
{
    note_error(c, "%s: %s", what, line);
    quit(c, out);
}

static void protocol_error(pop3_client_t *c, buf_t *out, const char *what, const char *line)
{
    note_error(c, "protocol error: %s \"%.80s\"", what, line);
    quit(c, out);
}

/* --- the fetch ------------------------------------------------------------ */

/* RETR the next message worth fetching, or QUIT when there is none. */
static void next_message(pop3_client_t *c, buf_t *out)
{
    while (c->next < c->nlist) {
        const listed_t *m = &c->list[c->next];
        /* Download-and-keep: a UIDL fetched before is left alone (RFC 1939 7, UIDL). */
        if (c->keep && m->has_uidl && c->hooks.seen && c->hooks.seen(c->hooks.ctx, m->uidl)) {
            c->counts.skipped++;
            c->next++;
            continue;
        }
        line_dotblock_free(&c->block);
        line_dotblock_init(&c->block, 0);
        send_command(c, out, POP3_CLIENT_RETR, "RETR", "RETR %u", (unsigned)m->msgno);
        return;
    }
    quit(c, out);
}

static void send_password(pop3_client_t *c, buf_t *out)
{
    /* RFC 1939 13: the password crosses the network in clear. */
    send_command(c, out, POP3_CLIENT_PASS, "PASS", "PASS %s", c->password);
}

static void on_greeting(pop3_client_t *c, pop3_status_t st, const char *text, const char *line,
                        buf_t *out)
{
    if (st != POP3_STATUS_OK) {
        /* A server that does not greet with +OK closes; there is nothing to QUIT. */
        note_error(c, "the server refused the session: %s", line);
        end_session(c);
        return;
    }
    /* A line break in a credential would end the command line early and inject another. */
    if (strpbrk(c->user, "\r\n") || strpbrk(c->password, "\r\n")) {
        note_error(c, "the user name or password holds a line break; it cannot be sent");
        quit(c, out);
        return;
    }
    char timestamp[POP3_TIMESTAMP_MAX];
    if (c->apop && pop3_greeting_timestamp(text, timestamp, sizeof timestamp)) {
        char digest[MD5_HEX_SIZE];
        pop3_apop_digest(timestamp, c->password, digest);
        send_command(c, out, POP3_CLIENT_APOP, "APOP", "APOP %s %s", c->user, digest);
        return;
    }
    send_command(c, out, POP3_CLIENT_USER, "USER", "USER %s", c->user);
}

static void login_refused(pop3_client_t *c, const char *text, const char *line, buf_t *out)
{
    /* RFC 2449 8.1.1 and RFC 3206 4: the response code says which problem it is. */
    if (pop3_has_resp_code(text, "IN-USE"))
        fail(c, out, "maildrop locked by another session", line);
    else if (pop3_has_resp_code(text, "AUTH"))
        fail(c, out, "wrong user name or password", line);
    else
        fail(c, out, "login refused", line);
}

static void on_stat(pop3_client_t *c, const char *text, const char *line, buf_t *out)
{
    /* RFC 1939 5: "+OK nn mm", messages then octets. */
    size_t len = strcspn(text, " ");
    uint32_t n;
    if (!pop3_parse_number(text, len, &n)) {
        protocol_error(c, out, "a STAT answer without a message count:", line);
        return;
    }
    c->counts.messages = n;
    if (n == 0)
        quit(c, out);
    else
        send_command(c, out, POP3_CLIENT_UIDL, "UIDL", "UIDL");
}

static void add_listed(pop3_client_t *c, const listed_t *m)
{
    if (c->nlist == c->cap_list) {
        c->cap_list = c->cap_list ? c->cap_list * 2 : 16;
        c->list = xrealloc(c->list, c->cap_list * sizeof *c->list);
    }
    c->list[c->nlist++] = *m;
}

/* One line of a UIDL ("n uidl") or LIST ("n size") listing; false when malformed. */
static bool listing_line(pop3_client_t *c, const char *line, bool uidl)
{
    listed_t m = {0};
    size_t len = strcspn(line, " ");
    if (line[len] != ' ' || !pop3_parse_number(line, len, &m.msgno) || m.msgno == 0)
        return false;
    const char *rest = line + len + 1;
    size_t rest_len = strcspn(rest, " ");
    if (rest_len == 0 || rest[rest_len] != '\0')
        return false;
    if (uidl) {
        /* RFC 1939 7: 1 to 70 characters from 0x21 to 0x7E. */
        if (rest_len > POP3_UIDL_MAX)
            return false;
        for (size_t i = 0; i < rest_len; i++)
            if (rest[i] < 0x21 || rest[i] > 0x7e)
                return false;
        memcpy(m.uidl, rest, rest_len + 1);
        m.has_uidl = true;
    }
    add_listed(c, &m);
    return true;
}

static void retrieved(pop3_client_t *c, buf_t *out)
{
    const listed_t *m = &c->list[c->next];
    if (c->block.long_line) {
        note_error(c, "message %u has a line longer than %d octets; it was not stored",
                   (unsigned)m->msgno, POP3_CLIENT_LINE_MAX);
        c->next++;
        next_message(c, out);
        return;
    }
    const uint8_t *data = c->block.data.data ? c->block.data.data : (const uint8_t *)"";
    c->counts.retrieved++;
    c->counts.octets += c->block.data.len;
    if (c->hooks.on_message)
        c->hooks.on_message(c->hooks.ctx, m->msgno, m->has_uidl ? m->uidl : NULL, data,
                            c->block.data.len);
    if (c->keep) {
        c->next++;
        next_message(c, out);
        return;
    }
    /* Download-and-delete: only marked now; gone at QUIT (RFC 1939 6). */
    send_command(c, out, POP3_CLIENT_DELE, "DELE", "DELE %u", (unsigned)m->msgno);
}

/* --- responses ------------------------------------------------------------ */

static void on_retr(pop3_client_t *c, bool ok, const char *line, buf_t *out)
{
    if (ok) {
        c->in_block = true;
        return;
    }
    /* One message refused is no reason to leave the others on the server. */
    note_error(c, "RETR %u refused: %s", (unsigned)c->list[c->next].msgno, line);
    c->next++;
    next_message(c, out);
}

static void on_dele(pop3_client_t *c, bool ok, const char *line, buf_t *out)
{
    if (ok)
        c->counts.deleted++;
    else
        note_error(c, "DELE %u refused: %s", (unsigned)c->list[c->next].msgno, line);
    c->next++;
    next_message(c, out);
}

/* A status line, in a state that waits for one. */
static void handle_status(pop3_client_t *c, const char *line, buf_t *out)
{
    const char *text;
    pop3_status_t st = pop3_status_parse(line, &text);
    if (c->hooks.on_line)
        c->hooks.on_line(c->hooks.ctx, LINE_SERVER_TO_CLIENT, NULL,
                         st == POP3_STATUS_OK    ? "+OK"
                         : st == POP3_STATUS_ERR ? "-ERR"
                                                 : NULL,
                         line);
    if (st == POP3_STATUS_BAD && c->state != POP3_CLIENT_QUIT) {
        if (c->state == POP3_CLIENT_GREETING) {
            note_error(c, "protocol error: not a POP3 greeting \"%.80s\"", line);
            end_session(c);
            return;
        }
        protocol_error(c, out, "not a POP3 status line", line);
        return;
    }
    bool ok = st == POP3_STATUS_OK;
    switch (c->state) {
    case POP3_CLIENT_GREETING:
        on_greeting(c, st, text, line, out);
        return;
    case POP3_CLIENT_USER:
        if (ok)
            send_password(c, out);
        else
            fail(c, out, "USER refused", line);
        return;
    case POP3_CLIENT_APOP:
    case POP3_CLIENT_PASS:
        if (ok)
            send_command(c, out, POP3_CLIENT_STAT, "STAT", "STAT");
        else
            login_refused(c, text, line, out);
        return;
    case POP3_CLIENT_STAT:
        if (ok)
            on_stat(c, text, line, out);
        else
            fail(c, out, "STAT refused", line);
        return;
    case POP3_CLIENT_UIDL:
        /* RFC 1939 7: UIDL is optional; without it LIST still numbers the messages. */
        if (ok)
            c->in_block = true;
        else
            send_command(c, out, POP3_CLIENT_LIST, "LIST", "LIST");
        return;
    case POP3_CLIENT_LIST:
        if (ok)
            c->in_block = true;
        else
            fail(c, out, "LIST refused", line);
        return;
    case POP3_CLIENT_RETR:
        on_retr(c, ok, line, out);
        return;
    case POP3_CLIENT_DELE:
        on_dele(c, ok, line, out);
        return;
    case POP3_CLIENT_QUIT:
        /* RFC 1939 6: -ERR here means some deletions did not happen. */
        if (st == POP3_STATUS_ERR)
            note_error(c, "QUIT: %s", line);
        end_session(c);
        return;
    case POP3_CLIENT_DONE:
        return;
    }
}

/* A line of a multi-line response: a listing line or a message line, up to ".". */
static void handle_block_line(pop3_client_t *c, const line_t *ln, buf_t *out)
{
    bool end = ln->kind == LINE_TEXT && ln->len == 1 && ln->text[0] == '.';
    bool message = c->state == POP3_CLIENT_RETR;
    /* Message text is not traced line by line; the "." that ends it is. */
    if (c->hooks.on_line && (end || !message))
        c->hooks.on_line(c->hooks.ctx, LINE_SERVER_TO_CLIENT, NULL, NULL, ln->text);
    if (message) {
        if (line_dotblock_add(&c->block, ln)) {
            c->in_block = false;
            retrieved(c, out);
        }
        return;
    }
    if (end) {
        c->in_block = false;
        c->next = 0;
        next_message(c, out);
        return;
    }
    /* RFC 1939 3: a leading "." was doubled by the server. */
    const char *line = ln->text[0] == '.' ? ln->text + 1 : ln->text;
    if (ln->kind == LINE_TOO_LONG || strlen(ln->text) != ln->len ||
        !listing_line(c, line, c->state == POP3_CLIENT_UIDL)) {
        c->in_block = false;
        protocol_error(c, out, "a malformed listing line", ln->text);
    }
}

void pop3_client_feed(pop3_client_t *c, const uint8_t *data, size_t len, buf_t *out)
{
    while (len > 0 && c->state != POP3_CLIENT_DONE) {
        line_t ln;
        size_t used = line_reader_take(&c->reader, data, len, &ln);
        data += used;
        len -= used;
        switch (ln.kind) {
        case LINE_NONE:
            break;
        case LINE_TEXT:
        case LINE_TOO_LONG:
            if (c->in_block)
                handle_block_line(c, &ln, out);
            else
                handle_status(c, ln.text, out);
            break;
        case LINE_BYTES:
            panic("pop3_client_feed: POP3 never asks for raw bytes");
        }
    }
}

/* --- the node's calls ----------------------------------------------------- */

/* What the client was waiting for, in words, for a lost connection's error. */
static void describe_wait(const pop3_client_t *c, char *buf, size_t n)
{
    const char *verb = "";
    switch (c->state) {
    case POP3_CLIENT_GREETING:
        snprintf(buf, n, "before the server's greeting");
        return;
    case POP3_CLIENT_RETR:
        snprintf(buf, n, c->in_block ? "in the middle of message %u" : "waiting for RETR %u",
                 (unsigned)c->list[c->next].msgno);
        return;
    case POP3_CLIENT_DELE:
        snprintf(buf, n, "waiting for DELE %u", (unsigned)c->list[c->next].msgno);
        return;
    case POP3_CLIENT_APOP:
        verb = "APOP";
        break;
    case POP3_CLIENT_USER:
        verb = "USER";
        break;
    case POP3_CLIENT_PASS:
        verb = "PASS";
        break;
    case POP3_CLIENT_STAT:
        verb = "STAT";
        break;
    case POP3_CLIENT_UIDL:
        verb = "UIDL";
        break;
    case POP3_CLIENT_LIST:
        verb = "LIST";
        break;
    case POP3_CLIENT_QUIT:
        verb = "QUIT";
        break;
    case POP3_CLIENT_DONE:
        break;
    }
    snprintf(buf, n, "waiting for %s", verb);
}

void pop3_client_connection_lost(pop3_client_t *c)
{
    if (c->state == POP3_CLIENT_DONE)
        return;
    char waiting[64];
    describe_wait(c, waiting, sizeof waiting);
    if (c->state == POP3_CLIENT_QUIT)
        /* The server may or may not have reached UPDATE (RFC 1939 6). */
        note_error(c, "connection lost %s: the deletions may not have happened", waiting);
    else
        /* RFC 1939 6: without QUIT the server enters no UPDATE state. */
        note_error(c, "connection lost %s; nothing was deleted", waiting);
    c->in_block = false;
    end_session(c);
}

bool pop3_client_done(const pop3_client_t *c)
{
    return c->state == POP3_CLIENT_DONE;
}

pop3_client_state_t pop3_client_state(const pop3_client_t *c)
{
    return c->state;
}

const pop3_fetch_counts_t *pop3_client_counts(const pop3_client_t *c)
{
    return &c->counts;
}
