/*
 * imap_client: the client engine's life cycle, the state setter, the
 * building and sending of tagged commands (atoms, quoted strings and
 * literals, RFC 3501 4.3), and the queue of steps with what each one's
 * tagged reply leads to.
 */
#include "proto/imap_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/utf7.h"
#include "proto/imap_client_int.h"

static const char *const state_names[] = {
#define X(id, name) name,
    IMAP_CLIENT_STATES(X)
#undef X
};

const char *imap_client_state_name(imap_client_state_t st)
{
    if ((size_t)st >= ARRAY_LEN(state_names))
        return "?";
    return state_names[st];
}

imap_client_t *imap_client_new(const imap_client_config_t *cfg, const imap_client_hooks_t *hooks)
{
    imap_client_t *c = xcalloc(1, sizeof *c);
    c->user = xstrdup(cfg->user ? cfg->user : "");
    c->password = xstrdup(cfg->password ? cfg->password : "");
    if (hooks)
        c->hooks = *hooks;
    c->state = IMAP_CLIENT_GREETING;
    line_reader_init(&c->reader, IMAP_CLIENT_LINE_MAX);
    return c;
}

static void step_free(client_step_t *s)
{
    free(s->folder);
    free(s->wire);
    free(s->text);
    free(s->add);
    free(s->remove);
}

void imap_client_free(imap_client_t *c)
{
    if (!c)
        return;
    line_reader_free(&c->reader);
    buf_free(&c->resp);
    buf_free(&c->resp_trace);
    buf_free(&c->cmd);
    buf_free(&c->cmd_trace);
    free(c->cuts);
    for (size_t i = 0; i < c->nsteps; i++)
        step_free(&c->steps[i]);
    free(c->steps);
    free(c->sel);
    free(c->selected);
    free(c->user);
    free(c->password);
    free(c->error);
    free(c);
}

static void set_state(imap_client_t *c, imap_client_state_t to)
{
    imap_client_state_t from = c->state;
    if (from == to)
        return;
    c->state = to;
    if (c->hooks.on_state)
        c->hooks.on_state(c->hooks.ctx, from, to);
}

/* --- errors and the end --------------------------------------------------- */

static void note_verror(imap_client_t *c, const char *fmt, va_list ap)
{
    if (c->error)
        return;
    buf_t b = BUF_INIT;
    buf_vprintf(&b, fmt, ap);
    c->error = buf_steal(&b, NULL);
}

void client_note_error(imap_client_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    note_verror(c, fmt, ap);
    va_end(ap);
}

void client_end_session(imap_client_t *c)
{
    if (c->state == IMAP_CLIENT_DONE)
        return;
    c->cur = NULL;
    set_state(c, IMAP_CLIENT_DONE);
    if (c->hooks.on_done)
        c->hooks.on_done(c->hooks.ctx, c->error == NULL, c->error, &c->counts);
}

/* --- commands ------------------------------------------------------------- */

static void begin_command(imap_client_t *c, const char *verb)
{
    snprintf(c->tag, sizeof c->tag, "a%u", ++c->tag_no);
    str_copy(c->verb, sizeof c->verb, verb);
    buf_reset(&c->cmd);
    buf_reset(&c->cmd_trace);
    c->cmd_sent = 0;
    c->ncuts = c->next_cut = 0;
    buf_printf(&c->cmd, "%s %s", c->tag, verb);
    buf_printf(&c->cmd_trace, "%s %s", c->tag, verb);
}

/* Text that needs no quoting, on the wire and in the trace alike. */
static void put_raw(imap_client_t *c, const char *fmt, ...) MS_PRINTF(2, 3);
static void put_raw(imap_client_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t start = c->cmd.len;
    buf_vprintf(&c->cmd, fmt, ap);
    va_end(ap);
    buf_append(&c->cmd_trace, c->cmd.data + start, c->cmd.len - start);
}

static void add_cut(imap_client_t *c)
{
    if (c->ncuts == c->cap_cuts) {
        c->cap_cuts = c->cap_cuts ? c->cap_cuts * 2 : 4;
        c->cuts = xrealloc(c->cuts, c->cap_cuts * sizeof *c->cuts);
    }
    c->cuts[c->ncuts++] = c->cmd.len;
}

