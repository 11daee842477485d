/*
 * smtp_client: the client engine's session: the message queue, the greeting,
 * EHLO with its HELO fallback, AUTH PLAIN, QUIT, the failures that end a
 * session (421, a broken connection, a refusal), and the reading of replies.
 * The transactions themselves are in smtp_client_txn.c, what it remembers of
 * replies in smtp_client_memo.c.
 */
#include "proto/smtp_client.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/eightbit.h"
#include "proto/smtp_auth.h"
#include "proto/smtp_client_int.h"

/* The layout smtp_client_int.h describes: what every reply reads in the first lines. */
_Static_assert(offsetof(struct smtp_client, hooks) == 64, "line 0 is the state's");
_Static_assert(offsetof(struct smtp_client, helo_name) == 128, "line 1 is the hooks'");
_Static_assert(offsetof(struct smtp_client, info) == 192, "line 2 is the session's");
_Static_assert(offsetof(struct smtp_client, reader) == 256, "line 3 is the server's");
_Static_assert(offsetof(struct smtp_client, memo) == 320, "line 4 is the reader's");
_Static_assert(SMTP_CLIENT_MEMOS <= 16, "own_skip has a bit for each state");
_Static_assert(offsetof(client_msg_t, status) == 64 &&
                   sizeof(client_msg_t) + sizeof(client_rcpt_status_t) + sizeof(uint32_t) <= 128,
               "a message's second line holds what its replies read, and one recipient's arrays");

static const char *const state_names[] = {
#define X(id, name) name,
    SMTP_CLIENT_STATES(X)
#undef X
};

const char *smtp_client_state_name(smtp_client_state_t st)
{
    if ((size_t)st >= ARRAY_LEN(state_names))
        return "?";
    return state_names[st];
}

/* Copies s to *at and moves *at past it. */
static char *put_string(char **at, const char *s, size_t len)
{
    char *copy = memcpy(*at, s, len + 1);
    *at += len + 1;
    return copy;
}

/* The most of the wire buffer a renewed engine keeps, and of a message block kept for the next. */
#define SMTP_CLIENT_KEEP (64 * 1024)

static const char *helo_of(const smtp_client_config_t *cfg)
{
    return cfg->helo_name && cfg->helo_name[0] ? cfg->helo_name : "localhost";
}

/* The octets the copies of cfg's names take after the engine's struct. */
static size_t names_size(const smtp_client_config_t *cfg)
{
    return strlen(helo_of(cfg)) + 1 + (cfg->password ? strlen(cfg->password) : 0) + 1 +
           (cfg->user ? strlen(cfg->user) + 1 : 0);
}

/* A new session: every session field set, the names copied after the struct. */
static void session_start(smtp_client_t *c, const smtp_client_config_t *cfg,
                          const smtp_client_hooks_t *hooks)
{
    const char *helo = helo_of(cfg);
    const char *password = cfg->password ? cfg->password : "";
    char *at = (char *)(c + 1);
    c->helo_len = strlen(helo);
    c->helo_name = put_string(&at, helo, c->helo_len);
    c->password = put_string(&at, password, strlen(password));
    c->user = cfg->user ? put_string(&at, cfg->user, strlen(cfg->user)) : NULL;
    c->auth = cfg->user != NULL;
    if (hooks)
        c->hooks = *hooks;
    else
        memset(&c->hooks, 0, sizeof c->hooks);
    c->state = SMTP_CLIENT_GREETING;
    memset(&c->info, 0, sizeof c->info);
    c->finishing = false;
    c->lend_body = cfg->lend_body;
    c->mid_reply = false;
    c->shared = cfg->shared_memo;
    c->lead = c->lead_next = NULL;
    c->lead_len = c->lead_next_len = 0;
    c->error = NULL;
    c->failed = false;
    c->head = c->tail = NULL;
    c->pipelined = c->mail_ok = c->discard = false;
    c->norder = c->rcpt_sent = c->rcpt_replied = c->naccepted = 0;
}

