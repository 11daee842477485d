/*
 * time: parsing and formatting of durations, sizes and bit rates.
 */
#include "core/time.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

static const struct {
    const char *name;
    sim_time_t us;
} duration_units[] = {
    {"us", SIM_US}, {"ms", SIM_MS}, {"s", SIM_SEC}, {"m", SIM_MIN}, {"h", SIM_HOUR}, {"d", SIM_DAY},
};

/* Reads a run of digits; returns chars used, 0 if none, -1 on overflow. */
static int read_number(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    int i = 0;
    while (isdigit((unsigned char)s[i])) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        i++;
    }
    *out = v;
    return i;
}

int duration_parse(const char *s, sim_time_t *out)
{
    if (!s || !*s)
        return -1;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    sim_time_t total = 0;
    size_t last_unit = ARRAY_LEN(duration_units);
    while (*s) {
        uint64_t n;
        int used = read_number(s, &n);
        if (used <= 0)
            return -1;
        s += used;
        size_t ulen = 0;
        while (isalpha((unsigned char)s[ulen]))
            ulen++;
        size_t u;
        for (u = 0; u < ARRAY_LEN(duration_units); u++)
            if (strlen(duration_units[u].name) == ulen &&
                strncmp(s, duration_units[u].name, ulen) == 0)
                break;
        /* Parts go largest first, each unit once: "1h30m", not "30m1h". */
        if (u == ARRAY_LEN(duration_units) || u >= last_unit)
            return -1;
        last_unit = u;
        sim_time_t unit = duration_units[u].us;
        if (n > (uint64_t)(INT64_MAX / unit) || total > INT64_MAX - (sim_time_t)n * unit)
            return -1;
        total += (sim_time_t)n * unit;
        s += ulen;
    }
    *out = total;
    return 0;
}

char *duration_format(sim_time_t t, char *out, size_t n)
{
    if (n == 0)
        return out;
    out[0] = '\0';
    if (t == 0) {
        snprintf(out, n, "0s");
        return out;
    }
    size_t pos = 0;
    if (t < 0) {
        pos += (size_t)snprintf(out, n, "-");
        t = t == INT64_MIN ? INT64_MAX : -t;
    }
    for (size_t u = ARRAY_LEN(duration_units); u-- > 0 && t > 0;) {
        sim_time_t q = t / duration_units[u].us;
        if (q == 0)
            continue;
        if (pos < n)
            pos += (size_t)snprintf(out + pos, n - pos, "%" PRId64 "%s", q, duration_units[u].name);
        t -= q * duration_units[u].us;
    }
    return out;
}

char *clock_format(sim_time_t t, char *out, size_t n)
{
    const char *sign = "";
    if (t < 0) {
        sign = "-";
        t = -t;
    }
    snprintf(out, n, "%s%" PRId64 ":%02d:%02d.%06d", sign, t / SIM_HOUR,
             (int)(t / SIM_MIN % 60), (int)(t / SIM_SEC % 60), (int)(t % SIM_SEC));
    return out;
}

static const struct {
    const char *name;
    uint64_t mult;
} size_units[] = {
    {"", 1},
    {"b", 1},
    {"kb", 1000},
    {"mb", 1000 * 1000},
    {"gb", 1000 * 1000 * 1000},
    {"kib", 1024},
    {"mib", 1024 * 1024},
    {"gib", 1024 * 1024 * 1024},
};

int size_parse(const char *s, uint64_t *out)
{
    if (!s)
        return -1;
    uint64_t n;
    int used = read_number(s, &n);
    if (used <= 0)
        return -1;
    s += used;
    for (size_t u = 0; u < ARRAY_LEN(size_units); u++) {
        if (str_casecmp(s, size_units[u].name) == 0) {
            if (n > UINT64_MAX / size_units[u].mult)
                return -1;
            *out = n * size_units[u].mult;
            return 0;
        }
    }
    return -1;
}

char *size_format(uint64_t bytes, char *out, size_t n)
{
    if (bytes >= 1000000000 && bytes % 1000000000 == 0)
        snprintf(out, n, "%" PRIu64 "GB", bytes / 1000000000);
    else if (bytes >= 1000000 && bytes % 1000000 == 0)
        snprintf(out, n, "%" PRIu64 "MB", bytes / 1000000);
    else if (bytes >= 1000 && bytes % 1000 == 0)
        snprintf(out, n, "%" PRIu64 "KB", bytes / 1000);
    else
        snprintf(out, n, "%" PRIu64 "B", bytes);
    return out;
}

static const struct {
    const char *name;
    uint64_t mult;
} rate_units[] = {
    {"bit", 1},           {"bps", 1},
    {"kbit", 1000},       {"kbps", 1000},
    {"mbit", 1000000},    {"mbps", 1000000},
    {"gbit", 1000000000}, {"gbps", 1000000000},
};

int rate_parse(const char *s, uint64_t *bits_per_s)
{
    if (!s)
        return -1;
    uint64_t n;
    int used = read_number(s, &n);
    if (used <= 0 || n == 0)
        return -1;
    s += used;
    for (size_t u = 0; u < ARRAY_LEN(rate_units); u++) {
        if (str_casecmp(s, rate_units[u].name) == 0) {
            if (n > UINT64_MAX / rate_units[u].mult)
                return -1;
            *bits_per_s = n * rate_units[u].mult;
            return 0;
        }
    }
    return -1;
}