/* RFC 3501 9: an astring as an atom, a quoted string, or a literal for 8-bit text. */
static void put_astring(imap_client_t *c, const char *s)
{
    size_t len = strlen(s);
    bool atom = len > 0, quotable = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        atom &= imap_atom_char(ch) || ch == ']';
        quotable &= ch >= 0x20 && ch < 0x7f;
    }
    put_raw(c, " ");
    if (atom) {
        put_raw(c, "%s", s);
    } else if (quotable) {
        put_raw(c, "\"");
        for (size_t i = 0; i < len; i++)
            put_raw(c, "%s%c", s[i] == '"' || s[i] == '\\' ? "\\" : "", s[i]);
        put_raw(c, "\"");
    } else {
        /* RFC 7888: with LITERAL+ the data follows at once; else after "+". */
        bool plus = c->caps & CLIENT_CAP_LITERAL_PLUS;
        put_raw(c, "{%zu%s}", len, plus ? "+" : "");
        buf_append(&c->cmd, "\r\n", 2);
        if (!plus)
            add_cut(c);
        buf_append(&c->cmd, s, len);
    }
}

/* Sends the command up to the next literal that waits for "+", or to its end. */
static void send_pending(imap_client_t *c, buf_t *out)
{
    size_t end = c->next_cut < c->ncuts ? c->cuts[c->next_cut++] : c->cmd.len;
    buf_append(out, c->cmd.data + c->cmd_sent, end - c->cmd_sent);
    c->cmd_sent = end;
}

static void end_command(imap_client_t *c, buf_t *out, imap_client_state_t next)
{
    buf_append(&c->cmd, "\r\n", 2);
    if (c->hooks.on_line)
        c->hooks.on_line(c->hooks.ctx, LINE_CLIENT_TO_SERVER, c->tag, c->verb,
                         buf_cstr(&c->cmd_trace));
    set_state(c, next);
    send_pending(c, out);
}

static void logout(imap_client_t *c, buf_t *out)
{
    c->cur = NULL;
    begin_command(c, "LOGOUT");
    end_command(c, out, IMAP_CLIENT_LOGOUT);
}

void client_fail(imap_client_t *c, buf_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    note_verror(c, fmt, ap);
    va_end(ap);
    switch (c->state) {
    case IMAP_CLIENT_GREETING:
        /* Nobody to say LOGOUT to: the server did not open a session. */
        client_end_session(c);
        return;
    case IMAP_CLIENT_LOGOUT:
    case IMAP_CLIENT_DONE:
        return;
    case IMAP_CLIENT_CAPABILITY:
    case IMAP_CLIENT_LOGIN:
    case IMAP_CLIENT_STEP:
    case IMAP_CLIENT_IDLE:
        logout(c, out);
        return;
    }
}

/* --- the queue ------------------------------------------------------------ */

static bool valid_flags(const char *list)
{
    /* RFC 3501 9: flag = "\" atom (a system flag) / atom (a keyword). */
    for (const char *p = list; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        if (*p == '\\')
            p++;
        const char *start = p;
        while (*p && *p != ' ') {
            if (!imap_atom_char((unsigned char)*p))
                return false;
            p++;
        }
        if (p == start)
            return false;
    }
    return true;
}

static bool check_step(const imap_client_step_t *st, char *err, size_t errlen)
{
    const char *folder = st->folder;
    bool needs_folder = st->kind == IMAP_STEP_SELECT || st->kind == IMAP_STEP_CREATE ||
                        st->kind == IMAP_STEP_DELETE_FOLDER || st->kind == IMAP_STEP_MOVE;
    if (needs_folder && (!folder || !*folder)) {
        snprintf(err, errlen, "a folder name is needed");
        return false;
    }
    if (st->kind == IMAP_STEP_SEARCH_SUBJECT && (!st->text || strpbrk(st->text, "\r\n"))) {
        snprintf(err, errlen, "a subject to search for, on one line, is needed");
        return false;
    }
    if (st->kind == IMAP_STEP_STORE) {
        const char *bad = st->add && !valid_flags(st->add)         ? st->add
                          : st->remove && !valid_flags(st->remove) ? st->remove
                                                                   : NULL;
        if (bad) {
            snprintf(err, errlen, "\"%.80s\": a flag is \\Name or a keyword atom", bad);
            return false;
        }
    }
    return true;
}