smtp_client_t *smtp_client_new(const smtp_client_config_t *cfg, const smtp_client_hooks_t *hooks)
{
    /* One allocation for the engine and its copies of the names. */
    size_t room = names_size(cfg);
    /* Rounded up to the alignment; what rounding adds is room too. */
    size_t align = _Alignof(smtp_client_t);
    size_t size = (sizeof(smtp_client_t) + room + align - 1) & ~(align - 1);
    smtp_client_t *c = xaligned_alloc(align, size);
    c->names_room = size - sizeof *c;
    line_reader_init(&c->reader, SMTP_CLIENT_REPLY_LINE_MAX);
    buf_init(&c->wire);
    c->spare_msg = NULL;
    c->sender_ok.len = c->rcpt_ok.len = 0;
    c->own_skip = 0;
    smtp_client_memo_init(&c->memo);
    smtp_reply_asm_init(&c->assembler);
    session_start(c, cfg, hooks);
    return c;
}

/* A message and all it holds are one allocation (msg_copy); one block is kept for the next. */
static void msg_free(smtp_client_t *c, client_msg_t *m)
{
    if (!c->spare_msg && m->size <= SMTP_CLIENT_KEEP)
        c->spare_msg = m;
    else
        free(m);
}

/* Frees what the session holds, not the engine's memory. */
static void session_end(smtp_client_t *c)
{
    while (c->head) {
        client_msg_t *m = c->head;
        c->head = m->next;
        msg_free(c, m);
    }
    c->tail = NULL;
    free(c->error);
    c->error = NULL;
}

void smtp_client_prefetch(const smtp_client_t *c)
{
    /* state, hooks, session, server, reader: the lines checked above */
    for (unsigned i = 0; i < 5; i++)
        __builtin_prefetch((const char *)c + 64 * i);
}

void smtp_client_free(smtp_client_t *c)
{
    if (!c)
        return;
    session_end(c);
    line_reader_free(&c->reader);
    buf_free(&c->wire);
    free(c->spare_msg);
    smtp_client_memo_release(&c->memo);
    free(c);
}

smtp_client_t *smtp_client_renew(smtp_client_t *c, const smtp_client_config_t *cfg,
                                 const smtp_client_hooks_t *hooks)
{
    if (!c || names_size(cfg) > c->names_room) {
        smtp_client_free(c);
        return smtp_client_new(cfg, hooks);
    }
    session_end(c);
    /* Unless the last session ended mid-reply, neither holds anything: their lines stay cold. */
    if (c->mid_reply) {
        line_reader_reset(&c->reader);
        smtp_reply_asm_init(&c->assembler);
    }
    if (c->wire.cap > SMTP_CLIENT_KEEP)
        buf_free(&c->wire); /* a large message's stuffed copy is not kept for the next */
    buf_reset(&c->wire);
    session_start(c, cfg, hooks);
    return c;
}

void smtp_client_set_state(smtp_client_t *c, smtp_client_state_t to)
{
    smtp_client_state_t from = c->state;
    if (from == to)
        return;
    c->state = to;
    if (c->hooks.on_state)
        c->hooks.on_state(c->hooks.ctx, from, to);
}

void smtp_client_send_parts(smtp_client_t *c, buf_t *out, const char *verb, const char *head,
                            size_t head_len, const char *arg, size_t arg_len, const char *tail,
                            size_t tail_len)
{
    size_t n = head_len + arg_len + tail_len;
    if (out->cap - out->len < n + 3)
        buf_reserve(out, n + 2);
    char *line = (char *)out->data + out->len;
    memcpy(line, head, head_len);
    if (arg_len)
        memcpy(line + head_len, arg, arg_len);
    if (tail_len)
        memcpy(line + head_len + arg_len, tail, tail_len);
    if (c->hooks.on_line) {
        line[n] = '\0'; /* the hook reads the line without its CRLF */
        c->hooks.on_line(c->hooks.ctx, LINE_CLIENT_TO_SERVER, verb, 0, line);
    }
    line[n] = '\r';
    line[n + 1] = '\n';
    line[n + 2] = '\0';
    out->len += n + 2;
}

/* --- results ------------------------------------------------------------ */

