/*
 * smtp_reply: SMTP replies as values: a three-digit code (RFC 5321 4.2), an
 * optional enhanced status code (RFC 3463, carried as RFC 2034 says) and a
 * text that may span lines. Formatting a reply for the wire, and assembling
 * one from the lines a client reads, multi-line replies included.
 *
 * A reply is a plain value with no pointers: hooks return one by value and
 * nobody frees anything.
 */
#ifndef MAILSIM_PROTO_SMTP_REPLY_H
#define MAILSIM_PROTO_SMTP_REPLY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/util.h"
#include "proto/line.h"

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets; a text here may hold several. */
#define SMTP_REPLY_TEXT_MAX 1024
#define SMTP_ENHANCED_MAX 16

typedef struct smtp_reply {
    int code;                         /* 200..599 (0: no reply) */
    char enhanced[SMTP_ENHANCED_MAX]; /* "5.1.1", or "" */
    char text[SMTP_REPLY_TEXT_MAX];   /* lines separated by '\n', no CRLF */
} smtp_reply_t;

/*
 * The tracing hook both engines call for every line they send or read:
 * commands carry their verb upper-cased (NULL for a line that is not a
 * command, such as an AUTH response or the "." that ends DATA) and code 0;
 * replies carry their code and a NULL verb. line has no CRLF.
 */
typedef void (*smtp_line_fn)(void *ctx, line_dir_t dir, const char *verb, int code,
                             const char *line);

/* A reply built from a format; the text is cut at SMTP_REPLY_TEXT_MAX - 1 octets. */
smtp_reply_t smtp_reply_make(int code, const char *enhanced, const char *fmt, ...) MS_PRINTF(3, 4);
smtp_reply_t smtp_reply_vmake(int code, const char *enhanced, const char *fmt, va_list ap)
    MS_PRINTF(3, 0);
/* The same, built in *r: a reply returned by value is a 1 KB copy, this is none. */
void smtp_reply_set(smtp_reply_t *r, int code, const char *enhanced, const char *fmt, ...)
    MS_PRINTF(4, 5);
void smtp_reply_vset(smtp_reply_t *r, int code, const char *enhanced, const char *fmt, va_list ap)
    MS_PRINTF(4, 0);
/*
 * vsnprintf, fast for the conversions reply texts use (%s %d %u %llu %zu %%)
 * and the same bytes for any format: others go to vsnprintf itself.
 */
size_t smtp_reply_vformat(char *dst, size_t size, const char *fmt, va_list ap) MS_PRINTF(3, 0);
/* A reply whose text needs no formatting: the same as smtp_reply_set(r, code, enhanced, "%s", text). */
void smtp_reply_set_text(smtp_reply_t *r, int code, const char *enhanced, const char *text);
/* 2, 4 or 5: success, transient, permanent (RFC 5321 4.2.1); 3 for intermediate. */
static inline int smtp_reply_class(const smtp_reply_t *r)
{
    return r->code / 100;
}
static inline bool smtp_reply_ok(const smtp_reply_t *r)
{
    return r->code >= 200 && r->code < 300;
}
/* The enhanced code to use: r->enhanced, or "X.0.0" of the reply's class. */
const char *smtp_reply_enhanced_or_default(const smtp_reply_t *r, char *buf, size_t n);

/*
 * Appends the reply to out, one "CODE-text" line per line of the text and
 * "CODE text" for the last, each ending in CRLF. With enhanced, lines of a 2xx,
 * 4xx or 5xx reply start with the enhanced code (RFC 2034 3). on_line, when not
 * NULL, sees each line as sent.
 */
void smtp_reply_format(const smtp_reply_t *r, bool enhanced, buf_t *out, smtp_line_fn on_line,
                       void *ctx);

/*
 * One line of a reply: "CODE-" (more lines to come) or "CODE " (last), the
 * enhanced code enh[0..elen) and a space when elen, text[0..len) with each CR
 * made a space, CRLF. on_line, when not NULL, sees it as sent.
 */
void smtp_reply_write_line(int code, const char *enh, size_t elen, bool last, const char *text,
                          size_t len, buf_t *out, smtp_line_fn on_line, void *ctx);

/*
 * smtp_reply_format for a reply that is not an smtp_reply_t: code, its
 * enhanced code ("" or NULL: "X.0.0" of the code's class, when enhanced) and
 * text[0..len), '\n' between lines.
 */
void smtp_reply_format_text(int code, const char *enhanced_code, bool enhanced, const char *text,
                            size_t len, buf_t *out, smtp_line_fn on_line, void *ctx);

/*
 * The same for a reply that is not an smtp_reply_t: code, enhanced code
 * (NULL or "" for none, used as given) and text[0..len), '\n' between lines.
 */
void smtp_reply_write(int code, const char *enhanced, const char *text, size_t len, buf_t *out,
                      smtp_line_fn on_line, void *ctx);

/*
 * Reading replies: lines go in one at a time; a reply is done at its last
 * line ("CODE text" or a bare "CODE"). The enhanced code is taken from the
 * first line when it has one of the reply's class; the text keeps the lines.
 */
typedef enum smtp_reply_asm_status {
    SMTP_ASM_MORE, /* a continuation line: more to come */
    SMTP_ASM_DONE, /* out is a whole reply */
    SMTP_ASM_BAD,  /* not a reply line, or a code that changed mid-reply */
} smtp_reply_asm_status_t;

typedef struct smtp_reply_asm {
    bool started;        /* in the middle of a reply */
    size_t lines;        /* lines added to the reply so far */
    size_t text_len;     /* strlen(reply.text) */
    size_t enhanced_len; /* strlen(reply.enhanced) */
    /* Last, so that a short reply and the counts above share their first cache line. */
    smtp_reply_t reply; /* the reply being read; after DONE, the whole one until the next line */
} smtp_reply_asm_t;

void smtp_reply_asm_init(smtp_reply_asm_t *a);
/*
 * Adds one line (no CRLF). On DONE, a->reply holds the reply, valid until the
 * next line goes in; nothing is copied.
 */
smtp_reply_asm_status_t smtp_reply_asm_add(smtp_reply_asm_t *a, const char *line, size_t len);
/* The same for a line the caller has parsed already (smtp_reply_parse_line): text[0..tlen). */
smtp_reply_asm_status_t smtp_reply_asm_add_parsed(smtp_reply_asm_t *a, int code, bool more,
                                                  const char *text, size_t tlen);
/* The same, but on DONE *out gets a copy of the reply and the assembler starts over. */
smtp_reply_asm_status_t smtp_reply_asm_line(smtp_reply_asm_t *a, const char *line, size_t len,
                                            smtp_reply_t *out);
/* Parses "CODE[-| ]text" into code, continuation flag and text start; false if malformed. */
bool smtp_reply_parse_line(const char *line, size_t len, int *code, bool *more, const char **text);

#endif
