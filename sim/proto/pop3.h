/*
 * pop3: what the POP3 server and client engines share (RFC 1939, with CAPA
 * and response codes from RFC 2449 and RFC 3206): the line limits, the
 * tracing hook, reading a "+OK"/"-ERR" status line, message numbers, and the
 * APOP digest.
 */
#ifndef MAILSIM_PROTO_POP3_H
#define MAILSIM_PROTO_POP3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/line.h"
#include "proto/md5.h"

/* RFC 2449 4: a command line is at most 255 octets, CRLF included. */
#define POP3_COMMAND_LINE_MAX 255
/* RFC 1939 3 and RFC 2449 4: a status line is at most 512 octets, CRLF included. */
#define POP3_RESPONSE_LINE_MAX 512
/* RFC 1939 7: a unique-id is 1 to 70 characters in 0x21..0x7E. */
#define POP3_UIDL_MAX 70
/* RFC 1939 7: the APOP timestamp is a msg-id, "<process-ID.clock@hostname>". */
#define POP3_TIMESTAMP_MAX 200

/*
 * The tracing hook both engines call for every line they send or read,
 * without CRLF. Commands carry their verb upper-cased and status NULL (a PASS
 * line shows the password: it travels in clear, RFC 1939 13). Status lines
 * carry "+OK" or "-ERR" and verb NULL. The other lines of a multi-line
 * response carry neither: every line of a listing (CAPA, LIST, UIDL), but of
 * a message (RETR, TOP) only the closing ".", as SMTP traces DATA.
 */
typedef void (*pop3_line_fn)(void *ctx, line_dir_t dir, const char *verb, const char *status,
                             const char *line);

typedef enum pop3_status {
    POP3_STATUS_BAD, /* neither "+OK" nor "-ERR": not a POP3 status line */
    POP3_STATUS_OK,
    POP3_STATUS_ERR,
} pop3_status_t;

/*
 * Reads a status line (no CRLF): "+OK" or "-ERR", alone or followed by a
 * space and a text. *text (may be NULL) gets the text after the space, or "".
 * Status indicators are upper case (RFC 1939 3).
 */
pop3_status_t pop3_status_parse(const char *line, const char **text);

/*
 * True when a response text starts with the response code [code] (RFC 2449
 * 8), compared case-insensitively: pop3_has_resp_code("[IN-USE] busy",
 * "IN-USE"). A hierarchical code matches its parent: "[SYS/TEMP]" has "SYS".
 */
bool pop3_has_resp_code(const char *text, const char *code);

/*
 * A message number or a line count: 1 to 10 decimal digits and nothing else,
 * at most UINT32_MAX. False otherwise (a sign, a space, a letter, too big).
 */
bool pop3_parse_number(const char *s, size_t len, uint32_t *out);

/*
 * RFC 1939 7: the APOP digest, MD5 of the greeting's timestamp (angle
 * brackets included) followed by the shared secret, in lower-case hex.
 */
void pop3_apop_digest(const char *timestamp, const char *secret, char out[MD5_HEX_SIZE]);

/*
 * The timestamp of a greeting's text: the first "<...>" holding an "@" and
 * no space, brackets included, copied into out (n octets). False when there
 * is none (then the server does not offer APOP) or it does not fit.
 */
bool pop3_greeting_timestamp(const char *text, char *out, size_t n);

/*
 * A timestamp for a server's greeting (RFC 1939 7: "<process-ID.clock@
 * hostname>"): the node gives two numbers that change from one session to
 * the next (a session number and the virtual time, say) since no engine
 * reads a clock. Writes at most n octets of "<a.b@host>".
 */
void pop3_timestamp_format(char *out, size_t n, uint64_t a, uint64_t b, const char *host);

#endif