void smtp_client_report(smtp_client_t *c, client_msg_t *m, size_t i, const smtp_reply_t *r,
                        bool from_server)
{
    if (m->status[i] == CLIENT_RCPT_DONE)
        return;
    m->status[i] = CLIENT_RCPT_DONE;
    if (c->hooks.on_recipient_result)
        c->hooks.on_recipient_result(c->hooks.ctx, m->ctx, i, r, from_server);
}

void smtp_client_message_done(smtp_client_t *c)
{
    client_msg_t *m = c->head;
    if (!m)
        panic("smtp_client_message_done: no message");
    for (size_t i = 0; i < m->nrecipients; i++)
        if (m->status[i] != CLIENT_RCPT_DONE)
            panic("smtp_client_message_done: recipient %zu has no result", i);
    c->head = m->next;
    if (!c->head)
        c->tail = NULL;
    if (c->hooks.on_message_done)
        c->hooks.on_message_done(c->hooks.ctx, m->ctx);
    msg_free(c, m);
}

static void fail_all_messages(smtp_client_t *c, const smtp_reply_t *r, bool from_server)
{
    while (c->head) {
        for (size_t i = 0; i < c->head->nrecipients; i++)
            smtp_client_report(c, c->head, i, r, from_server);
        smtp_client_message_done(c);
    }
}

static void end_session(smtp_client_t *c)
{
    smtp_client_set_state(c, SMTP_CLIENT_DONE);
    if (c->hooks.on_session_done)
        c->hooks.on_session_done(c->hooks.ctx, !c->failed, c->failed ? c->error : NULL);
}

static void set_error(smtp_client_t *c, const char *error)
{
    if (!c->error)
        c->error = xstrdup(error);
    c->failed = true;
}

void smtp_client_fail(smtp_client_t *c, const smtp_reply_t *r, bool from_server, const char *error,
                      bool quit, buf_t *out)
{
    set_error(c, error);
    fail_all_messages(c, r, from_server);
    if (quit) {
        smtp_client_send(c, out, "QUIT", "QUIT", NULL, NULL);
        smtp_client_set_state(c, SMTP_CLIENT_QUIT);
    } else {
        end_session(c);
    }
}

/* "554 5.7.1 text" of the first line, for error messages. */
static void describe(const smtp_reply_t *r, char *buf, size_t n)
{
    size_t line = strcspn(r->text, "\n");
    snprintf(buf, n, "%d%s%s %.*s", r->code, r->enhanced[0] ? " " : "", r->enhanced, (int)line,
             r->text);
}

/* A session-level refusal: the messages stay queued (4xx) and the error says why. */
static void fail_refused(smtp_client_t *c, const char *what, const smtp_reply_t *r, buf_t *out)
{
    char said[600], error[700];
    describe(r, said, sizeof said);
    snprintf(error, sizeof error, "%s: %s", what, said);
    smtp_reply_t local = smtp_reply_make(451, "4.3.0", "%s", error);
    smtp_client_fail(c, &local, false, error, true, out);
}

/* --- the session -------------------------------------------------------- */

void smtp_client_go_ready(smtp_client_t *c, buf_t *out)
{
    smtp_client_set_state(c, SMTP_CLIENT_READY);
    while (c->head) {
        if (smtp_client_txn_start(c, out))
            return;
    }
    if (c->finishing) {
        smtp_client_send(c, out, "QUIT", "QUIT", NULL, NULL);
        smtp_client_set_state(c, SMTP_CLIENT_QUIT);
    }
}

/* head is the verb and its space: "EHLO " or "HELO ", both HELLO_HEAD_LEN octets. */
#define HELLO_HEAD_LEN 5
static void send_hello(smtp_client_t *c, const char *verb, const char *head,
                       smtp_client_state_t next, buf_t *out)
{
    smtp_client_send_parts(c, out, verb, head, HELLO_HEAD_LEN, c->helo_name, c->helo_len, NULL, 0);
    smtp_client_set_state(c, next);
}

