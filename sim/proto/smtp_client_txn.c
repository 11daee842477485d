/*
 * smtp_client_txn: one mail transaction of the client (RFC 5321 3.3): the
 * local checks before it (8-bit body, SIZE), MAIL, the RCPTs and DATA, one at
 * a time or pipelined (RFC 2920 3.1), the body with dot-stuffing, and RSET
 * after a transaction that failed half-way.
 */
#include <string.h>

#include "proto/smtp_addr.h"
#include "proto/smtp_client_int.h"

static void fail_locally(smtp_client_t *c, const smtp_reply_t *r)
{
    for (size_t i = 0; i < c->head->nrecipients; i++)
        smtp_client_report(c, c->head, i, r, false);
    smtp_client_message_done(c);
}

/*
 * Whether m's pieces go into DATA as they are. The clean prefix is of whole
 * CRLF lines: a header clean to its end ends a line, so the tail starts one,
 * and the two are clean together when each is.
 */
static bool pieces_clean(const client_msg_t *m)
{
    return m->dot_safe || (line_dot_clean_prefix(m->data, m->len) == m->len &&
                           line_dot_clean_prefix(m->tail, m->tail_len) == m->tail_len);
}

/*
 * RFC 6152 3: 8-bit data only goes to a server that offers 8BITMIME;
 * otherwise the node's downgrade hook makes a 7-bit version. Puts the message
 * to send in c->wire; false when the message failed here. A message in two
 * pieces that needs a change is joined first: what follows is as for one.
 */
static bool prepare_body(smtp_client_t *c, bool *body_8bit, uint64_t *size)
{
    client_msg_t *m = c->head;
    const uint8_t *src = m->data;
    size_t len = m->len;
    buf_t seven = BUF_INIT, joined = BUF_INIT;
    *body_8bit = m->eight_bit && (c->info.extensions & SMTP_EXT_8BITMIME);
    bool downgrade = m->eight_bit && !*body_8bit;
    if (m->tail_len) {
        if (!downgrade && pieces_clean(m)) {
            buf_reset(&c->wire);
            *size = (uint64_t)m->len + m->tail_len;
            return true;
        }
        buf_reserve(&joined, m->len + m->tail_len);
        buf_append(&joined, m->data, m->len);
        buf_append(&joined, m->tail, m->tail_len);
        src = joined.data;
        len = joined.len;
    }
    if (downgrade) {
        if (!c->hooks.downgrade_8bit ||
            c->hooks.downgrade_8bit(c->hooks.ctx, src, len, &seven) != 0) {
            buf_free(&seven);
            buf_free(&joined);
            smtp_reply_t r = smtp_reply_make(554, "5.6.3",
                                             "Conversion required but not "
                                             "supported: 8-bit message, server "
                                             "without 8BITMIME");
            fail_locally(c, &r);
            return false;
        }
        src = seven.data;
        len = seven.len;
    }
    buf_reset(&c->wire);
    /* A message whose lines need no change goes from m->data itself: the wire stays empty. */
    if (src == m->data && (m->dot_safe || line_dot_clean_prefix(src, len) == len))
        *size = len;
    else
        *size = line_dot_encode(src, len, &c->wire);
    buf_free(&seven);
    buf_free(&joined);
    return true;
}

/* RFC 1870 6: a client does not send what the server said it will refuse. */
static bool fits_server(smtp_client_t *c, uint64_t size)
{
    uint64_t max = c->info.max_size;
    if (!(c->info.extensions & SMTP_EXT_SIZE) || max == 0 || size <= max)
        return true;
    smtp_reply_t r = smtp_reply_make(552, "5.3.4",
                                     "Message of %llu octets exceeds the server's SIZE limit of "
                                     "%llu octets",
                                     (unsigned long long)size, (unsigned long long)max);
    fail_locally(c, &r);
    return false;
}