bool imap_client_add(imap_client_t *c, const imap_client_step_t *st, char *err, size_t errlen)
{
    if (!check_step(st, err, errlen))
        return false;
    client_step_t s = {st->kind, NULL, NULL, NULL, NULL, NULL};
    if (st->folder) {
        const char *why = NULL;
        s.wire = utf7_encode(st->folder, &why);
        if (!s.wire) {
            snprintf(err, errlen, "folder \"%.80s\": %s", st->folder, why ? why : "not UTF-8");
            return false;
        }
        s.folder = xstrdup(st->folder);
    }
    s.text = st->text ? xstrdup(st->text) : NULL;
    s.add = st->add && *st->add ? xstrdup(st->add) : NULL;
    s.remove = st->remove && *st->remove ? xstrdup(st->remove) : NULL;
    if (c->nsteps == c->cap_steps) {
        size_t cur = c->cur ? (size_t)(c->cur - c->steps) : 0;
        c->cap_steps = c->cap_steps ? c->cap_steps * 2 : 8;
        c->steps = xrealloc(c->steps, c->cap_steps * sizeof *c->steps);
        /* cur points into the array: find it again. */
        if (c->cur)
            c->cur = c->steps + cur;
    }
    c->steps[c->nsteps++] = s;
    return true;
}

static void put_selection(imap_client_t *c)
{
    buf_t set = BUF_INIT;
    imap_seqset_format(c->sel, c->nsel, &set);
    put_raw(c, " %s", buf_cstr(&set));
    buf_free(&set);
}

static void put_flags(imap_client_t *c, const char *flags)
{
    put_raw(c, " (%s)", flags);
}

/* RFC 4315 2.1: UID EXPUNGE leaves other clients' \Deleted messages alone. */
static void begin_expunge(imap_client_t *c)
{
    if (c->caps & CLIENT_CAP_UIDPLUS) {
        begin_command(c, "UID EXPUNGE");
        put_selection(c);
    } else {
        begin_command(c, "EXPUNGE");
    }
}

/* The step's command for its phase; false when there is nothing to send. */
static bool step_command(imap_client_t *c, const client_step_t *s, buf_t *out)
{
    bool uses_selection = s->kind == IMAP_STEP_FETCH || s->kind == IMAP_STEP_STORE ||
                          s->kind == IMAP_STEP_MOVE || s->kind == IMAP_STEP_EXPUNGE;
    if (uses_selection && c->nsel == 0)
        return false;
    imap_client_state_t next = IMAP_CLIENT_STEP;
    switch (s->kind) {
    case IMAP_STEP_SELECT:
        free(c->selected);
        c->selected = xstrdup(s->folder);
        c->nsel = 0;
        begin_command(c, "SELECT");
        put_astring(c, s->wire);
        break;
    case IMAP_STEP_CREATE:
        begin_command(c, "CREATE");
        put_astring(c, s->wire);
        break;
    case IMAP_STEP_DELETE_FOLDER:
        begin_command(c, "DELETE");
        put_astring(c, s->wire);
        break;
    case IMAP_STEP_SEARCH_UNSEEN:
        c->nsel = 0;
        begin_command(c, "UID SEARCH");
        put_raw(c, " UNSEEN");
        break;
    case IMAP_STEP_SEARCH_SUBJECT: {
        c->nsel = 0;
        bool ascii = true;
        for (const char *p = s->text; *p; p++)
            ascii &= (unsigned char)*p < 0x80;
        begin_command(c, "UID SEARCH");
        /* RFC 3501 6.4.4: 8-bit search text names its charset. */
        put_raw(c, "%s SUBJECT", ascii ? "" : " CHARSET UTF-8");
        put_astring(c, s->text);
        break;
    }
    case IMAP_STEP_FETCH:
        begin_command(c, "UID FETCH");
        put_selection(c);
        /* BODY[] without .PEEK: the server sets \Seen (RFC 3501 6.4.5). */
        put_raw(c, " (UID BODY[])");
        break;
    case IMAP_STEP_STORE:
        begin_command(c, "UID STORE");
        put_selection(c);
        put_raw(c, c->phase == 0 ? " +FLAGS" : " -FLAGS");
        put_flags(c, c->phase == 0 ? s->add : s->remove);
        break;
    case IMAP_STEP_MOVE:
        if (c->caps & CLIENT_CAP_MOVE) {
            begin_command(c, "UID MOVE");
            put_selection(c);
            put_astring(c, s->wire);
        } else if (c->phase == 0) {
            /* RFC 6851 3.3: without MOVE, COPY, mark \Deleted and expunge. */
            begin_command(c, "UID COPY");
            put_selection(c);
            put_astring(c, s->wire);
        } else if (c->phase == 1) {
            begin_command(c, "UID STORE");
            put_selection(c);
            put_raw(c, " +FLAGS.SILENT (\\Deleted)");
        } else {
            begin_expunge(c);
        }
        break;
    case IMAP_STEP_EXPUNGE:
        begin_expunge(c);
        break;
    case IMAP_STEP_IDLE:
        if (!(c->caps & CLIENT_CAP_IDLE))
            return false;
        c->idling = c->done_sent = false;
        c->news_before_idle = c->counts.news;
        begin_command(c, "IDLE");
        next = IMAP_CLIENT_IDLE;
        break;
    }
    end_command(c, out, next);
    return true;
}

