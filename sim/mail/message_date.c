/*
 * message_date: virtual time as an RFC 5322 3.3 date-time and back. Virtual
 * time 0 is MESSAGE_EPOCH_UNIX; the calendar arithmetic is the proleptic
 * Gregorian one, done by hand so nothing depends on the C library's zone.
 */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "mail/message.h"

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

typedef struct civil {
    int64_t year;
    int month; /* 1..12 */
    int day;
    int hour, minute, second;
    int weekday; /* 0 = Sunday */
} civil_t;

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days since 1970-01-01 to a date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static civil_t civil_from_unix(int64_t secs)
{
    civil_t c;
    int64_t days = floor_div(secs, 86400);
    int64_t rem = secs - days * 86400;
    c.hour = (int)(rem / 3600);
    c.minute = (int)(rem / 60 % 60);
    c.second = (int)(rem % 60);
    c.weekday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c.year = yoe + era * 400 + (c.month <= 2);
    return c;
}

static int64_t unix_of(sim_time_t t)
{
    return MESSAGE_EPOCH_UNIX + floor_div(t, SIM_SEC);
}

/* Two decimal digits of v (0..99), as %02d would write them. */
static char *put_2digits(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

char *message_date_format(sim_time_t t, int tz_minutes, char *out, size_t size)
{
    if (tz_minutes < -1439 || tz_minutes > 1439)
        tz_minutes = 0;
    civil_t c = civil_from_unix(unix_of(t) + (int64_t)tz_minutes * 60);
    int tz = tz_minutes < 0 ? -tz_minutes : tz_minutes;
    if (c.year < 0 || c.year > 9999) {
        snprintf(out, size, "%s, %02d %s %04lld %02d:%02d:%02d %c%02d%02d", day_names[c.weekday],
                 c.day, month_names[c.month - 1], (long long)c.year, c.hour, c.minute, c.second,
                 tz_minutes < 0 ? '-' : '+', tz / 60, tz % 60);
        return out;
    }
    /* The usual four-digit year by hand: every Received field carries a date. */
    char text[32], *p = text;
    memcpy(p, day_names[c.weekday], 3);
    p += 3;
    *p++ = ',';
    *p++ = ' ';
    p = put_2digits(p, c.day);
    *p++ = ' ';
    memcpy(p, month_names[c.month - 1], 3);
    p += 3;
    *p++ = ' ';
    p = put_2digits(p, (int)(c.year / 100));
    p = put_2digits(p, (int)(c.year % 100));
    *p++ = ' ';
    p = put_2digits(p, c.hour);
    *p++ = ':';
    p = put_2digits(p, c.minute);
    *p++ = ':';
    p = put_2digits(p, c.second);
    *p++ = ' ';
    *p++ = tz_minutes < 0 ? '-' : '+';
    p = put_2digits(p, tz / 60);
    p = put_2digits(p, tz % 60);
    *p = '\0';
    if (size > 0) {
        size_t n = (size_t)(p - text) < size ? (size_t)(p - text) : size - 1;
        memcpy(out, text, n);
        out[n] = '\0';
    }
    return out;
}

const char *message_date_memo_format(message_date_memo_t *memo, sim_time_t t, int tz_minutes,
                                     size_t *len)
{
    int64_t second = floor_div(t, SIM_SEC);
    if (!memo->valid || memo->second != second || memo->tz_minutes != tz_minutes) {
        message_date_format(t, tz_minutes, memo->text, sizeof memo->text);
        memo->len = strlen(memo->text);
        memo->second = second;
        memo->tz_minutes = tz_minutes;
        memo->valid = true;
    }
    *len = memo->len;
    return memo->text;
}

char *message_date_format_ctime(sim_time_t t, char *out, size_t size)
{
    civil_t c = civil_from_unix(unix_of(t));
    snprintf(out, size, "%s %s %2d %02d:%02d:%02d %04lld", day_names[c.weekday],
             month_names[c.month - 1], c.day, c.hour, c.minute, c.second, (long long)c.year);
    return out;
}

/* --- parsing ------------------------------------------------------------- */

typedef struct date_lexer {
    const char *s;
    bool bad;
} date_lexer_t;

/* Skips whitespace and comments (RFC 5322 3.3 allows CFWS between the parts). */
static void date_skip(date_lexer_t *lx)
{
    int depth = 0;
    while (*lx->s) {
        if (*lx->s == '(')
            depth++;
        else if (*lx->s == ')' && depth > 0)
            depth--;
        else if (depth == 0 && *lx->s != ' ' && *lx->s != '\t' && *lx->s != '\r' && *lx->s != '\n')
            return;
        lx->s++;
    }
}

static int64_t date_number(date_lexer_t *lx, int min_digits, int max_digits)
{
    date_skip(lx);
    int64_t v = 0;
    int n = 0;
    while (*lx->s >= '0' && *lx->s <= '9' && n < max_digits) {
        v = v * 10 + (*lx->s++ - '0');
        n++;
    }
    if (n < min_digits)
        lx->bad = true;
    return v;
}

static int date_name(date_lexer_t *lx, const char *const *names, int count)
{
    date_skip(lx);
    for (int i = 0; i < count; i++) {
        if (str_ncasecmp(lx->s, names[i], 3) == 0) {
            lx->s += 3;
            return i;
        }
    }
    lx->bad = true;
    return 0;
}

static void date_expect(date_lexer_t *lx, char c)
{
    date_skip(lx);
    if (*lx->s == c)
        lx->s++;
    else
        lx->bad = true;
}

/* RFC 5322 4.3: the obsolete zone names; military letters count as +0000. */
static int date_zone(date_lexer_t *lx)
{
    static const struct {
        const char *name;
        int minutes;
    } zones[] = {{"UT", 0},     {"GMT", 0},    {"UTC", 0},    {"EST", -300},
                 {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420},
                 {"MDT", -360}, {"PST", -480}, {"PDT", -420}};
    date_skip(lx);
    if (*lx->s == '+' || *lx->s == '-') {
        int sign = *lx->s++ == '-' ? -1 : 1;
        const char *start = lx->s;
        int64_t hhmm = date_number(lx, 4, 4);
        if (lx->s - start != 4)
            lx->bad = true;
        return sign * (int)(hhmm / 100 * 60 + hhmm % 100);
    }
    for (size_t i = 0; i < ARRAY_LEN(zones); i++) {
        size_t n = strlen(zones[i].name);
        if (str_ncasecmp(lx->s, zones[i].name, n) == 0) {
            lx->s += n;
            return zones[i].minutes;
        }
    }
    return 0;
}

int message_date_parse(const char *text, sim_time_t *out)
{
    date_lexer_t lx = {text, false};
    date_skip(&lx);
    if ((*lx.s >= 'A' && *lx.s <= 'Z') || (*lx.s >= 'a' && *lx.s <= 'z')) {
        date_name(&lx, day_names, 7);
        date_expect(&lx, ',');
    }
    int64_t day = date_number(&lx, 1, 2);
    int month = date_name(&lx, month_names, 12) + 1;
    const char *year_start = (date_skip(&lx), lx.s);
    int64_t year = date_number(&lx, 2, 4);
    if (lx.s - year_start == 2)
        year += year < 50 ? 2000 : 1900; /* RFC 5322 4.3 */
    int64_t hour = date_number(&lx, 1, 2);
    date_expect(&lx, ':');
    int64_t minute = date_number(&lx, 1, 2);
    int64_t second = 0;
    date_skip(&lx);
    if (*lx.s == ':') {
        lx.s++;
        second = date_number(&lx, 1, 2);
    }
    int zone = date_zone(&lx);
    if (lx.bad || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return -1;
    int64_t unix_secs = days_from_civil(year, month, (int)day) * 86400 + hour * 3600 + minute * 60 +
                        second - (int64_t)zone * 60;
    *out = (unix_secs - MESSAGE_EPOCH_UNIX) * SIM_SEC;
    return 0;
}
