/*
 * message: an Internet message as RFC 5322 defines it, a header and a body,
 * built from what a user agent knows (sender, recipients, subject, text,
 * attachments) and stamped on its way by the servers it crosses (RFC 5321
 * 4.4: a Received field at every hop, Return-Path at final delivery).
 *
 * Time is the simulation's virtual time. Virtual time 0 is the fixed epoch
 * Mon, 07 Sep 2026 09:00:00 +0000 (MESSAGE_EPOCH_UNIX), so a run's Date
 * fields are the same on every machine and every run. Message-IDs and MIME
 * boundaries are made from a counter and a seed that the caller supplies.
 *
 * To read a message, parse it with mime_parse (mime.h): the root part's
 * header is the message header.
 */
#ifndef MAILSIM_MAIL_MESSAGE_H
#define MAILSIM_MAIL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/shared.h"
#include "core/time.h"
#include "mail/mime.h"

/* Unix time of virtual time 0: Mon, 07 Sep 2026 09:00:00 +0000. */
#define MESSAGE_EPOCH_UNIX INT64_C(1788771600)
/* Room for any date this module writes, with its NUL. */
#define MESSAGE_DATE_MAX 40

/*
 * RFC 5322 3.3 date-time for virtual time t (seconds dropped below one), in a
 * zone tz_minutes east of UTC: "Mon, 07 Sep 2026 12:00:00 +0300" for t = 0
 * and tz_minutes = 180. out needs MESSAGE_DATE_MAX bytes. Returns out.
 */
char *message_date_format(sim_time_t t, int tz_minutes, char *out, size_t size);
/*
 * A date kept between calls by one that writes many in the same second: the
 * last second and zone formatted, and their text. Zero is empty.
 */
typedef struct message_date_memo {
    bool valid;
    int64_t second; /* virtual seconds, rounded down */
    int tz_minutes;
    size_t len;
    char text[MESSAGE_DATE_MAX];
} message_date_memo_t;

/*
 * message_date_format of t and tz_minutes, formatted again only when the
 * second or the zone differs from memo's. Returns memo's text; *len gets its
 * length.
 */
const char *message_date_memo_format(message_date_memo_t *memo, sim_time_t t, int tz_minutes,
                                     size_t *len);
/* The same instant as an mbox "From " line writes it: "Mon Sep  7 09:00:00 2026" (UTC). */
char *message_date_format_ctime(sim_time_t t, char *out, size_t size);
/*
 * Reads an RFC 5322 date-time (day name optional, seconds optional, numeric
 * or obsolete named zones, two-digit years) into virtual time. Returns 0, or
 * -1 when text is not a date.
 */
int message_date_parse(const char *text, sim_time_t *out);

/* "<COUNTER.SEED@HOST>" with SEED in hex: the same pieces give the same ID. Returns out. */
char *message_id_make(uint64_t counter, uint64_t seed, const char *host, char *out, size_t size);

typedef struct message_field {
    const char *name;
    const char *value; /* UTF-8; written as RFC 2047 words when not ASCII */
} message_field_t;

/*
 * A field kept between builds by a sender that writes many messages with the
 * same value in it (a user agent's From and To, a world's Subject): the bytes as message_build wrote
 * them, written again only when the value changes. The caller owns it; zero
 * is empty; message_field_memo_free releases it.
 */
typedef struct message_field_memo {
    char *value; /* what field was written from; NULL: nothing kept yet */
    buf_t field; /* "From: ...\r\n" */
    int rc;      /* what writing it gave: 0, or -1 when the value was not read cleanly */
} message_field_memo_t;

void message_field_memo_free(message_field_memo_t *memo);

/*
 * A text entity as a build wrote it ("Content-Type: text/plain; ...\r\n\r\n"
 * and the CRLF lines), in a block of its own that never changes once made
 * and is shared, not copied: the text memo holds a reference, and so does
 * every message built in pieces (message_build_pieces) until it is sent.
 * The last holder to let go frees it. With many messages in flight, their
 * one shared copy of the body stays in cache where a copy each would not.
 */
typedef struct message_text {
    shared_t shared;    /* holders; the block goes when the last lets go. TCP
                           holds it too while the text waits in a send queue
                           or travels (tcp_send_lent) */
    size_t len;         /* octets of the entity in data */
    mime_shape_t shape; /* what the build knew of it */
    /* the entity, then ".\r\n" (SMTP's final dot, so that it goes with it
     * in one piece: smtp_client_message_t.dot_follows) and a NUL */
    uint8_t data[];
} message_text_t;

/* Another reference to t; returns t. */
message_text_t *message_text_hold(message_text_t *t);
/* Lets go of one reference to t (NULL: nothing); the last frees it. */
void message_text_release(message_text_t *t);

/*
 * A plain text part kept between builds by a sender that sends the same text
 * again and again: the entity (its Content-* fields and CRLF lines) the last
 * build wrote, with a copy of the text it was written from. A build whose
 * text has the same bytes (compared, never recognised by its address) and the
 * same allow_8bit appends the kept entity instead of converting the text
 * again; any other text is written anew and kept in its place (in a new
 * block: messages that hold the old one keep it as it was). Texts over
 * MESSAGE_TEXT_MEMO_MAX octets are not kept. The caller owns it; zero is
 * empty; message_text_memo_free releases it.
 */
