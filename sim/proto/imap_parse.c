/*
 * imap_parse: the RFC 3501 9 grammar of command arguments, token by token,
 * over one assembled command; and IMAP dates to and from virtual time.
 */
#include "proto/imap_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/message.h"
#include "mail/store.h"

void imap_parser_init(imap_parser_t *ps, const uint8_t *data, size_t len)
{
    ps->p = data;
    ps->end = data + len;
    ps->error = NULL;
}

static bool fail(imap_parser_t *ps, const char *why)
{
    ps->error = why;
    return false;
}

bool imap_parse_at_end(const imap_parser_t *ps)
{
    return ps->p >= ps->end;
}

int imap_parse_peek(const imap_parser_t *ps)
{
    return ps->p < ps->end ? *ps->p : -1;
}

bool imap_parse_char(imap_parser_t *ps, char c)
{
    if (ps->p < ps->end && *ps->p == (uint8_t)c) {
        ps->p++;
        return true;
    }
    return false;
}

bool imap_parse_sp(imap_parser_t *ps)
{
    return imap_parse_char(ps, ' ') || fail(ps, "a space was expected");
}

/* RFC 3501 9: ATOM-CHAR is any CHAR except atom-specials. */
bool imap_atom_char(int c)
{
    if (c <= 0x1f || c >= 0x7f)
        return false;
    return !strchr("(){ %*\"\\]", c);
}

static bool astring_char(int c)
{
    return imap_atom_char(c) || c == ']';
}

int64_t imap_literal_marker(const char *line, size_t len, bool *non_sync)
{
    if (len < 3 || line[len - 1] != '}')
        return -1;
    size_t i = len - 1;
    *non_sync = line[i - 1] == '+';
    if (*non_sync)
        i--;
    size_t digits_end = i;
    while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
        i--;
    if (i == 0 || line[i - 1] != '{' || i == digits_end)
        return -1;
    int64_t n = 0;
    for (size_t k = i; k < digits_end; k++) {
        /* Anything past 18 digits is too big for any limit: report the maximum. */
        if (n > (INT64_MAX - 9) / 10)
            return INT64_MAX;
        n = n * 10 + (line[k] - '0');
    }
    return n;
}

static bool take_run(imap_parser_t *ps, bool (*ok)(int), buf_t *out, const char *why)
{
    buf_reset(out);
    const uint8_t *start = ps->p;
    while (ps->p < ps->end && ok(*ps->p))
        ps->p++;
    if (ps->p == start)
        return fail(ps, why);
    buf_append(out, start, (size_t)(ps->p - start));
    return true;
}

bool imap_parse_atom(imap_parser_t *ps, buf_t *out)
{
    return take_run(ps, imap_atom_char, out, "an atom was expected");
}

static bool tag_char(int c)
{
    return astring_char(c) && c != '+';
}

bool imap_parse_tag(imap_parser_t *ps, buf_t *out)
{
    return take_run(ps, tag_char, out, "a tag was expected");
}

static bool parse_quoted(imap_parser_t *ps, buf_t *out)
{
    ps->p++; /* the opening quote */
    while (ps->p < ps->end) {
        uint8_t c = *ps->p++;
        if (c == '"')
            return true;
        if (c == '\\') {
            if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\\'))
                return fail(ps, "only \\\" and \\\\ may be escaped in a quoted string");
            c = *ps->p++;
        } else if (c == '\r' || c == '\n' || c == '\0') {
            return fail(ps, "a quoted string cannot hold CR, LF or NUL");
        }
        buf_putc(out, c);
    }
    return fail(ps, "unterminated quoted string");
}

bool imap_parse_literal_ref(imap_parser_t *ps, const uint8_t **data, size_t *len)
{
    if (!imap_parse_char(ps, '{'))
        return fail(ps, "a literal {n} was expected");
    uint64_t n = 0;
    const uint8_t *digits = ps->p;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9' && ps->p - digits < 19)
        n = n * 10 + (uint64_t)(*ps->p++ - '0');
    if (ps->p == digits)
        return fail(ps, "a literal needs its length");
    imap_parse_char(ps, '+');
    if (!imap_parse_char(ps, '}') || !imap_parse_char(ps, '\r') || !imap_parse_char(ps, '\n'))
        return fail(ps, "a literal's {n} must end its line");
    if (n > (uint64_t)(ps->end - ps->p))
        return fail(ps, "literal data missing");
    *data = ps->p;
    *len = (size_t)n;
    ps->p += n;
    return true;
}

static bool parse_literal(imap_parser_t *ps, buf_t *out)
{
    const uint8_t *data;
    size_t len;
    if (!imap_parse_literal_ref(ps, &data, &len))
        return false;
    buf_append(out, data, len);
    return true;
}

bool imap_parse_string(imap_parser_t *ps, buf_t *out)
{
    buf_reset(out);
    int c = imap_parse_peek(ps);
    if (c == '"')
        return parse_quoted(ps, out);
    if (c == '{')
        return parse_literal(ps, out);
    return fail(ps, "a quoted string or a literal was expected");
}

