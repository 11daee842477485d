/*
 * mime: the structure of a message body (RFC 2045-2049). mime_parse reads a
 * whole message into a tree of parts: each part knows its content type and
 * parameters, its transfer encoding, disposition and file name, and where its
 * header and body lie in the original bytes, with the octet and line counts
 * that IMAP's BODYSTRUCTURE reports. Multiparts have children; a
 * message/rfc822 part holds the message inside it, parsed the same way.
 *
 * The tree points into the bytes it was parsed from and copies none of the
 * bodies: the caller keeps those bytes alive and unchanged until mime_free.
 *
 * The builders write parts (a text part, an attachment, a multipart around
 * other parts) as bytes; message.h puts a message header in front.
 */
#ifndef MAILSIM_MAIL_MIME_H
#define MAILSIM_MAIL_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "mail/header.h"

/* Nesting deeper than this is left unparsed (a defect), so hostile input cannot exhaust the stack.
 */
#define MIME_DEPTH_MAX 32
/* At most this many parts in one tree; the rest of a body stays in its last part. */
#define MIME_PARTS_MAX 10000
/* RFC 2046 5.1.1: a boundary is 1 to 70 characters; longer ones are read up to this. */
#define MIME_BOUNDARY_MAX 200

typedef enum mime_encoding {
    MIME_ENC_7BIT,
    MIME_ENC_8BIT,
    MIME_ENC_BINARY,
    MIME_ENC_QP,
    MIME_ENC_BASE64,
    MIME_ENC_UNKNOWN, /* an x-token or garbage: the body is taken as it is */
} mime_encoding_t;

/* What was wrong with a part (bits of mime_part_t.defects). */
enum {
    MIME_DEFECT_NO_BOUNDARY = 1u << 0,        /* multipart without a boundary parameter */
    MIME_DEFECT_BOUNDARY_NOT_FOUND = 1u << 1, /* no delimiter line in the body */
    MIME_DEFECT_NO_CLOSE_DELIMITER = 1u << 2, /* the last part ran to the end of the body */
    MIME_DEFECT_TOO_DEEP = 1u << 3,           /* nested past MIME_DEPTH_MAX: left as a leaf */
    MIME_DEFECT_TOO_MANY_PARTS = 1u << 4,     /* MIME_PARTS_MAX reached */
    MIME_DEFECT_BAD_CONTENT_TYPE = 1u << 5,   /* unreadable Content-Type: taken as text/plain */
    MIME_DEFECT_UNKNOWN_ENCODING = 1u << 6,   /* Content-Transfer-Encoding not one of RFC 2045's */
    MIME_DEFECT_BAD_PARAMETER = 1u << 7,      /* a parameter that could not be read */
};

typedef struct mime_param {
    char *name;  /* lower-cased; RFC 2231 sections joined under the plain name */
    char *value; /* unquoted; RFC 2231 and RFC 2047 encodings decoded to UTF-8 */
} mime_param_t;

typedef struct mime_params {
    mime_param_t *items;
    size_t count;
    size_t cap;
} mime_params_t;

typedef struct mime_part mime_part_t;

struct mime_part {
    const uint8_t *data; /* the parsed bytes (not owned); offsets below are into them */
    size_t offset;       /* where the part (its header) starts */
    size_t header_len;   /* its header section, with the empty line */
    size_t body_offset;
    size_t body_len;   /* octets, as encoded (IMAP's body size) */
    size_t body_lines; /* text lines (IMAP's size in lines): LFs, plus an unended last line;
                          0 for multiparts */

    header_t header;
    char *type;    /* lower-cased; "text" when absent (RFC 2045 5.2) */
    char *subtype; /* lower-cased; "plain" when absent */
    mime_params_t params;
    mime_encoding_t encoding;
    char *encoding_name; /* lower-cased as written, "7bit" when absent */
    char *disposition;   /* lower-cased ("inline", "attachment"), or NULL */
    mime_params_t disposition_params;
    char *content_id;  /* Content-ID as written, or NULL */
    char *description; /* Content-Description decoded to UTF-8, or NULL */
    char *language;    /* Content-Language as written, or NULL */
    char *md5;         /* Content-MD5 as written, or NULL */
    char *location;    /* Content-Location as written, or NULL */
    unsigned defects;
    unsigned depth; /* 0 for the message itself */

    mime_part_t *parent;
    mime_part_t **children; /* the parts of a multipart, in order */
    size_t child_count;
    mime_part_t *message; /* the message inside a message/rfc822 part, or NULL */
};

/*
 * Parses a whole message. Never fails and never returns NULL: what cannot be
 * read is recorded as defects and parsed as far as it makes sense. The
 * caller frees the tree with mime_free and keeps data alive until then.
 */
mime_part_t *mime_parse(const uint8_t *data, size_t len);
void mime_free(mime_part_t *root);