static void send_rcpt(smtp_client_t *c, buf_t *out)
{
    size_t i = c->head->order[c->rcpt_sent++];
    static const char head[] = "RCPT TO:<";
    smtp_client_send_parts(c, out, "RCPT", head, sizeof head - 1, c->head->recipients[i],
                           c->head->recipient_lens[i], ">", 1);
}

bool smtp_client_address_ok(const char *addr, bool is_sender)
{
    if (smtp_mailbox_plain(addr))
        return true;
    size_t len = strlen(addr);
    char path[SMTP_PATH_MAX + 3], mailbox[SMTP_PATH_MAX + 1];
    const char *rest, *why;
    if (len > SMTP_PATH_MAX || strpbrk(addr, "\r\n<>"))
        return false;
    path[0] = '<';
    memcpy(path + 1, addr, len);
    path[len + 1] = '>';
    path[len + 2] = '\0';
    return smtp_path_parse(path, is_sender, !is_sender, mailbox, &rest, &why) == SMTP_PATH_OK &&
           *rest == '\0';
}

/*
 * smtp_client_address_ok of addr[0..len), remembered in k for the next
 * message: the same octets were fit then and are now, without a parse. A
 * node sends as the same sender again and again, often to the same people.
 */
static bool address_ok_memo(client_addr_memo_t *k, const char *addr, size_t len, bool is_sender)
{
    if (len && len == k->len && memcmp(addr, k->addr, len) == 0)
        return true;
    if (!smtp_client_address_ok(addr, is_sender))
        return false;
    if (len <= SMTP_CLIENT_ADDR_KEEP) {
        memcpy(k->addr, addr, len);
        k->len = len;
    }
    return true;
}

/*
 * Addresses the node got wrong never reach the wire: they fail here, for
 * good. Lists the recipients left to send in m->order; false when none is.
 */
static bool check_addresses(smtp_client_t *c)
{
    client_msg_t *m = c->head;
    if (!address_ok_memo(&c->sender_ok, m->reverse_path, m->path_len, true)) {
        smtp_reply_t r = smtp_reply_make(553, "5.1.7", "Bad sender address syntax");
        fail_locally(c, &r);
        return false;
    }
    c->norder = 0;
    for (size_t i = 0; i < m->nrecipients; i++) {
        if (m->status[i] == CLIENT_RCPT_DONE) /* a later transaction of the message */
            continue;
        if (address_ok_memo(&c->rcpt_ok, m->recipients[i], m->recipient_lens[i], false)) {
            m->order[c->norder++] = (uint32_t)i;
            continue;
        }
        smtp_reply_t bad = smtp_reply_make(553, "5.1.3", "Bad recipient address syntax");
        smtp_client_report(c, m, i, &bad, false);
    }
    if (c->norder == 0) {
        smtp_client_message_done(c);
        return false;
    }
    return true;
}

/*
 * The path's '>' and MAIL's parameters (RFC 1870 SIZE, RFC 6152 BODY); params
 * holds 64. Returns their length.
 */
static size_t mail_params(char *params, bool with_size, uint64_t size, bool body_8bit)
{
    char *p = params;
    *p++ = '>';
    if (with_size) {
        char digits[24], *d = digits + sizeof digits;
        do {
            *--d = (char)('0' + size % 10);
            size /= 10;
        } while (size);
        memcpy(p, " SIZE=", 6);
        memcpy(p + 6, d, (size_t)(digits + sizeof digits - d));
        p += 6 + (digits + sizeof digits - d);
    }
    if (body_8bit) {
        memcpy(p, " BODY=8BITMIME", 14);
        p += 14;
    }
    *p = '\0';
    return (size_t)(p - params);
}