bool imap_parse_astring(imap_parser_t *ps, buf_t *out)
{
    int c = imap_parse_peek(ps);
    if (c == '"' || c == '{')
        return imap_parse_string(ps, out);
    return take_run(ps, astring_char, out, "an atom or a string was expected");
}

static bool list_char(int c)
{
    return astring_char(c) || c == '%' || c == '*';
}

bool imap_parse_list_mailbox(imap_parser_t *ps, buf_t *out)
{
    int c = imap_parse_peek(ps);
    if (c == '"' || c == '{')
        return imap_parse_string(ps, out);
    return take_run(ps, list_char, out, "a mailbox pattern was expected");
}

bool imap_parse_number(imap_parser_t *ps, bool nz, uint32_t *out)
{
    uint64_t v = 0;
    const uint8_t *start = ps->p;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        v = v * 10 + (uint64_t)(*ps->p++ - '0');
        if (v > UINT32_MAX)
            return fail(ps, "number too large");
    }
    if (ps->p == start)
        return fail(ps, "a number was expected");
    if (nz && v == 0)
        return fail(ps, "0 is not a valid message number");
    *out = (uint32_t)v;
    return true;
}

/* --- sequence sets ------------------------------------------------------ */

void imap_seqset_free(imap_seqset_t *set)
{
    free(set->ranges);
    *set = (imap_seqset_t){NULL, 0, 0};
}

static bool parse_seq_number(imap_parser_t *ps, uint32_t *out)
{
    if (imap_parse_char(ps, '*')) {
        *out = 0;
        return true;
    }
    return imap_parse_number(ps, true, out) || fail(ps, "invalid sequence set");
}

bool imap_parse_seqset(imap_parser_t *ps, imap_seqset_t *out)
{
    *out = (imap_seqset_t){NULL, 0, 0};
    do {
        imap_range_t r;
        if (!parse_seq_number(ps, &r.lo))
            break;
        r.hi = r.lo;
        if (imap_parse_char(ps, ':') && !parse_seq_number(ps, &r.hi))
            break;
        if (out->count == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 4;
            out->ranges = xrealloc(out->ranges, out->cap * sizeof *out->ranges);
        }
        out->ranges[out->count++] = r;
        if (!imap_parse_char(ps, ','))
            return true;
    } while (true);
    imap_seqset_free(out);
    return false;
}

bool imap_seqset_contains(const imap_seqset_t *set, uint32_t v, uint32_t star)
{
    for (size_t i = 0; i < set->count; i++) {
        uint32_t lo = set->ranges[i].lo ? set->ranges[i].lo : star;
        uint32_t hi = set->ranges[i].hi ? set->ranges[i].hi : star;
        /* RFC 3501 9: "4:2" is "2:4"; so "559:*" takes the last UID even past it. */
        if (lo > hi) {
            uint32_t t = lo;
            lo = hi;
            hi = t;
        }
        if (v >= lo && v <= hi)
            return true;
    }
    return false;
}

void imap_seqset_format(const uint32_t *v, size_t n, buf_t *out)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[j + 1] == v[j] + 1)
            j++;
        buf_printf(out, "%s%u", i ? "," : "", v[i]);
        if (j > i)
            buf_printf(out, ":%u", v[j]);
        i = j + 1;
    }
}

/* --- flags -------------------------------------------------------------- */

void imap_flags_free(imap_flags_t *f)
{
    for (size_t i = 0; i < f->keyword_count; i++)
        free(f->keywords[i]);
    free(f->keywords);
    *f = (imap_flags_t){0, NULL, 0};
}

static bool parse_flag(imap_parser_t *ps, imap_flags_t *out, buf_t *word)
{
    if (imap_parse_char(ps, '\\')) {
        if (!imap_parse_atom(ps, word))
            return fail(ps, "a flag name was expected after \\");
        char name[64];
        snprintf(name, sizeof name, "\\%s", buf_cstr(word));
        uint32_t bit = store_flag_parse(name);
        /* RFC 3501 2.3.2: \Recent is the server's; no client sets it. */
        if (bit == 0 || bit == STORE_FLAG_RECENT)
            return fail(ps, "not a flag that can be set (\\Seen \\Answered \\Flagged \\Deleted "
                            "\\Draft or a keyword)");
        out->system |= bit;
        return true;
    }
    if (!imap_parse_atom(ps, word) || !store_keyword_valid(buf_cstr(word)))
        return fail(ps, "a flag was expected");
    out->keywords = xrealloc(out->keywords, (out->keyword_count + 1) * sizeof *out->keywords);
    out->keywords[out->keyword_count++] = xstrdup(buf_cstr(word));
    return true;
}