/* The body's first octet (inside the parsed bytes). */
const uint8_t *mime_part_body(const mime_part_t *part);
/* True for type/subtype, compared without regard to case; subtype NULL matches any. */
bool mime_part_is(const mime_part_t *part, const char *type, const char *subtype);
/* A Content-Type parameter's value, or NULL. */
const char *mime_part_param(const mime_part_t *part, const char *name);
/* A Content-Disposition parameter's value, or NULL. */
const char *mime_part_disposition_param(const mime_part_t *part, const char *name);
/* The file name: disposition filename, else the type's name parameter; NULL if neither. */
const char *mime_part_filename(const mime_part_t *part);
/* The defects of part and every part inside it, or-ed together. */
unsigned mime_tree_defects(const mime_part_t *part);
/* How many parts the tree holds, the root included. */
size_t mime_tree_count(const mime_part_t *part);
/* Names of the defect bits, comma-separated, into out. */
void mime_defects_describe(unsigned defects, buf_t *out);

/*
 * The part an IMAP section number names ("1", "2.1"; RFC 3501 6.4.5): for a
 * multipart, n is its n-th child; for a message/rfc822 part, the numbers go
 * on inside the embedded message's body. "" or NULL is root itself. Returns
 * NULL when there is no such part.
 */
const mime_part_t *mime_part_section(const mime_part_t *root, const char *section);

/*
 * Appends the body without its transfer encoding (base64, quoted-printable;
 * others are copied). Returns 0, or -1 when the encoding was bad (what could
 * be decoded is appended).
 */
int mime_part_decode(const mime_part_t *part, buf_t *out);
/*
 * Appends a text part's content as UTF-8: decoded, then converted from its
 * charset (us-ascii when none is named). Returns 0; -1 when the transfer
 * encoding was bad; 1 when the charset is unknown (bytes passed through).
 */
int mime_part_text(const mime_part_t *part, buf_t *out);

/* Parameters (the Content-Type and Content-Disposition grammar, RFC 2045 5.1, RFC 2231). */
void mime_params_free(mime_params_t *params);
const char *mime_params_get(const mime_params_t *params, const char *name);
/*
 * Reads "type/subtype; a=b; c*=utf-8''%CE%91" (or "attachment; filename=x"
 * when slash is false): appends the parameters to params and sets *type
 * and *subtype (lower-cased, caller frees; subtype is NULL without slash).
 * Returns 0, or -1 when the value was malformed (what was readable is kept;
 * *type is NULL if no type could be read).
 */
int mime_content_type_parse(const char *value, size_t len, bool slash, char **type, char **subtype,
                            mime_params_t *params);
mime_encoding_t mime_encoding_lookup(const char *name);
const char *mime_encoding_name(mime_encoding_t encoding);

/* --- building ------------------------------------------------------------ */

typedef struct mime_attachment {
    const char *filename;     /* UTF-8; written RFC 2231-encoded when not ASCII */
    const char *content_type; /* "image/jpeg"; NULL means application/octet-stream */
    const uint8_t *data;
    size_t len;
} mime_attachment_t;

/*
 * Writes a text part: Content-Type text/SUBTYPE; charset=utf-8, then the body
 * with line ends made CRLF. It goes as 7bit when it is ASCII; otherwise as
 * 8bit when allow_8bit, else quoted-printable; and always quoted-printable
 * when a line is longer than RFC 5322 2.1.1's 998 characters.
 */
void mime_write_text(buf_t *out, const char *subtype, const char *text, size_t len,
                     bool allow_8bit);

/*
 * What a writer knows of the bytes it appended, so that whoever sends them
 * need not scan them again. false means "not known", not "not so".
 */
typedef struct mime_shape {
    bool seven_bit; /* no octet over 127 */
    /*
     * CRLF line ends only, no other CR or LF, and no line that starts with a
     * dot: the bytes go into SMTP DATA unchanged (RFC 5321 4.5.2).
     */
    bool dot_safe;
} mime_shape_t;

/* mime_write_text, telling in *shape what it knows of the part it wrote. */
void mime_write_text_shaped(buf_t *out, const char *subtype, const char *text, size_t len,
                            bool allow_8bit, mime_shape_t *shape);
/* Writes an attachment part: base64 body, Content-Disposition: attachment with its filename. */
void mime_write_attachment(buf_t *out, const mime_attachment_t *attachment);
/*
 * Writes a multipart/SUBTYPE entity around parts (each a whole entity, as
 * mime_write_text writes one). The boundary comes from seed and counter
 * (mime_boundary_make) and is checked not to occur in any part.
 */
void mime_write_multipart(buf_t *out, const char *subtype, const buf_t *parts, size_t count,
                          uint64_t seed, uint64_t counter);
/*
 * A boundary "=_mailsim_SEED_COUNTER" (with ".N" added until it occurs in none
 * of parts). "=_" never occurs in base64 or quoted-printable text. Writes at
 * most MIME_BOUNDARY_MAX + 1 bytes into out.
 */
void mime_boundary_make(uint64_t seed, uint64_t counter, const buf_t *parts, size_t count,
                        char *out, size_t out_size);

#endif