bool smtp_client_txn_start(smtp_client_t *c, buf_t *out)
{
    client_msg_t *m = c->head;
    bool body_8bit;
    uint64_t size;
    if (!check_addresses(c) || !prepare_body(c, &body_8bit, &size) || !fits_server(c, size))
        return false;
    char params[64];
    size_t params_len =
        mail_params(params, (c->info.extensions & SMTP_EXT_SIZE) != 0, size, body_8bit);
    c->pipelined = (c->info.extensions & SMTP_EXT_PIPELINING) != 0;
    c->mail_ok = c->discard = false;
    c->rcpt_sent = c->rcpt_replied = c->naccepted = 0;
    static const char head[] = "MAIL FROM:<";
    smtp_client_send_parts(c, out, "MAIL", head, sizeof head - 1, m->reverse_path, m->path_len,
                           params, params_len);
    smtp_client_set_state(c, SMTP_CLIENT_MAIL);
    /* RFC 2920 3.1: MAIL, every RCPT and DATA may go in one group. */
    if (c->pipelined) {
        while (c->rcpt_sent < c->norder)
            send_rcpt(c, out);
        smtp_client_send(c, out, "DATA", "DATA", NULL, NULL);
    }
    return true;
}

/* The transaction ended without a message: tell the node, clean up the server's side. */
static void transaction_failed(smtp_client_t *c, buf_t *out)
{
    smtp_client_message_done(c);
    if (c->mail_ok) {
        smtp_client_send(c, out, "RSET", "RSET", NULL, NULL);
        smtp_client_set_state(c, SMTP_CLIENT_RSET);
    } else {
        smtp_client_go_ready(c, out);
    }
}

static void on_mail(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    client_msg_t *m = c->head;
    c->mail_ok = smtp_reply_ok(r);
    if (!c->mail_ok) {
        for (size_t i = 0; i < m->nrecipients; i++)
            smtp_client_report(c, m, i, r, true);
        /* Pipelined: the RCPT and DATA replies are still to come. */
        if (!c->pipelined) {
            transaction_failed(c, out);
            return;
        }
    }
    smtp_client_set_state(c, SMTP_CLIENT_RCPT);
    if (!c->pipelined)
        send_rcpt(c, out);
}

/*
 * RFC 5321 4.5.3.1.10: 452 (4.5.3 where enhanced codes are given) after some
 * recipients were accepted says the server holds no more in this
 * transaction; the client sends the rest in another (4.5.3.1.8: "in
 * 100-recipient chunks"). With none accepted, 452 is only a deferral.
 */
static bool too_many_recipients(const smtp_client_t *c, const smtp_reply_t *r)
{
    return r->code == 452 && c->naccepted > 0 &&
           (r->enhanced[0] == '\0' || strcmp(r->enhanced, "4.5.3") == 0);
}

static void on_rcpt(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    client_msg_t *m = c->head;
    size_t i = m->order[c->rcpt_replied++];
    if (m->status[i] == CLIENT_RCPT_OPEN && smtp_reply_ok(r)) {
        m->status[i] = CLIENT_RCPT_ACCEPTED;
        c->naccepted++;
    } else if (m->status[i] == CLIENT_RCPT_OPEN && too_many_recipients(c, r)) {
        m->status[i] = CLIENT_RCPT_LATER;
    } else {
        smtp_client_report(c, m, i, r, true);
    }
    if (c->rcpt_replied < c->norder) {
        if (!c->pipelined)
            send_rcpt(c, out);
        return;
    }
    if (c->pipelined) {
        smtp_client_set_state(c, SMTP_CLIENT_DATA);
        return;
    }
    /* RFC 5321 3.3: DATA only with at least one recipient accepted. */
    if (c->naccepted == 0) {
        transaction_failed(c, out);
        return;
    }
    smtp_client_send(c, out, "DATA", "DATA", NULL, NULL);
    smtp_client_set_state(c, SMTP_CLIENT_DATA);
}

/*
 * The transaction's result for its accepted recipients. Those left for
 * another transaction get it too when report_later; else they are opened
 * for the next one. True when some were opened.
 */