bool imap_parse_flags(imap_parser_t *ps, bool bare_ok, imap_flags_t *out)
{
    *out = (imap_flags_t){0, NULL, 0};
    bool paren = imap_parse_char(ps, '(');
    if (!paren && !bare_ok)
        return fail(ps, "a flag list in parentheses was expected");
    buf_t word = BUF_INIT;
    bool ok = true;
    if (paren && imap_parse_char(ps, ')'))
        goto done;
    do {
        ok = parse_flag(ps, out, &word);
    } while (ok && imap_parse_char(ps, ' '));
    if (ok && paren && !imap_parse_char(ps, ')'))
        ok = fail(ps, "a flag list must end with )");
done:
    buf_free(&word);
    if (!ok)
        imap_flags_free(out);
    return ok;
}

/* --- dates -------------------------------------------------------------- */

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

unsigned imap_month_parse(const char *s)
{
    for (unsigned i = 0; i < 12; i++)
        if (str_ncasecmp(s, month_names[i], 3) == 0)
            return i + 1;
    return 0;
}

/* Howard Hinnant's days_from_civil. */
int64_t imap_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t unix_of(sim_time_t t)
{
    int64_t secs = t / SIM_SEC;
    if (t % SIM_SEC < 0)
        secs--;
    return MESSAGE_EPOCH_UNIX + secs;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

int64_t imap_day_of(sim_time_t t)
{
    return floor_div(unix_of(t), 86400);
}

sim_time_t imap_day_start(int64_t day)
{
    return (day * 86400 - MESSAGE_EPOCH_UNIX) * SIM_SEC;
}

char *imap_date_format(sim_time_t t, char out[IMAP_DATE_MAX])
{
    int64_t u = unix_of(t), y;
    int64_t day = floor_div(u, 86400), sec = u - day * 86400;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(out, IMAP_DATE_MAX, "%02u-%s-%04lld %02d:%02d:%02d +0000", d, month_names[m - 1],
             (long long)y, (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
    return out;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads exactly n digits (n 0: one or two). */
static bool digits(imap_parser_t *ps, int n, unsigned *out)
{
    unsigned v = 0;
    int got = 0, want_max = n ? n : 2;
    while (got < want_max && ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        v = v * 10 + (unsigned)(*ps->p++ - '0');
        got++;
    }
    *out = v;
    return n ? got == n : got > 0;
}

/* date-day "-" date-month "-" date-year; day_fixed: " 7" or "07". */
static bool parse_date_text(imap_parser_t *ps, bool day_fixed, int64_t *day_out)
{
    unsigned d, y, m;
    if (day_fixed && imap_parse_char(ps, ' ')) {
        if (!digits(ps, 1, &d))
            return false;
    } else if (!digits(ps, day_fixed ? 2 : 0, &d)) {
        return false;
    }
    if (!imap_parse_char(ps, '-') || ps->end - ps->p < 3)
        return false;
    char mon[4] = {(char)ps->p[0], (char)ps->p[1], (char)ps->p[2], 0};
    m = imap_month_parse(mon);
    ps->p += 3;
    if (!m || !imap_parse_char(ps, '-') || !digits(ps, 4, &y))
        return false;
    if (d < 1 || d > month_days(y, m))
        return false;
    *day_out = imap_days_from_civil(y, m, d);
    return true;
}

bool imap_parse_date(imap_parser_t *ps, sim_time_t *out)
{
    bool quoted = imap_parse_char(ps, '"');
    int64_t day;
    if (!parse_date_text(ps, false, &day) || (quoted && !imap_parse_char(ps, '"')))
        return fail(ps, "a date such as 7-Sep-2026 was expected");
    *out = imap_day_start(day);
    return true;
}

bool imap_parse_date_time(imap_parser_t *ps, sim_time_t *out)
{
    const char *why = "a date-time such as \"07-Sep-2026 09:00:00 +0000\" was expected";
    int64_t day;
    unsigned hh, mm, ss, zh, zm;
    if (!imap_parse_char(ps, '"') || !parse_date_text(ps, true, &day) || !imap_parse_char(ps, ' '))
        return fail(ps, why);
    if (!digits(ps, 2, &hh) || !imap_parse_char(ps, ':') || !digits(ps, 2, &mm) ||
        !imap_parse_char(ps, ':') || !digits(ps, 2, &ss) || !imap_parse_char(ps, ' '))
        return fail(ps, why);
    int sign = imap_parse_char(ps, '+') ? 1 : imap_parse_char(ps, '-') ? -1 : 0;
    if (!sign || !digits(ps, 2, &zh) || !digits(ps, 2, &zm) || !imap_parse_char(ps, '"'))
        return fail(ps, why);
    if (hh > 23 || mm > 59 || ss > 60 || zm > 59)
        return fail(ps, why);
    int64_t unix = day * 86400 + hh * 3600 + mm * 60 + ss - sign * (int64_t)(zh * 3600 + zm * 60);
    *out = (unix - MESSAGE_EPOCH_UNIX) * SIM_SEC;
    return true;
}
