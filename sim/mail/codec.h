/*
 * codec: the content encodings of Internet mail. Base64 and quoted-printable
 * bodies (RFC 2045 6.7, 6.8), RFC 2047 encoded words for header text, and the
 * few charsets a message in this course carries (UTF-8, US-ASCII,
 * ISO-8859-1, ISO-8859-7 for Greek), all converted to UTF-8.
 *
 * Every function appends to a caller-owned buf_t and allocates nothing else;
 * the caller frees the buffer. Decoders never stop at bad input: they decode
 * what they can and say, by their return value, that something was wrong.
 */
#ifndef MAILSIM_MAIL_CODEC_H
#define MAILSIM_MAIL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* RFC 2045 6.8 and 6.7: encoded lines are at most 76 characters. */
#define CODEC_LINE_MAX 76
/* RFC 2047 2: an encoded word is at most 75 characters. */
#define CODEC_WORD_MAX 75

/*
 * Base64 (RFC 4648 4). With wrap, lines of 76 characters end in CRLF and so
 * does the last line (a MIME body); without, one unbroken string.
 */
void codec_base64_encode(const uint8_t *in, size_t len, bool wrap, buf_t *out);
/*
 * Skips whitespace and line ends anywhere. Returns 0 when the input was clean
 * base64, -1 when it held other characters, bad padding or a cut-off final
 * group; the bytes that could be decoded are appended either way.
 */
int codec_base64_decode(const uint8_t *in, size_t len, buf_t *out);

/*
 * Quoted-printable (RFC 2045 6.7). With text, a CRLF (or a bare LF) in the
 * input is a line break and stays one (CRLF) in the output; without, every
 * CR and LF is encoded as =0D and =0A (binary data). Lines are at most 76
 * characters with "=" soft breaks; a space or tab before a line break is
 * encoded, and so is "=", every 8-bit octet and every control character.
 */
void codec_qp_encode(const uint8_t *in, size_t len, bool text, buf_t *out);
/*
 * Soft line breaks ("=" at a line end, trailing whitespace allowed) vanish,
 * "=XX" becomes its octet (either case of hex), line ends are kept as CRLF and
 * whitespace before a line end is dropped (RFC 2045 6.7 rule 3). Returns 0, or
 * -1 when an "=" was followed by something that is not hex or a line end;
 * such an "=" is kept literally, as the RFC recommends.
 */
int codec_qp_decode(const uint8_t *in, size_t len, buf_t *out);

/*
 * RFC 2047 encoded words. codec_words_encode writes UTF-8 text as
 * "=?UTF-8?B?...?=" words (or Q when the text is mostly ASCII), each at most
 * 75 characters and never splitting a UTF-8 character, separated by a single
 * space (a header folder breaks the line there). first_line_room is how many
 * characters the first word may take on its line (e.g. 78 - strlen("Subject: "));
 * 0 means the default of 75. Pure printable ASCII text with no "=?" in it is
 * copied unchanged.
 */
void codec_words_encode(const char *utf8, size_t len, size_t first_line_room, buf_t *out);
/* True when text must be encoded to go in a header: 8-bit, controls, or "=?". */
bool codec_words_needed(const char *text, size_t len);
/*
 * Decodes the encoded words in header text to UTF-8 (RFC 2047 6). Whitespace
 * between two adjacent encoded words is dropped; text outside words is copied
 * (bytes as they are). A malformed word is kept literally. Returns 0, or -1
 * when some word was malformed or its payload bad.
 */
int codec_words_decode(const char *in, size_t len, buf_t *out);

/* The charsets codec_charset_to_utf8 converts. */
typedef enum codec_charset {
    CODEC_CHARSET_UTF8,
    CODEC_CHARSET_ASCII,
    CODEC_CHARSET_LATIN1,
    CODEC_CHARSET_GREEK,
    CODEC_CHARSET_UNKNOWN,
} codec_charset_t;

/* Names and aliases, case-insensitive ("utf-8", "iso-8859-7", "greek", ...). */
codec_charset_t codec_charset_lookup(const char *name, size_t len);
/*
 * Converts text in a charset to UTF-8. UTF-8 and US-ASCII and unknown
 * charsets pass through as they are. Returns 0, or 1 when the charset is
 * unknown (the bytes were copied unchanged).
 */
int codec_charset_to_utf8(codec_charset_t charset, const uint8_t *in, size_t len, buf_t *out);
/* The number of bytes of the UTF-8 sequence that starts with lead (1 for a stray byte). */
size_t codec_utf8_seq_len(uint8_t lead);

#endif