#define MESSAGE_TEXT_MEMO_MAX (64 * 1024)

typedef struct message_text_memo {
    char *text; /* what entity was written from, with its NUL; NULL: nothing kept */
    size_t text_len, text_cap;
    bool allow_8bit;
    message_text_t *entity; /* the memo's reference; NULL when text is */
} message_text_memo_t;

void message_text_memo_free(message_text_memo_t *memo);

typedef struct message_spec {
    const char *from;      /* "Alice <alice@alice.example>" or a bare address */
    const char *const *to; /* each an address or an address list */
    size_t to_count;
    const char *const *cc;
    size_t cc_count;
    const char *reply_to; /* NULL for none */
    const char *subject;  /* UTF-8; NULL for none */
    const char *text;     /* the body text, UTF-8; NULL means empty */
    const char *html;     /* with text, makes multipart/alternative; NULL for none */
    const mime_attachment_t *attachments;
    size_t attachment_count;
    const message_field_t *fields; /* more header fields, written after the usual ones */
    size_t field_count;
    sim_time_t date;        /* virtual time of the Date field */
    int tz_minutes;         /* the sender's zone, minutes east of UTC */
    const char *message_id; /* "<...>"; NULL makes one from counter, seed and host */
    uint64_t counter;       /* also numbers the MIME boundaries */
    uint64_t seed;
    const char *host; /* the domain in a made Message-ID ("localhost" if NULL) */
    bool allow_8bit;  /* 8bit text bodies; else quoted-printable for non-ASCII */
    /* NULL, or the From field kept from the sender's last build (written again if from differs) */
    message_field_memo_t *from_memo;
    /* NULL, or the To field of a single value kept from the sender's last build */
    message_field_memo_t *to_memo;
    /* NULL, or the Subject field kept from the last build (written again if subject differs) */
    message_field_memo_t *subject_memo;
    /* NULL, or the text part kept from the last plain-text build (no html, no attachment) */
    message_text_memo_t *text_memo;
    /* NULL, or the Date kept from the sender's last build, formatted again if the second differs */
    message_date_memo_t *date_memo;
} message_spec_t;

/*
 * Writes the whole message, CRLF line ends: Date, From, To, Cc, Reply-To,
 * Subject, Message-ID, the extra fields, MIME-Version, then a single text
 * part, a multipart/alternative (text and html), or a multipart/mixed with
 * the text first and the attachments (base64) after. Bcc is not written
 * (RFC 5322 3.6.3). Returns 0, or -1 when an address could not be read
 * cleanly (the message is written all the same, with what was read).
 */
int message_build(const message_spec_t *spec, buf_t *out);
/*
 * message_build, telling in *shape what it knows of the bytes it appended
 * (a plain text message is known; one with html or attachments is not).
 */
int message_build_shaped(const message_spec_t *spec, buf_t *out, mime_shape_t *shape);
/*
 * message_build_shaped in two pieces when spec's text memo serves the body
 * (a text alone, no html, no attachment, at most MESSAGE_TEXT_MEMO_MAX
 * octets): the header to out and, in *text, a reference to the memo's
 * entity, which follows it; out's bytes then (*text)->data are what
 * message_build_shaped appends, and *shape is about both. Otherwise the
 * whole message goes to out and *text is NULL. The caller lets go of *text
 * with message_text_release.
 */
int message_build_pieces(const message_spec_t *spec, buf_t *out, message_text_t **text,
                         mime_shape_t *shape);

/* One hop's trace information (RFC 5321 4.4). */
typedef struct message_received {
    const char *helo;        /* what the client said in HELO or EHLO */
    const char *client_host; /* the client's name, or NULL when unknown */
    const char *client_addr; /* "192.0.2.10" */
    const char *by_host;     /* the receiving server */
    const char *protocol;    /* "ESMTP", "ESMTPSA" (authenticated), "SMTP"... */
    const char *id;          /* the receiving server's queue id, or NULL */
    const char *for_rcpt;    /* the one recipient, or NULL when there were several */
    sim_time_t time;
    int tz_minutes;
    /* message_date_format of time and tz_minutes when the caller has it already, or NULL. */
    const char *date;
} message_received_t;

/*
 * The Received field's value: "from HELO (HOST [ADDR]) by HOST with ESMTP id
 * ID for <RCPT>; DATE". Appends to out.
 */
void message_received_value(const message_received_t *r, buf_t *out);
/* Puts a Received field, folded, in front of the message in message. */
void message_prepend_received(buf_t *message, const message_received_t *r);
/* Appends that Received field, CRLF included, to out (to put in front of a message). */
void message_write_received(const message_received_t *r, buf_t *out);
/* Puts "Return-Path: <reverse_path>" in front ("<>" for the null sender of a bounce). */
void message_prepend_return_path(buf_t *message, const char *reverse_path);
/* Puts any field, folded, in front of the message. */
void message_prepend_field(buf_t *message, const char *name, const char *value);

#endif
