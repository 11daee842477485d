/*
 * imap_client_resp: the client engine's reading side. It frames the
 * server's bytes into whole responses, literals included (RFC 3501 7.5: a
 * line ending in "{n}" is followed by n bytes and goes on after them), and
 * reads each one: the greeting, continuation requests, tagged completions,
 * and the untagged data the client acts on (CAPABILITY, SEARCH, FETCH with
 * UID and BODY[], EXISTS and EXPUNGE, BYE). Anything else is traced and let
 * pass, as RFC 3501 7 asks of a client.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/imap_client_int.h"

/* Nesting of parenthesised lists past this is refused, so input cannot exhaust the stack. */
#define VALUE_DEPTH_MAX 32

/* --- reading values ------------------------------------------------------- */

/* An item name or bare value: up to SP or a parenthesis, "[...]" sections whole. */
static bool read_word(imap_parser_t *ps, buf_t *out)
{
    buf_reset(out);
    int depth = 0;
    const uint8_t *start = ps->p;
    while (ps->p < ps->end) {
        uint8_t ch = *ps->p;
        if (ch == '\r' || ch == '\n')
            break;
        if (depth == 0 && (ch == ' ' || ch == '(' || ch == ')'))
            break;
        depth += ch == '[';
        depth -= ch == ']' && depth > 0;
        ps->p++;
    }
    buf_append(out, start, (size_t)(ps->p - start));
    return ps->p > start;
}

/* Any value: a parenthesised list, a string, a literal, an atom, a number or NIL. */
static bool skip_value(imap_parser_t *ps, buf_t *tmp, int depth)
{
    int ch = imap_parse_peek(ps);
    if (ch == '"' || ch == '{')
        return imap_parse_string(ps, tmp);
    if (ch != '(')
        return read_word(ps, tmp);
    if (depth >= VALUE_DEPTH_MAX)
        return false;
    imap_parse_char(ps, '(');
    while (!imap_parse_char(ps, ')')) {
        if (imap_parse_at_end(ps) || !skip_value(ps, tmp, depth + 1))
            return false;
        imap_parse_char(ps, ' ');
    }
    return true;
}

/* --- untagged data -------------------------------------------------------- */

static void deliver(imap_client_t *c, uint32_t uid, const buf_t *body)
{
    /* Only the bodies this client asked for: a FETCH step's answers. */
    if (c->state != IMAP_CLIENT_STEP || !c->cur || c->cur->kind != IMAP_STEP_FETCH)
        return;
    c->counts.fetched++;
    c->counts.octets += body->len;
    if (c->hooks.on_message)
        c->hooks.on_message(c->hooks.ctx, c->selected ? c->selected : "", uid,
                            body->data ? body->data : (const uint8_t *)"", body->len);
}

/* RFC 3501 7.4.2: "(" item SP value *(SP item SP value) ")". */
static bool read_fetch(imap_client_t *c, imap_parser_t *ps)
{
    if (!imap_parse_sp(ps) || !imap_parse_char(ps, '('))
        return false;
    buf_t name = BUF_INIT, body = BUF_INIT, tmp = BUF_INIT;
    uint32_t uid = 0;
    bool has_body = false, ok = true;
    while (ok && !imap_parse_char(ps, ')')) {
        ok = read_word(ps, &name) && imap_parse_sp(ps);
        const char *n = buf_cstr(&name);
        if (!ok)
            break;
        if (str_casecmp(n, "UID") == 0) {
            ok = imap_parse_number(ps, true, &uid);
        } else if (str_casecmp(n, "BODY[]") == 0 || str_has_prefix_ci(n, "BODY[]<")) {
            int ch = imap_parse_peek(ps);
            has_body = ch == '"' || ch == '{';
            ok = has_body ? imap_parse_string(ps, &body) : read_word(ps, &tmp);
        } else {
            ok = skip_value(ps, &tmp, 0);
        }
        if (ok && imap_parse_peek(ps) == ' ')
            imap_parse_sp(ps);
        ok = ok && !imap_parse_at_end(ps);
    }
    if (ok && has_body && uid)
        deliver(c, uid, &body);
    else if (ok && has_body)
        client_note_error(c, "a FETCH response with a body but no UID was ignored");
    buf_free(&name);
    buf_free(&body);
    buf_free(&tmp);
    return ok;
}