static void after_hello(smtp_client_t *c, buf_t *out)
{
    if (!c->auth) {
        smtp_client_go_ready(c, out);
        return;
    }
    if (!(c->info.extensions & SMTP_EXT_AUTH) || !(c->info.auth_mechs & SMTP_AUTH_PLAIN)) {
        /* RFC 4954 4: a client must not send AUTH the server did not offer. */
        const char *error = "the server does not offer AUTH PLAIN";
        smtp_reply_t local = smtp_reply_make(454, "4.7.0", "%s", error);
        smtp_client_fail(c, &local, false, error, true, out);
        return;
    }
    /* RFC 4616 and RFC 4954 4: the initial response saves a round trip. */
    buf_t b64 = BUF_INIT;
    smtp_auth_plain_encode(c->user, c->password, &b64);
    smtp_client_send(c, out, "AUTH", "AUTH PLAIN ", buf_cstr(&b64), NULL);
    buf_free(&b64);
    smtp_client_set_state(c, SMTP_CLIENT_AUTH);
}

static void on_greeting(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    /* RFC 5321 3.1: 554 instead of 220 means "go away"; the client sends QUIT. */
    if (r->code != 220) {
        fail_refused(c, "the server refused the session", r, out);
        return;
    }
    send_hello(c, "EHLO", "EHLO ", SMTP_CLIENT_EHLO, out);
}

static void on_ehlo(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    if (smtp_reply_ok(r)) {
        after_hello(c, out);
        return;
    }
    /* RFC 5321 3.2: a server that does not know EHLO answers 5xx; try HELO. */
    if (smtp_reply_class(r) == 5) {
        memset(&c->info, 0, sizeof c->info); /* (after the greeting it is all zero still) */
        send_hello(c, "HELO", "HELO ", SMTP_CLIENT_HELO, out);
        return;
    }
    fail_refused(c, "EHLO refused", r, out);
}

static void on_helo(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    memset(&c->info, 0, sizeof c->info);
    if (smtp_reply_ok(r))
        after_hello(c, out);
    else
        fail_refused(c, "HELO refused", r, out);
}

static void on_auth(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    if (r->code == 235)
        smtp_client_go_ready(c, out);
    else
        fail_refused(c, "AUTH PLAIN refused", r, out);
}

static void protocol_error(smtp_client_t *c, const char *what, buf_t *out)
{
    smtp_reply_t local = smtp_reply_make(451, "4.5.0", "Protocol error: %s", what);
    char error[200];
    snprintf(error, sizeof error, "protocol error: %s", what);
    smtp_client_fail(c, &local, false, error, true, out);
}

static void handle_reply(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    /* RFC 5321 3.8: 421 can come at any time; the server is closing. */
    if (r->code == 421 && c->state != SMTP_CLIENT_QUIT && c->state != SMTP_CLIENT_DONE) {
        char said[600], error[700];
        describe(r, said, sizeof said);
        snprintf(error, sizeof error, "the server closed the session: %s", said);
        smtp_client_fail(c, r, true, error, false, out);
        return;
    }
    switch (c->state) {
    case SMTP_CLIENT_GREETING:
        on_greeting(c, r, out);
        return;
    case SMTP_CLIENT_EHLO:
        on_ehlo(c, r, out);
        return;
    case SMTP_CLIENT_HELO:
        on_helo(c, r, out);
        return;
    case SMTP_CLIENT_AUTH:
        on_auth(c, r, out);
        return;
    case SMTP_CLIENT_READY:
        protocol_error(c, "a reply to no command", out);
        return;
    case SMTP_CLIENT_MAIL:
    case SMTP_CLIENT_RCPT:
    case SMTP_CLIENT_DATA:
    case SMTP_CLIENT_BODY:
    case SMTP_CLIENT_RSET:
        smtp_client_txn_reply(c, r, out);
        return;
    case SMTP_CLIENT_QUIT:
        end_session(c);
        return;
    case SMTP_CLIENT_DONE:
        return;
    }
}

/*
 * The reply k kept, come again: what reading it gave, in place (the hooks
 * get k's reply itself), and m lent while they hold it.
 */
