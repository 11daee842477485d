/*
 * imap_parse: the tokens of IMAP commands (RFC 3501 9): atoms, quoted
 * strings, literals, astrings, list-mailbox patterns, numbers, sequence sets
 * with "*" and ranges, flag lists, dates and date-times; and the IMAP
 * date-time format ("07-Sep-2026 09:00:00 +0000") for virtual time.
 *
 * A parser reads one whole command as the server assembled it: its lines
 * joined by CRLF with each literal's bytes right after its "{n}" line. It
 * never owns the bytes. Every function returns false on bad syntax and
 * leaves a fixed English reason in parser->error.
 */
#ifndef MAILSIM_PROTO_IMAP_PARSE_H
#define MAILSIM_PROTO_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/time.h"

typedef struct imap_parser {
    const uint8_t *p, *end;
    const char *error; /* why the last call failed; static */
} imap_parser_t;

void imap_parser_init(imap_parser_t *ps, const uint8_t *data, size_t len);
bool imap_parse_at_end(const imap_parser_t *ps);
/* The next byte, or -1 at the end. */
int imap_parse_peek(const imap_parser_t *ps);
/* Consumes c if it is next. */
bool imap_parse_char(imap_parser_t *ps, char c);
/* Exactly one SP. */
bool imap_parse_sp(imap_parser_t *ps);
/* True for a byte that may stand in an atom (RFC 3501 9 ATOM-CHAR). */
bool imap_atom_char(int c);

/* The bytes of a literal's "{n}" or "{n+}" marker ending a line, or -1 when none. */
int64_t imap_literal_marker(const char *line, size_t len, bool *non_sync);

/*
 * Each appends the token's bytes to out (which it resets first). A string
 * may hold NUL octets from a literal; callers that want a C string check.
 */
bool imap_parse_atom(imap_parser_t *ps, buf_t *out);
/* An atom that may also hold "]" (RFC 3501 ASTRING-CHAR) and "+" (a tag has no "+"). */
bool imap_parse_tag(imap_parser_t *ps, buf_t *out);
bool imap_parse_string(imap_parser_t *ps, buf_t *out);
bool imap_parse_astring(imap_parser_t *ps, buf_t *out);
/* A literal only, its bytes left where they are (APPEND's message): *data points into the input. */
bool imap_parse_literal_ref(imap_parser_t *ps, const uint8_t **data, size_t *len);
/* list-mailbox: an astring that may hold "%" and "*". */
bool imap_parse_list_mailbox(imap_parser_t *ps, buf_t *out);
/* A number (RFC 3501 number: up to 4294967295); nz: not zero. */
bool imap_parse_number(imap_parser_t *ps, bool nz, uint32_t *out);

/* A sequence set: ranges of numbers where 0 stands for "*". */
typedef struct imap_range {
    uint32_t lo, hi; /* as written; 0 is "*" */
} imap_range_t;

typedef struct imap_seqset {
    imap_range_t *ranges;
    size_t count, cap;
} imap_seqset_t;

void imap_seqset_free(imap_seqset_t *set);
bool imap_parse_seqset(imap_parser_t *ps, imap_seqset_t *out);
/* True when v is in the set, "*" standing for star. */
bool imap_seqset_contains(const imap_seqset_t *set, uint32_t v, uint32_t star);
/* Appends "1:3,7" for ascending values v[0..n) to out. */
void imap_seqset_format(const uint32_t *v, size_t n, buf_t *out);

/* Flags as STORE and APPEND give them: system flags as bits, keywords apart. */
typedef struct imap_flags {
    uint32_t system; /* STORE_FLAG_*; never \Recent */
    char **keywords; /* owned */
    size_t keyword_count;
} imap_flags_t;

void imap_flags_free(imap_flags_t *f);
/*
 * "(" [flag *(SP flag)] ")", or with bare_ok a list without parentheses (RFC
 * 3501 STORE's flag form). \Recent and unknown system flags are refused.
 */
bool imap_parse_flags(imap_parser_t *ps, bool bare_ok, imap_flags_t *out);

/* RFC 3501 date "7-Sep-2026" (quoted or not): virtual time of that day's 00:00 UTC. */
bool imap_parse_date(imap_parser_t *ps, sim_time_t *out);
/* RFC 3501 date-time "\"07-Sep-2026 09:00:00 +0000\"" as virtual time. */
bool imap_parse_date_time(imap_parser_t *ps, sim_time_t *out);

/* Room for "07-Sep-2026 09:00:00 +0000" and its NUL. */
#define IMAP_DATE_MAX 32
/* Writes the IMAP date-time of virtual time t in UTC into out. Returns out. */
char *imap_date_format(sim_time_t t, char out[IMAP_DATE_MAX]);
/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t imap_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The UTC day (days since 1970-01-01) of virtual time t. */
int64_t imap_day_of(sim_time_t t);
/* Virtual time of the start of a day counted from 1970-01-01. */
sim_time_t imap_day_start(int64_t day);
/* 1..12 for "Jan".."Dec" (any case) at s[0..3), else 0. */
unsigned imap_month_parse(const char *s);

#endif