/* RFC 3501 7.2.5: "* SEARCH" *(SP nz-number). */
static bool read_search(imap_client_t *c, imap_parser_t *ps)
{
    while (imap_parse_char(ps, ' ')) {
        uint32_t uid;
        if (!imap_parse_number(ps, true, &uid))
            return false;
        client_add_uid(c, uid);
    }
    return imap_parse_at_end(ps);
}

/* "[CAPABILITY ...]" in the text of a status response (RFC 3501 7.1). */
static void read_caps_code(imap_client_t *c, const char *text)
{
    if (!str_has_prefix_ci(text, "[CAPABILITY "))
        return;
    const char *list = text + strlen("[CAPABILITY ");
    const char *end = strchr(list, ']');
    if (end)
        client_set_caps(c, list, (size_t)(end - list));
}

/* "* n WORD ...": message data. */
static bool untagged_numbered(imap_client_t *c, imap_parser_t *ps, const char *word, buf_t *out)
{
    bool news = false, ok = true;
    if (str_casecmp(word, "EXPUNGE") == 0) {
        bool ours = c->state == IMAP_CLIENT_STEP && c->cur &&
                    (c->cur->kind == IMAP_STEP_EXPUNGE || c->cur->kind == IMAP_STEP_MOVE);
        c->counts.expunged += ours;
        news = true;
    } else if (str_casecmp(word, "EXISTS") == 0) {
        news = true;
    } else if (str_casecmp(word, "FETCH") == 0) {
        ok = read_fetch(c, ps);
        news = true;
    }
    /* RFC 2177 3: what the server tells an idling client is news. */
    if (news)
        client_on_news(c, out);
    return ok;
}

static void untagged(imap_client_t *c, imap_parser_t *ps, const char *word, bool numbered,
                     buf_t *out)
{
    const char *text = (const char *)ps->p;
    text += *text == ' ';
    if (c->state == IMAP_CLIENT_GREETING) {
        if (numbered) {
            client_fail(c, out, "protocol error: not an IMAP greeting \"%.80s\"",
                        buf_cstr(&c->resp_trace));
            return;
        }
        read_caps_code(c, text);
        client_on_greeting(c, word, out);
        return;
    }
    bool ok = true;
    if (numbered) {
        ok = untagged_numbered(c, ps, word, out);
    } else if (str_casecmp(word, "CAPABILITY") == 0) {
        client_set_caps(c, text, strlen(text));
    } else if (str_casecmp(word, "SEARCH") == 0) {
        ok = read_search(c, ps);
    } else if (str_casecmp(word, "BYE") == 0) {
        /* RFC 3501 7.1.5: the server is closing; expected only after LOGOUT. */
        if (c->state != IMAP_CLIENT_LOGOUT)
            client_note_error(c, "the server closed the session: %s", text);
    } else if (str_casecmp(word, "OK") == 0) {
        read_caps_code(c, text);
    }
    if (!ok)
        client_fail(c, out, "protocol error: a malformed %s response \"%.80s\"", word,
                    buf_cstr(&c->resp_trace));
}

/* --- one response --------------------------------------------------------- */

static void trace_response(imap_client_t *c, const char *tag, const char *word)
{
    if (c->hooks.on_line)
        c->hooks.on_line(c->hooks.ctx, LINE_SERVER_TO_CLIENT, tag, word, buf_cstr(&c->resp_trace));
}