static void memo_reply(smtp_client_t *c, smtp_client_memo_t *m, client_reply_kept_t *k, buf_t *out)
{
    if (!k->hit)
        k->hit = true;
    /* RFC 5321 4.1.1.1: only the lines of an EHLO reply say what the server offers. */
    if (c->state == SMTP_CLIENT_EHLO)
        c->info = k->info;
    m->lent++;
    handle_reply(c, &k->asm.reply, out);
    m->lent--;
}

/*
 * One reply line. reply_start is where the reply's first line began in the
 * input of this feed, or NULL when it began in an earlier one; line_end is
 * where this line's LF ends.
 */
static void handle_line(smtp_client_t *c, const line_t *ln, const uint8_t *reply_start,
                        const uint8_t *line_end, buf_t *out)
{
    int code = 0;
    bool more;
    const char *text = "";
    bool parsed = smtp_reply_parse_line(ln->text, ln->len, &code, &more, &text);
    bool first = !c->assembler.started;
    if (c->hooks.on_line)
        c->hooks.on_line(c->hooks.ctx, LINE_SERVER_TO_CLIENT, NULL, code, ln->text);
    smtp_reply_asm_status_t st = SMTP_ASM_BAD;
    if (parsed)
        st = smtp_reply_asm_add_parsed(&c->assembler, code, more, text,
                                       ln->len - (size_t)(text - ln->text));
    else
        smtp_reply_asm_init(&c->assembler);
    /* RFC 5321 4.1.1.1: each line after the first of an EHLO reply is a keyword. */
    if (parsed && st != SMTP_ASM_BAD && !first && c->state == SMTP_CLIENT_EHLO)
        smtp_ehlo_parse_keyword(&c->info, text);
    switch (st) {
    case SMTP_ASM_MORE:
        return;
    case SMTP_ASM_BAD:
        protocol_error(c, "a malformed reply line", out);
        return;
    case SMTP_ASM_DONE:
        if (reply_start)
            smtp_client_memo_keep(c, &c->assembler, reply_start, (size_t)(line_end - reply_start));
        /* The reply stays in the assembler until the next line: no copy of its 1 KB. */
        handle_reply(c, &c->assembler.reply, out);
        return;
    }
}

/*
 * The octets of a reply's text the assembler may look at past its enhanced
 * code ("d.ddd.ddd" and the octet after it): a text shorter than that could
 * end inside them, where the assembler reads the NUL of the reader's copy.
 */
#define ENHANCED_LOOK 10

/*
 * A one-line reply whole at the start of data, with nobody tracing lines:
 * read where it lies, as the reader and handle_line would read it, but
 * without the reader's copy (the reader's lines stay cold), and with a
 * shared memo, into the place it keeps the reply for this state (which
 * stays in cache, where the engine's assembler would not), the hooks
 * getting it there. Returns the octets it took, or 0 for the general path:
 * a reply of more lines, a line too long or not a reply, or a text shorter
 * than ENHANCED_LOOK.
 */
static size_t read_in_place(smtp_client_t *c, const uint8_t *data, size_t len, buf_t *out)
{
    if (c->hooks.on_line)
        return 0;
    const uint8_t *lf = memchr(data, '\n', len);
    if (!lf)
        return 0;
    size_t n = (size_t)(lf - data);
    size_t content = n - (n > 0 && data[n - 1] == '\r' ? 1 : 0);
    const char *line = (const char *)data, *text;
    int code;
    bool more;
    if (content > SMTP_CLIENT_REPLY_LINE_MAX - 2 || content < 4 + ENHANCED_LOOK ||
        !smtp_reply_parse_line(line, content, &code, &more, &text) || more)
        return 0;
    size_t tlen = content - (size_t)(text - line);
    smtp_client_memo_t *m = c->shared;
    if (m && !m->lent && n + 1 <= SMTP_CLIENT_MEMO_KEEP) {
        client_reply_kept_t *k = smtp_client_kept_block(&m->reply[c->state], n + 1);
        smtp_reply_asm_add_parsed(&k->asm, code, false, text, tlen);
        smtp_client_kept_fill(c, k, &k->asm, data, n + 1);
        smtp_client_memo_keep_own(c, &k->asm, data, n + 1);
        m->lent++;
        handle_reply(c, &k->asm.reply, out);
        m->lent--;
        return n + 1;
    }
    smtp_reply_asm_add_parsed(&c->assembler, code, false, text, tlen);
    smtp_client_memo_keep(c, &c->assembler, data, n + 1);
    handle_reply(c, &c->assembler.reply, out);
    return n + 1;
}

