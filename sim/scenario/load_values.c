/*
 * load_values: typed readers of JSON values (strings, numbers, durations,
 * sizes, rates, texts, names and addresses), each with the message an
 * instructor sees when a value is not what the format wants.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/load_internal.h"

/* The largest integer a JSON number (an IEEE double) holds exactly. */
#define JSON_MAX_EXACT_INT 9007199254740991.0

/* A number as messages show it: "1.5", "1e+300". */
static const char *number_text(loader_t *L, double v)
{
    buf_t *b = &L->scratch[L->next_scratch++ % LOAD_SCRATCH];
    buf_reset(b);
    if (isfinite(v))
        buf_printf(b, "%.15g", v);
    else
        buf_puts(b, "a number too large to hold");
    return buf_cstr(b);
}

/* ---- plain types -------------------------------------------------------- */

bool value_string(loader_t *L, const cJSON *node, const char **out)
{
    if (!cJSON_IsString(node) || !node->valuestring) {
        load_error(L, node, "expected a string, got %s", load_describe(node));
        return false;
    }
    *out = node->valuestring;
    return true;
}

bool value_nonempty_string(loader_t *L, const cJSON *node, const char **out)
{
    if (!value_string(L, node, out))
        return false;
    if (**out)
        return true;
    load_error(L, node, "expected a non-empty string, got \"\"");
    return false;
}

bool value_bool(loader_t *L, const cJSON *node, bool *out)
{
    if (!cJSON_IsBool(node)) {
        load_error(L, node, "expected true or false, got %s", load_describe(node));
        return false;
    }
    *out = cJSON_IsTrue(node);
    return true;
}

bool value_int(loader_t *L, const cJSON *node, int64_t min, int64_t max, int64_t *out)
{
    if (!cJSON_IsNumber(node)) {
        load_error(L, node, "expected a number, got %s", load_describe(node));
        return false;
    }
    double v = node->valuedouble;
    if (isfinite(v) && v != floor(v)) {
        load_error(L, node, "expected a whole number, got %s", number_text(L, v));
        return false;
    }
    /* Compare as doubles first: a huge value must not reach the cast. */
    if (!isfinite(v) || v < (double)min || v > (double)max || fabs(v) > JSON_MAX_EXACT_INT) {
        load_error(L, node, "expected a number from %lld to %lld, got %s", (long long)min,
                   (long long)max, number_text(L, v));
        return false;
    }
    *out = (int64_t)v;
    return true;
}

bool value_duration(loader_t *L, const cJSON *node, sim_time_t *out)
{
    if (!cJSON_IsString(node)) {
        load_error(L, node, "expected a duration like \"30m\", got %s", load_describe(node));
        return false;
    }
    if (duration_parse(node->valuestring, out) == 0)
        return true;
    load_error(L, node, "expected a duration like \"30m\", got %s",
               load_quote(L, node->valuestring));
    return false;
}

bool value_size(loader_t *L, const cJSON *node, uint64_t *out)
{
    if (cJSON_IsNumber(node)) {
        double v = node->valuedouble;
        if (isfinite(v) && v >= 0 && v <= JSON_MAX_EXACT_INT && v == floor(v)) {
            *out = (uint64_t)v;
            return true;
        }
        load_error(L, node, "expected a size like \"10MB\" or a number of bytes, got %s",
                   number_text(L, v));
        return false;
    }
    if (!cJSON_IsString(node)) {
        load_error(L, node, "expected a size like \"10MB\", got %s", load_describe(node));
        return false;
    }
    if (size_parse(node->valuestring, out) == 0)
        return true;
    load_error(L, node, "expected a size like \"10MB\", got %s", load_quote(L, node->valuestring));
    return false;
}

bool value_rate(loader_t *L, const cJSON *node, uint64_t *out)
{
    if (!cJSON_IsString(node)) {
        load_error(L, node, "expected a bandwidth like \"100Mbit\", got %s", load_describe(node));
        return false;
    }
    if (rate_parse(node->valuestring, out) == 0)
        return true;
    load_error(L, node, "expected a bandwidth like \"100Mbit\", got %s",
               load_quote(L, node->valuestring));
    return false;
}