void client_handle_response(imap_client_t *c, buf_t *out)
{
    imap_parser_t ps;
    imap_parser_init(&ps, c->resp.data, c->resp.len);
    buf_t tag = BUF_INIT, word = BUF_INIT;
    read_word(&ps, &tag);
    const char *t = buf_cstr(&tag);
    if (c->state == IMAP_CLIENT_GREETING && strcmp(t, "*") != 0) {
        trace_response(c, t, NULL);
        client_fail(c, out, "protocol error: not an IMAP greeting \"%.80s\"",
                    buf_cstr(&c->resp_trace));
    } else if (strcmp(t, "+") == 0) {
        trace_response(c, "+", NULL);
        client_on_continuation(c, out);
    } else if (!imap_parse_sp(&ps)) {
        trace_response(c, t, NULL);
        client_fail(c, out, "protocol error: not an IMAP response \"%.80s\"",
                    buf_cstr(&c->resp_trace));
    } else if (strcmp(t, "*") == 0) {
        uint32_t n;
        bool numbered = imap_parse_number(&ps, false, &n) && imap_parse_sp(&ps);
        read_word(&ps, &word);
        for (size_t i = 0; i < word.len; i++)
            word.data[i] =
                (uint8_t)(word.data[i] >= 'a' && word.data[i] <= 'z' ? word.data[i] - 'a' + 'A'
                                                                     : word.data[i]);
        trace_response(c, "*", buf_cstr(&word));
        untagged(c, &ps, buf_cstr(&word), numbered, out);
    } else {
        read_word(&ps, &word);
        trace_response(c, t, buf_cstr(&word));
        const char *text = (const char *)ps.p;
        text += *text == ' ';
        if (strcmp(t, c->tag) != 0)
            client_fail(c, out, "protocol error: a reply tagged %.20s, not %s", t, c->tag);
        else {
            /* RFC 3501 7.1: a tagged OK may carry the capabilities after LOGIN. */
            read_caps_code(c, text);
            client_on_tagged(c, buf_cstr(&word), text, out);
        }
    }
    buf_free(&tag);
    buf_free(&word);
}

/* --- framing -------------------------------------------------------------- */

static void response_line(imap_client_t *c, const line_t *ln, buf_t *out)
{
    if (ln->kind == LINE_TOO_LONG || memchr(ln->text, '\0', ln->len)) {
        buf_reset(&c->resp);
        buf_reset(&c->resp_trace);
        client_fail(c, out, "protocol error: %s in a response",
                    ln->kind == LINE_TOO_LONG ? "a line over 64 KiB" : "a NUL octet");
        return;
    }
    buf_append(&c->resp, ln->text, ln->len);
    buf_append(&c->resp_trace, ln->text, ln->len);
    bool non_sync = false;
    int64_t n = imap_literal_marker(ln->text, ln->len, &non_sync);
    if (n < 0 || non_sync) {
        client_handle_response(c, out);
        buf_reset(&c->resp);
        buf_reset(&c->resp_trace);
        return;
    }
    if ((uint64_t)n > IMAP_CLIENT_LITERAL_MAX ||
        c->resp.len + (uint64_t)n > IMAP_CLIENT_LITERAL_MAX) {
        /* The bytes cannot be skipped politely: the session ends here. */
        client_note_error(c, "protocol error: a literal of %lld octets, over the limit",
                          (long long)n);
        client_end_session(c);
        return;
    }
    buf_append(&c->resp, "\r\n", 2);
    line_reader_expect_bytes(&c->reader, (uint64_t)n);
}

void imap_client_feed(imap_client_t *c, const uint8_t *data, size_t len, buf_t *out)
{
    while (len > 0 && c->state != IMAP_CLIENT_DONE) {
        line_t ln;
        size_t used = line_reader_take(&c->reader, data, len, &ln);
        data += used;
        len -= used;
        switch (ln.kind) {
        case LINE_NONE:
            break;
        case LINE_TEXT:
        case LINE_TOO_LONG:
            response_line(c, &ln, out);
            break;
        case LINE_BYTES:
            buf_append(&c->resp, ln.text, ln.len);
            break;
        }
    }
}
