/*
 * eightbit: is a message 7-bit clean, and making it so. Classic SMTP carries
 * only 7-bit US-ASCII (RFC 5321 2.4); a server that accepted 8-bit text
 * (8BITMIME, RFC 6152) and must relay it to a next hop without 8BITMIME
 * converts each 8-bit body to quoted-printable (text) or base64 (anything
 * else) and fixes its Content-Transfer-Encoding (RFC 6152 3, RFC 2045 6).
 */
#ifndef MAILSIM_MAIL_EIGHTBIT_H
#define MAILSIM_MAIL_EIGHTBIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* True when no octet has its high bit set. */
bool eightbit_is_7bit(const uint8_t *data, size_t len);
/* Where the first octet over 127 is, or len when there is none. */
size_t eightbit_first_8bit(const uint8_t *data, size_t len);
/*
 * True when every octet is 1..127: 7-bit with no NUL, the text a 7bit part
 * may carry (RFC 2045 2.7). One pass instead of two.
 */
bool eightbit_is_ascii_text(const uint8_t *data, size_t len);

typedef struct eightbit_result {
    size_t parts_converted; /* bodies re-encoded */
    size_t fields_encoded;  /* header fields made 7-bit with RFC 2047 words */
    bool clean;             /* the output is 7-bit (false: 8-bit left where it cannot be fixed) */
} eightbit_result_t;

/*
 * Writes into out a copy of the message (data, len) in which every body that
 * holds 8-bit octets is re-encoded: text parts as quoted-printable, others as
 * base64, each with Content-Transfer-Encoding set to match; multiparts and
 * message/rfc822 parts labelled 8bit or binary are relabelled 7bit. Header
 * fields with raw UTF-8 (RFC 6532) become RFC 2047 words where the field is
 * free text (Subject, Comments, Content-Description, X-*) or an address list
 * (display names). Decoding a converted part gives back its original octets
 * exactly. Everything else is copied byte for byte; a message that is
 * already 7-bit comes out unchanged.
 */
eightbit_result_t eightbit_downgrade(const uint8_t *data, size_t len, buf_t *out);

#endif
