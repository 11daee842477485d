/*
 * address: the address lists of From, To, Cc, Reply-To and friends (RFC 5322
 * 3.4): mailboxes with or without a display name ("Roberto <roberto@x>",
 * "\"Doe, J.\" <j@x>", "=?UTF-8?B?...?= <a@x>", "a@x (Alice)") and groups
 * ("undisclosed-recipients:;", "team: a@x, b@y;").
 *
 * A list is flat, as IMAP's ENVELOPE is: a group is a GROUP_START entry
 * (its name), its mailboxes, then a GROUP_END entry. The list owns every
 * string in it; addr_list_free releases them.
 */
#ifndef MAILSIM_MAIL_ADDRESS_H
#define MAILSIM_MAIL_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

typedef enum addr_kind {
    ADDR_MAILBOX,
    ADDR_GROUP_START,
    ADDR_GROUP_END,
} addr_kind_t;

typedef struct addr {
    addr_kind_t kind;
    char *name;     /* display name (mailbox) or group name, decoded to UTF-8; NULL if none */
    char *name_raw; /* the same as written, quotes removed, RFC 2047 words kept; NULL if none */
    char *local;    /* local part, unquoted; NULL for group entries */
    char *domain;   /* domain; NULL for group entries or when the address had none */
    char *address;  /* "local@domain" (or "local"); NULL for group entries */
} addr_t;

typedef struct addr_list {
    addr_t *items;
    size_t count;
    size_t cap;
} addr_list_t;

void addr_list_init(addr_list_t *list);
void addr_list_free(addr_list_t *list);

/*
 * Parses an address list (an unfolded field value) and appends its entries.
 * Comments are skipped, except that "a@x (Alice)" takes Alice as the display
 * name. Returns 0, or -1 when something was malformed (an address with no
 * "@", an unclosed "<", quote or comment, a stray ";"); what could be read is
 * appended all the same.
 */
int addr_list_parse(const char *value, size_t len, addr_list_t *list);
/* How many ADDR_MAILBOX entries the list holds. */
size_t addr_list_mailbox_count(const addr_list_t *list);
/* The index of the n-th mailbox (0-based), or list->count when there is none. */
size_t addr_list_mailbox_at(const addr_list_t *list, size_t n);

/* Appends a mailbox; copies the strings (name may be NULL, UTF-8). */
void addr_list_add(addr_list_t *list, const char *name, const char *local, const char *domain);

/*
 * The value of an address field made from several address lists (each
 * value one list; NULL entries skipped): what parsing them all into one list
 * and addr_list_format would write, appended to out. Returns -1 when any was
 * malformed, else 0. Values that are plain addresses are copied, not parsed.
 */
int addr_field_value(const char *const *values, size_t count, buf_t *out);
/*
 * True when s (len bytes) is one plain addr-spec, "local@domain" with a
 * dot-atom local part: parsing it and writing it back gives s unchanged.
 */
bool addr_spec_is_plain(const char *s, size_t len);

/*
 * Writes the list as field text: display names quoted where they need it and
 * as RFC 2047 words where they are not ASCII; entries separated by ", ".
 */
void addr_list_format(const addr_list_t *list, buf_t *out);
/* Writes one mailbox entry the same way. */
void addr_format_mailbox(const addr_t *a, buf_t *out);

#endif