/* The lent body into out, ahead of what went there after it (out was empty when it was lent). */
static void lead_spill(smtp_client_t *c, buf_t *out)
{
    size_t after = out->len, n = c->lead_len + c->lead_next_len;
    buf_reserve(out, n);
    memmove(out->data + n, out->data, after);
    memcpy(out->data, c->lead, c->lead_len);
    if (c->lead_next_len)
        memcpy(out->data + c->lead_len, c->lead_next, c->lead_next_len);
    out->len = after + n;
    c->lead = c->lead_next = NULL;
    c->lead_len = c->lead_next_len = 0;
}

size_t smtp_client_take_lead(smtp_client_t *c, const uint8_t **data)
{
    size_t n = c->lead_len;
    *data = n ? c->lead : NULL;
    if (n == 0) /* most calls: nothing lent, and then nothing after it either */
        return 0;
    c->lead = c->lead_next;
    c->lead_len = c->lead_next_len;
    c->lead_next = NULL;
    c->lead_next_len = 0;
    return n;
}

void smtp_client_feed(smtp_client_t *c, const uint8_t *data, size_t len, buf_t *out)
{
    const uint8_t *reply_start = NULL;
    while (len > 0 && c->state != SMTP_CLIENT_DONE) {
        /* More to read after the body was lent: whatever it makes goes after the body. */
        if (c->lead_len)
            lead_spill(c, out);
        if (!c->mid_reply) {
            /* The reply this state got last time again: what reading it
             * gave, without reading it. */
            client_reply_kept_t *k;
            smtp_client_memo_t *m = smtp_client_memo_take(c, data, len, &k);
            if (m) {
                data += k->seen_len;
                len -= k->seen_len;
                memo_reply(c, m, k, out);
                continue;
            }
            /* A reply whose every octet is in this input starts here. */
            reply_start = data;
            size_t n = read_in_place(c, data, len, out);
            if (n) {
                data += n;
                len -= n;
                continue;
            }
        }
        line_t ln;
        size_t used = line_reader_take(&c->reader, data, len, &ln);
        data += used;
        len -= used;
        switch (ln.kind) {
        case LINE_NONE:
            break;
        case LINE_TEXT:
        case LINE_TOO_LONG:
            handle_line(c, &ln, reply_start, data, out);
            break;
        case LINE_BYTES:
            panic("smtp_client_feed: SMTP never asks for raw bytes");
        }
        c->mid_reply = c->assembler.started || line_reader_pending(&c->reader);
    }
}

/* --- the node's calls ---------------------------------------------------- */

/*
 * One allocation for the message, its status and order arrays, its
 * recipient arrays, its data (unless borrowed) and its strings, in that
 * order (the first two in the struct's last line; the pointers 8-aligned
 * after them). Aligned to a cache line (see client_msg_t).
 */