/* Runs the next queued step that has something to send, or logs out. */
static void next_step(imap_client_t *c, buf_t *out)
{
    while (c->next_step < c->nsteps) {
        c->cur = &c->steps[c->next_step++];
        c->phase = 0;
        if (c->cur->kind == IMAP_STEP_STORE && !c->cur->add)
            c->phase = 1;
        if (c->cur->kind == IMAP_STEP_STORE && !c->cur->add && !c->cur->remove)
            continue;
        if (step_command(c, c->cur, out))
            return;
    }
    logout(c, out);
}

/* The current step's command was answered OK: its next phase, or the next step. */
static void step_ok(imap_client_t *c, buf_t *out)
{
    client_step_t *s = c->cur;
    switch (s->kind) {
    case IMAP_STEP_SELECT:
    case IMAP_STEP_FETCH:
    case IMAP_STEP_EXPUNGE:
    case IMAP_STEP_IDLE:
        break;
    case IMAP_STEP_CREATE:
        c->counts.created++;
        break;
    case IMAP_STEP_DELETE_FOLDER:
        c->counts.deleted++;
        break;
    case IMAP_STEP_SEARCH_UNSEEN:
    case IMAP_STEP_SEARCH_SUBJECT:
        c->counts.found += (uint32_t)c->nsel;
        break;
    case IMAP_STEP_STORE:
        c->counts.stored++;
        if (c->phase == 0 && s->remove) {
            c->phase = 1;
            step_command(c, s, out);
            return;
        }
        break;
    case IMAP_STEP_MOVE:
        if (!(c->caps & CLIENT_CAP_MOVE) && c->phase < 2) {
            c->phase++;
            step_command(c, s, out);
            return;
        }
        c->counts.moved += (uint32_t)c->nsel;
        break;
    }
    next_step(c, out);
}

/* --- what the response reader calls --------------------------------------- */

static void login(imap_client_t *c, buf_t *out)
{
    /* A line break in a credential would end the command early and inject another. */
    if (strpbrk(c->user, "\r\n") || strpbrk(c->password, "\r\n")) {
        client_note_error(c, "the user name or password holds a line break; it cannot be sent");
        logout(c, out);
        return;
    }
    begin_command(c, "LOGIN");
    put_astring(c, c->user);
    /* RFC 3501 11.2: LOGIN sends the password in clear; the trace shows it, as the wire does. */
    put_astring(c, c->password);
    end_command(c, out, IMAP_CLIENT_LOGIN);
}

void client_on_greeting(imap_client_t *c, const char *status, buf_t *out)
{
    if (strcmp(status, "PREAUTH") == 0) {
        /* RFC 3501 7.1.4: already logged in. */
        next_step(c, out);
    } else if (strcmp(status, "OK") != 0) {
        client_fail(c, out, "the server refused the session (%s)", status);
    } else if (!c->caps_known) {
        begin_command(c, "CAPABILITY");
        end_command(c, out, IMAP_CLIENT_CAPABILITY);
    } else {
        login(c, out);
    }
}