static bool report_accepted(smtp_client_t *c, const smtp_reply_t *r, bool report_later)
{
    client_msg_t *m = c->head;
    bool reopened = false;
    for (size_t i = 0; i < m->nrecipients; i++) {
        if (m->status[i] == CLIENT_RCPT_ACCEPTED ||
            (report_later && m->status[i] == CLIENT_RCPT_LATER)) {
            smtp_client_report(c, m, i, r, true);
        } else if (m->status[i] == CLIENT_RCPT_LATER) {
            m->status[i] = CLIENT_RCPT_OPEN;
            reopened = true;
        }
    }
    return reopened;
}

/* Lends the body to the caller when it asked and nothing is ahead of it in out. */
static void send_body(smtp_client_t *c, buf_t *out)
{
    bool lend = c->lend_body && out->len == 0;
    if (c->wire.len > 0) {
        if (lend) {
            c->lead = c->wire.data;
            c->lead_len = c->wire.len;
        } else {
            buf_append(out, c->wire.data, c->wire.len);
        }
    } else { /* prepare_body found the message fit to send as it is */
        const client_msg_t *m = c->head;
        size_t dot = lend && m->dot_follows ? 3 : 0;
        if (lend) {
            /* in order, the first piece first; the dot goes with the last */
            c->lead = m->data;
            c->lead_len = m->len;
            if (m->tail_len) {
                c->lead_next = m->tail;
                c->lead_next_len = m->tail_len + dot;
            } else {
                c->lead_len += dot;
            }
            if (!c->lead_len) {
                c->lead = c->lead_next;
                c->lead_len = c->lead_next_len;
                c->lead_next = NULL;
                c->lead_next_len = 0;
            }
        } else {
            buf_append(out, m->data, m->len);
            buf_append(out, m->tail, m->tail_len);
        }
        if (!dot)
            buf_append(out, ".\r\n", 3);
    }
    if (c->hooks.on_line)
        c->hooks.on_line(c->hooks.ctx, LINE_CLIENT_TO_SERVER, NULL, 0, ".");
    smtp_client_set_state(c, SMTP_CLIENT_BODY);
}

static void on_data(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    if (r->code != 354) {
        /* The recipients left for another transaction would meet the same refusal. */
        report_accepted(c, r, true);
        transaction_failed(c, out);
        return;
    }
    if (c->naccepted > 0) {
        send_body(c, out);
        return;
    }
    /* RFC 2920 3.1: DATA accepted with no recipient: end it with a lone dot. */
    c->discard = true;
    buf_reset(&c->wire);
    buf_puts(&c->wire, ".\r\n");
    send_body(c, out);
}

static void on_body(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    /* The final reply ends the transaction, whatever it says (RFC 5321 4.1.1.4);
     * the same message goes again to the recipients the server had no room for. */
    if (c->discard || !report_accepted(c, r, false))
        smtp_client_message_done(c);
    smtp_client_go_ready(c, out);
}

static void on_rset(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    if (smtp_reply_ok(r)) {
        smtp_client_go_ready(c, out);
        return;
    }
    smtp_reply_t local = smtp_reply_make(451, "4.5.0", "RSET refused");
    smtp_client_fail(c, &local, false, "RSET refused", true, out);
}

void smtp_client_txn_reply(smtp_client_t *c, const smtp_reply_t *r, buf_t *out)
{
    switch (c->state) {
    case SMTP_CLIENT_MAIL:
        on_mail(c, r, out);
        return;
    case SMTP_CLIENT_RCPT:
        on_rcpt(c, r, out);
        return;
    case SMTP_CLIENT_DATA:
        on_data(c, r, out);
        return;
    case SMTP_CLIENT_BODY:
        on_body(c, r, out);
        return;
    case SMTP_CLIENT_RSET:
        on_rset(c, r, out);
        return;
    case SMTP_CLIENT_GREETING:
    case SMTP_CLIENT_EHLO:
    case SMTP_CLIENT_HELO:
    case SMTP_CLIENT_AUTH:
    case SMTP_CLIENT_READY:
    case SMTP_CLIENT_QUIT:
    case SMTP_CLIENT_DONE:
        panic("smtp_client_txn_reply: no transaction in state %s",
              smtp_client_state_name(c->state));
    }
}