bool value_loss(loader_t *L, const cJSON *node, double *out)
{
    if (!cJSON_IsNumber(node)) {
        load_error(L, node, "expected a loss rate from 0 to 1, got %s", load_describe(node));
        return false;
    }
    double v = node->valuedouble;
    if (!isfinite(v) || v < 0 || v > 1) {
        load_error(L, node, "expected a loss rate from 0 to 1 (0.05 is 5%%), got %s",
                   number_text(L, v));
        return false;
    }
    *out = v;
    return true;
}

bool value_port(loader_t *L, const cJSON *node, uint16_t *out)
{
    int64_t v;
    if (!value_int(L, node, 1, 65535, &v))
        return false;
    *out = (uint16_t)v;
    return true;
}

/* ---- texts -------------------------------------------------------------- */

bool value_text(loader_t *L, const cJSON *node, scenario_text_t *out)
{
    if (cJSON_IsString(node)) {
        free(out->en);
        free(out->el);
        out->en = xstrdup(node->valuestring);
        out->el = NULL;
        return true;
    }
    if (!cJSON_IsObject(node)) {
        load_error(L, node,
                   "expected a text (a string, or {\"en\": \"...\", \"el\": \"...\"}), "
                   "got %s",
                   load_describe(node));
        return false;
    }
    if (!node->child) {
        load_error(L, node, "a text needs at least one language: \"en\" or \"el\"");
        return false;
    }
    bool ok = true;
    scenario_text_t text = {NULL, NULL};
    for (const cJSON *m = node->child; m; m = m->next) {
        size_t mark = path_push_key(L, m->string);
        char **slot = strcmp(m->string, "en") == 0   ? &text.en
                      : strcmp(m->string, "el") == 0 ? &text.el
                                                     : NULL;
        const char *s;
        if (!slot) {
            load_error(L, m, "unknown language %s; texts have \"en\" and \"el\"%s",
                       load_quote(L, m->string), load_suggest(L, m->string, load_keys_text, 2));
            ok = false;
        } else if (*slot) {
            load_error(L, m, "key %s appears twice in this object", load_quote(L, m->string));
            ok = false;
        } else if (value_string(L, m, &s)) {
            *slot = xstrdup(s);
        } else {
            ok = false;
        }
        path_pop(L, mark);
    }
    if (!ok) {
        free(text.en);
        free(text.el);
        return false;
    }
    free(out->en);
    free(out->el);
    *out = text;
    return true;
}

/* ---- names and addresses ------------------------------------------------ */

/* RFC 1035 2.3.1 (with RFC 1123 2.1 digits first): labels of letters,
 * digits and hyphens, 1 to 63 long, no hyphen at either end; 253 in all. */
bool load_host_name_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253)
        return false;
    const char *label = s;
    for (const char *p = s;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t l = (size_t)(p - label);
            if (l == 0 || l > 63 || label[0] == '-' || p[-1] == '-')
                return false;
            if (!*p)
                return true;
            label = p + 1;
        } else if (!isalnum((unsigned char)*p) && *p != '-') {
            return false;
        }
    }
}

/* RFC 5322 3.2.3 atext; bytes past ASCII are UTF-8 (RFC 6531 allows them). */
static bool atext(unsigned char c)
{
    return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL || c >= 0x80;
}

