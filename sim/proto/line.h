/*
 * line: the one line layer that the text protocols share (SMTP now, POP3 and
 * IMAP later), after libcurl's pingpong.c. It frames a byte stream into lines,
 * enforces a maximum line length without buffering an over-long line without
 * bound, can switch to reading exactly N bytes (IMAP literals, RFC 9051 4.3),
 * and holds the helpers for dot-terminated blocks (SMTP DATA, POP3 RETR):
 * collecting one with dot-unstuffing, and encoding one with dot-stuffing.
 *
 * The reader never owns the input: line_reader_take() looks at the caller's
 * bytes, says how many it used, and copies only the start of the current line
 * (at most max_len octets) into its own buffer.
 */
#ifndef MAILSIM_PROTO_LINE_H
#define MAILSIM_PROTO_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Which way a protocol line travels; the engines' tracing hooks use it. */
typedef enum line_dir {
    LINE_CLIENT_TO_SERVER,
    LINE_SERVER_TO_CLIENT,
} line_dir_t;

typedef enum line_kind {
    LINE_NONE,     /* no complete unit yet: every input byte was used */
    LINE_TEXT,     /* one line, its terminator removed */
    LINE_TOO_LONG, /* the end of a line over the limit; text holds its start */
    LINE_BYTES,    /* raw bytes of an exact-count read */
} line_kind_t;

/* One unit out of the reader. Valid until the next call on the reader. */
typedef struct line {
    line_kind_t kind;
    /*
     * TEXT and TOO_LONG: a NUL-terminated copy owned by the reader (a line may
     * hold a NUL of its own; len is the truth). BYTES: points into the
     * caller's input, not NUL-terminated.
     */
    const char *text;
    size_t len;
    size_t full_len; /* TOO_LONG: the octets the line really had, terminator excluded */
    bool bare_lf;    /* TEXT/TOO_LONG: ended with LF alone rather than CRLF */
    bool last;       /* BYTES: the exact-count read is complete */
} line_t;

typedef struct line_reader {
    size_t max_len;      /* the longest line accepted, CRLF included */
    buf_t partial;       /* the start of the line being read (bounded by max_len) */
    size_t overflow;     /* octets of the current line dropped past the limit */
    bool last_cr;        /* the last octet of the current line was CR */
    bool delivered;      /* partial holds the line last handed out */
    uint64_t exact_left; /* > 0: reading that many raw bytes before lines again */
} line_reader_t;

/* max_len counts the terminator, as RFC 5321 4.5.3.1 does; it must be >= 3. */
void line_reader_init(line_reader_t *lr, size_t max_len);
void line_reader_free(line_reader_t *lr);
/* Changes the limit for the lines that follow (e.g. 512 for commands, 1000 in DATA). */
void line_reader_set_max(line_reader_t *lr, size_t max_len);
/* Forgets a partly read line and any exact-count read. */
void line_reader_reset(line_reader_t *lr);
/* True when part of a line (or of an exact-count read) is waiting for more bytes. */
bool line_reader_pending(const line_reader_t *lr);

/*
 * Reads the next unit out of in[0..len) and returns how many bytes it used.
 * out->kind is LINE_NONE when every byte was used and no line ended; call
 * again with the rest of the input after every other kind. Lines end at LF;
 * a CR just before the LF is removed (bare_lf tells which it was).
 */
size_t line_reader_take(line_reader_t *lr, const uint8_t *in, size_t len, line_t *out);

/*
 * Switches to reading exactly n raw bytes, delivered as LINE_BYTES pieces
 * (last set on the final one); lines resume after them. Only between lines:
 * calling it with part of a line pending is a bug. n == 0 does nothing.
 */
void line_reader_expect_bytes(line_reader_t *lr, uint64_t n);

/*
 * A dot-terminated block being received (RFC 5321 4.5.2, RFC 1939 3): lines
 * are added one at a time, leading dots are removed, and the text is kept with
 * CRLF line ends up to max_size octets; past it octets are counted, not kept.
 */
typedef struct line_dotblock {
    buf_t data;        /* the unstuffed text kept so far (unless in room); the block owns it */
    uint8_t *room;     /* lent by line_dotblock_lend: the text while it fits; else NULL */
    size_t room_cap, room_len;
    uint64_t max_size; /* 0: no limit */
    uint64_t size;     /* unstuffed octets seen, kept or not */
    bool too_big;      /* size went past max_size */
    bool long_line;    /* a line was over the reader's limit */
} line_dotblock_t;

/* What line_dotblock_reset keeps of the block's memory for the next block. */
#define LINE_DOTBLOCK_KEEP (64 * 1024)

void line_dotblock_init(line_dotblock_t *b, uint64_t max_size);
void line_dotblock_free(line_dotblock_t *b);
/* Empties the block for the next one, keeping its memory up to LINE_DOTBLOCK_KEEP. */
void line_dotblock_reset(line_dotblock_t *b, uint64_t max_size);
/*
 * Lends room[0..cap) for the text of this block (until the next reset): it
 * is kept there, so that it is written once where its reader wants it, for
 * as long as it fits; past cap it moves to the block's own buffer. Call
 * before anything is added.
 */
void line_dotblock_lend(line_dotblock_t *b, uint8_t *room, size_t cap);
/* The text kept so far and its length: in the lent room, or in the block's buffer. */
const uint8_t *line_dotblock_text(const line_dotblock_t *b, size_t *len);
/* Returns true when ln is the terminating "." line (which is not added). */
bool line_dotblock_add(line_dotblock_t *b, const line_t *ln);
/*
 * The bulk form of line_reader_take and line_dotblock_add: adds the whole
 * lines at the start of in[0..len) to the block, exactly as taking and adding
 * them one at a time would, and returns how many bytes it used. It stops
 * after the terminating "." line (setting *done), before a line over the
 * reader's limit or without its LF yet (for line_reader_take to read). While
 * the reader holds the start of a line, it finishes that line itself when the
 * line is a plain one (the reader then holds nothing), and else returns 0 at
 * once, for line_reader_take.
 */
size_t line_dotblock_take(line_dotblock_t *b, line_reader_t *lr, const uint8_t *in, size_t len,
                          bool *done);
/*
 * Which scan line_dotblock_take uses to find line ends: on < 0, the widest
 * this CPU has (what it uses unless told); 0, the 16-octet one; > 0, the
 * 32-octet one where the CPU has it. Returns whether the 32-octet one is in
 * use. Both give the same results: tests run each.
 */
bool line_wide_scan(int on);

/*
 * Appends in[0..len) to out as a dot-terminated block: every line end becomes
 * CRLF (a lone LF or CR too), a last line without one gets one, each line
 * that starts with "." gets a second one, and ".\r\n" closes the block.
 * Returns the size of the text with CRLF line ends, before stuffing and
 * without the terminator (what RFC 1870 SIZE declares).
 */
uint64_t line_dot_encode(const uint8_t *in, size_t len, buf_t *out);
/*
 * How many octets at the start of in go into such a block unchanged: whole
 * lines that end in CRLF, hold no other CR and do not start with a dot. When
 * that is all of in, the block is in and ".\r\n", and its size is len.
 */
size_t line_dot_clean_prefix(const uint8_t *in, size_t len);

#endif