static client_msg_t *msg_copy(smtp_client_t *c, const smtp_client_message_t *src)
{
    const char *reverse_path = src->reverse_path ? src->reverse_path : "";
    size_t n = src->nrecipients;
    size_t path_len = strlen(reverse_path);
    size_t data_len = src->data_borrowed ? 0 : src->len + src->tail_len;
    size_t status_size = (n * (sizeof(client_rcpt_status_t) + sizeof(uint32_t)) + 7) & ~(size_t)7;
    size_t size = sizeof(client_msg_t) + status_size + n * (sizeof(char *) + sizeof(size_t)) +
                  data_len + path_len + 1;
    for (size_t i = 0; i < n; i++)
        size += strlen(src->recipients[i]) + 1;
    size = (size + 63) & ~(size_t)63; /* whole lines: a spare serves the next one's size */
    client_msg_t *m = c->spare_msg;
    if (m && m->size >= size) {
        c->spare_msg = NULL;
        size = m->size;
    } else {
        m = xaligned_alloc(64, size);
    }
    *m = (client_msg_t){.ctx = src->ctx, .nrecipients = n, .len = data_len, .size = size};
    m->status = (client_rcpt_status_t *)(m + 1);
    m->order = (uint32_t *)(m->status + n);
    m->recipients = (char **)((char *)m->status + status_size);
    m->recipient_lens = (size_t *)(m->recipients + n);
    for (size_t i = 0; i < n; i++)
        m->status[i] = CLIENT_RCPT_OPEN;
    char *at = (char *)(m->recipient_lens + n);
    if (src->data_borrowed) {
        m->data = src->data;
        m->len = src->len;
        m->tail = src->tail_len ? src->tail : NULL;
        m->tail_len = src->tail_len;
    } else { /* one copy of both pieces */
        if (src->len)
            memcpy(at, src->data, src->len);
        if (src->tail_len)
            memcpy(at + src->len, src->tail, src->tail_len);
        m->data = (const uint8_t *)at;
        at += data_len;
    }
    m->reverse_path = put_string(&at, reverse_path, path_len);
    m->path_len = path_len;
    for (size_t i = 0; i < n; i++) {
        m->recipient_lens[i] = strlen(src->recipients[i]);
        m->recipients[i] = put_string(&at, src->recipients[i], m->recipient_lens[i]);
    }
    m->eight_bit =
        !src->known_7bit && !(eightbit_is_7bit(src->data, src->len) &&
                              (src->tail_len == 0 || eightbit_is_7bit(src->tail, src->tail_len)));
    m->dot_safe = src->known_dot_safe;
    m->dot_follows = src->data_borrowed && src->dot_follows;
    return m;
}

void smtp_client_add_message(smtp_client_t *c, const smtp_client_message_t *src, buf_t *out)
{
    if (src->nrecipients > SMTP_CLIENT_RCPT_MAX)
        panic("smtp_client_add_message: %zu recipients", src->nrecipients);
    client_msg_t *m = msg_copy(c, src);
    if (c->tail)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    switch (c->state) {
    case SMTP_CLIENT_READY:
        smtp_client_go_ready(c, out);
        return;
    case SMTP_CLIENT_QUIT:
    case SMTP_CLIENT_DONE: {
        /* Too late for this session: the node keeps the message for another. */
        smtp_reply_t local = smtp_reply_make(451, "4.3.0", "The SMTP session is over");
        fail_all_messages(c, &local, false);
        return;
    }
    case SMTP_CLIENT_GREETING:
    case SMTP_CLIENT_EHLO:
    case SMTP_CLIENT_HELO:
    case SMTP_CLIENT_AUTH:
    case SMTP_CLIENT_MAIL:
    case SMTP_CLIENT_RCPT:
    case SMTP_CLIENT_DATA:
    case SMTP_CLIENT_BODY:
    case SMTP_CLIENT_RSET:
        return; /* its turn comes */
    }
}

void smtp_client_finish(smtp_client_t *c, buf_t *out)
{
    c->finishing = true;
    if (c->state == SMTP_CLIENT_READY && !c->head)
        smtp_client_go_ready(c, out);
}

void smtp_client_connection_lost(smtp_client_t *c)
{
    if (c->state == SMTP_CLIENT_DONE)
        return;
    if (c->state != SMTP_CLIENT_QUIT || c->head) {
        char error[100];
        snprintf(error, sizeof error, "connection lost (in state %s)",
                 smtp_client_state_name(c->state));
        set_error(c, error);
    }
    /* RFC 5321 6.1: without the final 250 the message is still ours to deliver. */
    smtp_reply_t local =
        smtp_reply_make(451, "4.4.2", "Connection lost before the server's final reply");
    fail_all_messages(c, &local, false);
    end_session(c);
}

bool smtp_client_done(const smtp_client_t *c)
{
    return c->state == SMTP_CLIENT_DONE;
}

smtp_client_state_t smtp_client_state(const smtp_client_t *c)
{
    return c->state;
}

const smtp_ehlo_info_t *smtp_client_server_info(const smtp_client_t *c)
{
    return &c->info;
}
