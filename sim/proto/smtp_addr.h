/*
 * smtp_addr: the argument syntax of MAIL and RCPT (RFC 5321 4.1.2): a path in
 * angle brackets with its optional source route, the mailbox inside it, and
 * the ESMTP parameters after it ("SIZE=1000 BODY=8BITMIME").
 */
#ifndef MAILSIM_PROTO_SMTP_ADDR_H
#define MAILSIM_PROTO_SMTP_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 4.5.3.1.1-3: local part 64, domain 255, path 256 octets. */
#define SMTP_LOCAL_MAX 64
#define SMTP_DOMAIN_MAX 255
#define SMTP_PATH_MAX 256

typedef enum smtp_path_status {
    SMTP_PATH_OK,
    SMTP_PATH_SYNTAX,   /* not "<mailbox>" */
    SMTP_PATH_TOO_LONG, /* past one of the limits above */
} smtp_path_status_t;

/*
 * Parses a path starting at s ("<alice@example.org>", "<>", "<@a,@b:x@c>").
 * On success addr (of SMTP_PATH_MAX + 1 octets) holds the mailbox without
 * brackets or route ("" for "<>"), and *rest points just past '>'. On failure
 * *why says what is wrong. allow_postmaster lets a bare "<Postmaster>"
 * through (RFC 5321 4.5.1, for RCPT); allow_null lets "<>" through (MAIL).
 */
smtp_path_status_t smtp_path_parse(const char *s, bool allow_null, bool allow_postmaster,
                                   char *addr, const char **rest, const char **why);
/* smtp_path_parse, also giving strlen(addr) in *addr_len (0 on failure). */
smtp_path_status_t smtp_path_parse_len(const char *s, bool allow_null, bool allow_postmaster,
                                       char *addr, size_t *addr_len, const char **rest,
                                       const char **why);

/* "Postmaster", in any case, with no domain. */
bool smtp_path_is_postmaster(const char *addr);

/* True when domain is a dot-separated list of letter-digit-hyphen labels or an [address literal].
 */
bool smtp_domain_valid(const char *domain, size_t len);
/*
 * The usual mailbox, checked in one pass: a dot-atom of ASCII atext, "@",
 * letter-digit-hyphen labels, within RFC 5321 4.5.3.1's lengths (and short
 * enough for a path), then the NUL. Returns its length, or 0 when it is no
 * such mailbox: every mailbox it passes is valid; one it fails may still be
 * (a quoted local part, an address literal), for the full check to say.
 */
size_t smtp_mailbox_plain(const char *m);

/* One ESMTP parameter: "KEYWORD" or "KEYWORD=value". */
typedef struct smtp_param {
    char keyword[32];
    char value[128];
    bool has_value;
} smtp_param_t;

/*
 * Reads the next parameter of a list separated by spaces, advancing *p.
 * Returns 1 with *out filled, 0 at the end of the list, -1 when the next
 * word is not a parameter (bad keyword, too long, "KEY=" with no value).
 */
int smtp_param_next(const char **p, smtp_param_t *out);

#endif