/* A dot-atom local part (RFC 5322 3.4.1), at most 64 octets (RFC 5321 4.5.3.1.1). */
static bool local_part_ok(const char *s, size_t len)
{
    if (len == 0 || len > 64 || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (s[i] == '\0' || !atext((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

bool load_address_ok(const char *s)
{
    const char *at = strrchr(s, '@');
    return at && local_part_ok(s, (size_t)(at - s)) && load_host_name_ok(at + 1);
}

bool value_host_name(loader_t *L, const cJSON *node, const char **out)
{
    if (!value_string(L, node, out))
        return false;
    if (load_host_name_ok(*out))
        return true;
    load_error(L, node, "expected a host name like \"mail.example.org\", got %s",
               load_quote(L, *out));
    return false;
}

bool value_domain(loader_t *L, const cJSON *node, const char **out)
{
    if (!value_string(L, node, out))
        return false;
    if (load_host_name_ok(*out))
        return true;
    load_error(L, node, "expected a domain like \"example.org\", got %s", load_quote(L, *out));
    return false;
}

bool value_address(loader_t *L, const cJSON *node, const char **out)
{
    if (!value_string(L, node, out))
        return false;
    if (load_address_ok(*out))
        return true;
    load_error(L, node, "expected an address like \"alice@alice.example\", got %s",
               load_quote(L, *out));
    return false;
}

bool value_user_name(loader_t *L, const cJSON *node, const char **out)
{
    if (!value_string(L, node, out))
        return false;
    if (local_part_ok(*out, strlen(*out)))
        return true;
    load_error(L, node, "expected a user name like \"roberto\" (the part before @), got %s",
               load_quote(L, *out));
    return false;
}

/* Dotted quad, each part 0 to 255 in decimal without leading zeros (which
 * some parsers read as octal). */
static bool ipv4_parse(const char *s, uint32_t *out)
{
    uint32_t addr = 0;
    for (int part = 0; part < 4; part++) {
        if (!isdigit((unsigned char)*s) || (s[0] == '0' && isdigit((unsigned char)s[1])))
            return false;
        unsigned v = 0;
        int digits = 0;
        while (isdigit((unsigned char)*s) && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (v > 255)
            return false;
        addr = addr << 8 | v;
        if (part < 3 && *s++ != '.')
            return false;
    }
    if (*s)
        return false;
    *out = addr;
    return true;
}

bool value_ipv4(loader_t *L, const cJSON *node, uint32_t *out)
{
    const char *s;
    if (!value_string(L, node, &s))
        return false;
    if (ipv4_parse(s, out))
        return true;
    load_error(L, node, "expected an IPv4 address like \"192.0.2.10\", got %s", load_quote(L, s));
    return false;
}

bool value_enum(loader_t *L, const cJSON *node, const char *const *names, size_t n, int *out)
{
    const char *s = cJSON_IsString(node) ? node->valuestring : NULL;
    if (s) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(s, names[i]) == 0) {
                *out = (int)i;
                return true;
            }
        }
    }
    buf_t want = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_printf(&want, "%s\"%s\"", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
    if (s)
        load_error(L, node, "expected %s, got %s%s", buf_cstr(&want), load_quote(L, s),
                   load_suggest(L, s, names, n));
    else
        load_error(L, node, "expected %s, got %s", buf_cstr(&want), load_describe(node));
    buf_free(&want);
    return false;
}

const cJSON *value_service(loader_t *L, const cJSON *node, bool *offered, bool *ok)
{
    *ok = true;
    if (cJSON_IsBool(node)) {
        *offered = cJSON_IsTrue(node);
        return NULL;
    }
    if (cJSON_IsObject(node)) {
        *offered = true;
        return node;
    }
    load_error(L, node, "expected an object, or false to turn the service off, got %s",
               load_describe(node));
    *ok = false;
    return NULL;
}

/* ---- lists -------------------------------------------------------------- */

bool value_string_list(loader_t *L, const cJSON *node, string_check_fn check, char ***out,
                       size_t *n)
{
    if (!value_array(L, node))
        return false;
    size_t count = (size_t)cJSON_GetArraySize(node);
    char **list = xcalloc(count, sizeof *list);
    size_t got = 0, i = 0;
    bool ok = true;
    for (const cJSON *e = node->child; e; e = e->next, i++) {
        size_t mark = path_push_index(L, i);
        const char *s;
        if (check(L, e, &s))
            list[got++] = xstrdup(s);
        else
            ok = false;
        path_pop(L, mark);
    }
    for (size_t k = 0; k < *n; k++)
        free((*out)[k]);
    free(*out);
    *out = list;
    *n = got;
    return ok;
}

/* ---- fields ------------------------------------------------------------- */

/* Looks key up, pushes it on the path and runs the reader in body. */
#define WITH_FIELD(L, obj, key, presence, body)                                                    \
    do {                                                                                           \
        const cJSON *v_ = field(L, obj, key, presence);                                            \
        if (!v_)                                                                                   \
            return false;                                                                          \
        size_t mark_ = path_push_key(L, key);                                                      \
        bool ok_ = body;                                                                           \
        path_pop(L, mark_);                                                                        \
        return ok_;                                                                                \
    } while (0)

bool get_checked_string(loader_t *L, const cJSON *obj, const char *key, presence_t p,
                        string_check_fn check, char **out)
{
    const cJSON *v = field(L, obj, key, p);
    if (!v)
        return false;
    size_t mark = path_push_key(L, key);
    const char *s;
    bool ok = check(L, v, &s);
    if (ok) {
        free(*out);
        *out = xstrdup(s);
    }
    path_pop(L, mark);
    return ok;
}

const cJSON *get_name(loader_t *L, const cJSON *obj, const char *key, string_check_fn check,
                      char **out)
{
    const cJSON *v = field(L, obj, key, REQUIRED);
    if (!v)
        return NULL;
    size_t mark = path_push_key(L, key);
    const char *s;
    check(L, v, &s);
    path_pop(L, mark);
    if (!cJSON_IsString(v))
        return NULL;
    free(*out);
    *out = xstrdup(v->valuestring);
    return v;
}

bool get_string(loader_t *L, const cJSON *obj, const char *key, presence_t p, char **out)
{
    return get_checked_string(L, obj, key, p, value_string, out);
}

bool get_bool(loader_t *L, const cJSON *obj, const char *key, presence_t p, bool *out)
{
    WITH_FIELD(L, obj, key, p, value_bool(L, v_, out));
}

bool get_int(loader_t *L, const cJSON *obj, const char *key, presence_t p, int64_t min, int64_t max,
             int64_t *out)
{
    WITH_FIELD(L, obj, key, p, value_int(L, v_, min, max, out));
}

bool get_duration(loader_t *L, const cJSON *obj, const char *key, presence_t p, sim_time_t *out)
{
    WITH_FIELD(L, obj, key, p, value_duration(L, v_, out));
}

bool get_size(loader_t *L, const cJSON *obj, const char *key, presence_t p, uint64_t *out)
{
    WITH_FIELD(L, obj, key, p, value_size(L, v_, out));
}

bool get_rate(loader_t *L, const cJSON *obj, const char *key, presence_t p, uint64_t *out)
{
    WITH_FIELD(L, obj, key, p, value_rate(L, v_, out));
}

bool get_loss(loader_t *L, const cJSON *obj, const char *key, presence_t p, double *out)
{
    WITH_FIELD(L, obj, key, p, value_loss(L, v_, out));
}

bool get_port(loader_t *L, const cJSON *obj, const char *key, presence_t p, uint16_t *out)
{
    WITH_FIELD(L, obj, key, p, value_port(L, v_, out));
}

bool get_text(loader_t *L, const cJSON *obj, const char *key, presence_t p, scenario_text_t *out)
{
    WITH_FIELD(L, obj, key, p, value_text(L, v_, out));
}

bool get_enum(loader_t *L, const cJSON *obj, const char *key, presence_t p,
              const char *const *names, size_t n, int *out)
{
    WITH_FIELD(L, obj, key, p, value_enum(L, v_, names, n, out));
}

bool get_string_list(loader_t *L, const cJSON *obj, const char *key, presence_t p,
                     string_check_fn check, char ***out, size_t *n)
{
    WITH_FIELD(L, obj, key, p, value_string_list(L, v_, check, out, n));
}