void client_on_tagged(imap_client_t *c, const char *status, const char *text, buf_t *out)
{
    bool ok = strcmp(status, "OK") == 0;
    switch (c->state) {
    case IMAP_CLIENT_GREETING:
    case IMAP_CLIENT_DONE:
        return;
    case IMAP_CLIENT_CAPABILITY:
        if (ok)
            login(c, out);
        else
            client_fail(c, out, "CAPABILITY refused: %s %s", status, text);
        return;
    case IMAP_CLIENT_LOGIN:
        if (ok)
            next_step(c, out);
        else if (strstr(text, "[AUTHENTICATIONFAILED]") || strcmp(status, "NO") == 0)
            client_fail(c, out, "wrong user name or password: %s %s", status, text);
        else
            client_fail(c, out, "LOGIN refused: %s %s", status, text);
        return;
    case IMAP_CLIENT_STEP:
    case IMAP_CLIENT_IDLE:
        if (ok)
            step_ok(c, out);
        else
            client_fail(c, out, "%s refused: %s %s", c->verb, status, text);
        return;
    case IMAP_CLIENT_LOGOUT:
        client_end_session(c);
        return;
    }
}

static void send_done(imap_client_t *c, buf_t *out)
{
    /* RFC 2177 3: DONE ends IDLE; the tagged reply to IDLE follows. */
    c->done_sent = true;
    buf_append(out, "DONE\r\n", 6);
    if (c->hooks.on_line)
        c->hooks.on_line(c->hooks.ctx, LINE_CLIENT_TO_SERVER, c->tag, NULL, "DONE");
}

void client_on_continuation(imap_client_t *c, buf_t *out)
{
    if (c->cmd_sent < c->cmd.len) {
        send_pending(c, out);
        return;
    }
    if (c->state == IMAP_CLIENT_IDLE && !c->idling) {
        c->idling = true;
        /* RFC 2177 3: what was pending came before "+": that is news already. */
        if (c->counts.news > c->news_before_idle)
            send_done(c, out);
        return;
    }
    client_fail(c, out, "protocol error: a \"+\" that nothing waited for");
}

void client_on_news(imap_client_t *c, buf_t *out)
{
    if (c->state != IMAP_CLIENT_IDLE)
        return;
    c->counts.news++;
    if (c->idling && !c->done_sent)
        send_done(c, out);
}

void client_set_caps(imap_client_t *c, const char *list, size_t len)
{
    static const struct {
        const char *name;
        unsigned bit;
    } known[] = {
        {"MOVE", CLIENT_CAP_MOVE},
        {"UIDPLUS", CLIENT_CAP_UIDPLUS},
        {"LITERAL+", CLIENT_CAP_LITERAL_PLUS},
        {"IDLE", CLIENT_CAP_IDLE},
    };
    c->caps = 0;
    c->caps_known = true;
    for (size_t i = 0; i < len;) {
        while (i < len && list[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && list[i] != ' ')
            i++;
        for (size_t k = 0; k < ARRAY_LEN(known); k++)
            if (i - start == strlen(known[k].name) &&
                str_ncasecmp(list + start, known[k].name, i - start) == 0)
                c->caps |= known[k].bit;
    }
}

void client_add_uid(imap_client_t *c, uint32_t uid)
{
    if (c->nsel == c->cap_sel) {
        c->cap_sel = c->cap_sel ? c->cap_sel * 2 : 16;
        c->sel = xrealloc(c->sel, c->cap_sel * sizeof *c->sel);
    }
    c->sel[c->nsel++] = uid;
}

/* --- the node's calls ----------------------------------------------------- */

void imap_client_idle_done(imap_client_t *c, buf_t *out)
{
    if (c->state == IMAP_CLIENT_IDLE && c->idling && !c->done_sent)
        send_done(c, out);
}

void imap_client_connection_lost(imap_client_t *c)
{
    switch (c->state) {
    case IMAP_CLIENT_DONE:
        return;
    case IMAP_CLIENT_LOGOUT:
        /* Everything asked for was done; only the goodbye went missing. */
        break;
    case IMAP_CLIENT_GREETING:
        client_note_error(c, "connection lost before the server's greeting");
        break;
    case IMAP_CLIENT_CAPABILITY:
    case IMAP_CLIENT_LOGIN:
    case IMAP_CLIENT_STEP:
    case IMAP_CLIENT_IDLE:
        client_note_error(c, "connection lost waiting for %s", c->verb);
        break;
    }
    client_end_session(c);
}

bool imap_client_done(const imap_client_t *c)
{
    return c->state == IMAP_CLIENT_DONE;
}

bool imap_client_idling(const imap_client_t *c)
{
    return c->state == IMAP_CLIENT_IDLE && c->idling && !c->done_sent;
}

imap_client_state_t imap_client_state(const imap_client_t *c)
{
    return c->state;
}

const imap_client_counts_t *imap_client_counts(const imap_client_t *c)
{
    return &c->counts;
}
