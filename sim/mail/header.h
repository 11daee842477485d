/*
 * header: the header section of a message or a MIME part (RFC 5322 2.2, 3.6):
 * a list of fields "Name: value", parsed from bytes or built up, looked up by
 * name without regard to case, and written back folded at 78 characters.
 *
 * A header_t owns copies of its field names and values (values are stored
 * unfolded: RFC 5322 2.2.3). A parsed field also remembers where it stood in
 * the bytes it came from (offset, length), so a caller can copy it exactly.
 */
#ifndef MAILSIM_MAIL_HEADER_H
#define MAILSIM_MAIL_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* RFC 5322 2.1.1: lines SHOULD be at most 78 characters; the folder aims for that. */
#define HEADER_FOLD_AT 78
/* Limits that keep a hostile header bounded; past them fields are cut or dropped. */
#define HEADER_FIELD_MAX (1024 * 1024)
#define HEADER_FIELDS_MAX 4096
/* header_index's answer when there is no such field. */
#define HEADER_NONE ((size_t)-1)

/* What was wrong with a parsed header (bits of header_t.defects). */
enum {
    HEADER_DEFECT_NO_COLON = 1u << 0,           /* a line that is no field ended the header early */
    HEADER_DEFECT_8BIT = 1u << 1,               /* octets over 127 (RFC 5322 allows only ASCII) */
    HEADER_DEFECT_FIELD_TOO_LONG = 1u << 2,     /* a field was cut at HEADER_FIELD_MAX */
    HEADER_DEFECT_TOO_MANY_FIELDS = 1u << 3,    /* fields past HEADER_FIELDS_MAX were dropped */
    HEADER_DEFECT_NO_END = 1u << 4,             /* the bytes ended before the blank line */
    HEADER_DEFECT_STRAY_CONTINUATION = 1u << 5, /* a folded line with no field before it */
    HEADER_DEFECT_BARE_LF = 1u << 6,            /* lines ended in LF, not CRLF */
    HEADER_DEFECT_MBOX_FROM = 1u << 7,          /* an mbox "From " line was skipped */
};

typedef struct header_field {
    char *name;       /* as written, NUL-terminated; owned */
    char *value;      /* unfolded, leading and trailing whitespace cut; owned */
    size_t value_len; /* a value may hold NUL octets from bad input */
    size_t offset;    /* where the field starts in the parsed bytes (0 if built) */
    size_t length;    /* its bytes there, line end included (0 if built) */
} header_field_t;

typedef struct header {
    header_field_t *fields;
    size_t count;
    size_t cap;
    unsigned defects;
} header_t;

void header_init(header_t *h);
void header_free(header_t *h);

/*
 * Parses the header at the start of data into h (which must be fresh from
 * header_init). Returns the length of the header section: the offset of the
 * body, past the empty line. Never fails: a line that is no field ends the
 * header there (RFC 5322 has no better reading), and problems are recorded
 * in h->defects.
 */
size_t header_parse(const uint8_t *data, size_t len, header_t *h);

/*
 * The value of the first field named name in the header at the start of
 * data, exactly as header_parse then header_get would give it (unfolded,
 * trimmed), read without building a header_t: for a caller that wants one
 * field. Appends it to out and returns true, or returns false when there is
 * no such field.
 */
bool header_scan_value(const uint8_t *data, size_t len, const char *name, buf_t *out);

/* Index of the first field named name at or after from, or HEADER_NONE. */
size_t header_index(const header_t *h, const char *name, size_t from);
/* The first field named name, or NULL. */
const header_field_t *header_find(const header_t *h, const char *name);
/* Its value, or NULL; valid while h is unchanged. */
const char *header_get(const header_t *h, const char *name);
/* Appends the first such value with RFC 2047 words decoded to UTF-8; false if absent. */
bool header_get_decoded(const header_t *h, const char *name, buf_t *out);

/* Appends a field (copies name and value). */
void header_add(header_t *h, const char *name, const char *value);
/* Appends a field of free text, as RFC 2047 words if it is not plain ASCII. */
void header_add_text(header_t *h, const char *name, const char *utf8);
/* Removes every field named name; returns how many went. */
size_t header_remove(header_t *h, const char *name);

/*
 * Writes "Name: value" CRLF, folded before whitespace so lines stay within 78
 * characters where the value allows (a word longer than that stays whole).
 * CR and LF inside value become spaces, so a value cannot forge a field.
 */
void header_fold(const char *name, const char *value, size_t value_len, buf_t *out);
/*
 * Writes a field of free text folded, as header_add_text and header_write
 * would write it, without keeping a copy.
 */
void header_fold_text(const char *name, const char *utf8, buf_t *out);
/* Writes every field, folded, in order (no empty line after them). */
void header_write(const header_t *h, buf_t *out);
/*
 * Unfolds raw field text (RFC 5322 2.2.3: a line end followed by whitespace is
 * removed) and trims whitespace at both ends. Appends to out.
 */
void header_unfold(const char *raw, size_t len, buf_t *out);

/* The names of the defect bits set in defects, comma-separated, into out. */
void header_defects_describe(unsigned defects, buf_t *out);

#endif
