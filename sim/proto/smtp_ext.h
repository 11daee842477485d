/*
 * smtp_ext: the SMTP service extensions mailsim knows (RFC 5321 2.2), as a
 * bitmask a server offers and a client learns from the EHLO reply: their
 * keywords, and the parsing of EHLO keyword lines.
 */
#ifndef MAILSIM_PROTO_SMTP_EXT_H
#define MAILSIM_PROTO_SMTP_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum smtp_ext {
    SMTP_EXT_PIPELINING = 1u << 0,          /* RFC 2920 */
    SMTP_EXT_SIZE = 1u << 1,                /* RFC 1870 */
    SMTP_EXT_8BITMIME = 1u << 2,            /* RFC 6152 */
    SMTP_EXT_ENHANCEDSTATUSCODES = 1u << 3, /* RFC 2034, RFC 3463 */
    SMTP_EXT_AUTH = 1u << 4,                /* RFC 4954 */
} smtp_ext_t;

#define SMTP_EXT_COUNT 5
/* What a relay (port 25) offers unless configured otherwise. */
#define SMTP_EXT_DEFAULT                                                                           \
    (SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_ENHANCEDSTATUSCODES)

/* SASL mechanisms, as a bitmask (RFC 4616 PLAIN; LOGIN is a common non-standard one). */
typedef enum smtp_auth_mech {
    SMTP_AUTH_PLAIN = 1u << 0,
    SMTP_AUTH_LOGIN = 1u << 1,
} smtp_auth_mech_t;

/* The EHLO keyword of one extension bit ("PIPELINING"), or NULL. */
const char *smtp_ext_name(unsigned ext);
/* The bit of a keyword, case-insensitive; 0 when mailsim does not know it. */
unsigned smtp_ext_from_name(const char *name);

/* What a client learned from an EHLO reply. */
typedef struct smtp_ehlo_info {
    unsigned extensions; /* SMTP_EXT_* */
    uint64_t max_size;   /* SIZE n; 0 when absent or no fixed limit (RFC 1870 4) */
    unsigned auth_mechs; /* SMTP_AUTH_* listed after AUTH */
} smtp_ehlo_info_t;

/*
 * Reads one keyword line of an EHLO reply (a line after the first, as text
 * without code): "SIZE 10000000", "AUTH PLAIN LOGIN". Unknown keywords are
 * ignored, as RFC 5321 4.1.1.1 wants.
 */
void smtp_ehlo_parse_keyword(smtp_ehlo_info_t *info, const char *line);

#endif
