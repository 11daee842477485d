/*
 * expect_words: the pieces every detail is written from, so that all checks
 * say counts, times and matchers the same way: "expected at least 2
 * queue.attempt events at mail.alice.example by 1h, found 1 (at 0s)".
 */
#include <inttypes.h>
#include <string.h>

#include "scenario/expect_private.h"

void expect_put_time(sim_time_t t, buf_t *out)
{
    char s[64];
    buf_puts(out, duration_format(t, s, sizeof s));
}

void expect_put_by(const expect_item_t *it, buf_t *out)
{
    if (!it->spec->has_at)
        return;
    buf_puts(out, " by ");
    expect_put_time(sim_now(it->engine->sim), out);
}

const char *expect_noun(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

bool expect_put_want(const scenario_count_t *c, buf_t *out)
{
    if (c->min == c->max) {
        if (c->min == 0) {
            buf_puts(out, "no");
            return false;
        }
        buf_printf(out, "%" PRId64, c->min);
        return c->min != 1;
    }
    if (c->max < 0) {
        if (c->min <= 0) {
            buf_puts(out, "any number of");
            return true;
        }
        buf_printf(out, "at least %" PRId64, c->min);
        return c->min != 1;
    }
    if (c->min <= 0) {
        buf_printf(out, "at most %" PRId64, c->max);
        return c->max != 1;
    }
    buf_printf(out, "between %" PRId64 " and %" PRId64, c->min, c->max);
    return true;
}

void expect_put_want_range(const scenario_count_t *c, buf_t *out)
{
    buf_puts(out, "(want ");
    if (c->min == c->max && c->min == 0)
        buf_puts(out, "none");
    else if (c->min == c->max)
        buf_printf(out, "exactly %" PRId64, c->min);
    else if (c->max < 0 && c->min <= 0)
        buf_puts(out, "any number");
    else if (c->max < 0)
        buf_printf(out, "at least %" PRId64, c->min);
    else if (c->min <= 0)
        buf_printf(out, "at most %" PRId64, c->max);
    else
        buf_printf(out, "between %" PRId64 " and %" PRId64, c->min, c->max);
    buf_putc(out, ')');
}

void expect_put_times(const expect_tally_t *t, buf_t *out)
{
    if (t->count == 0)
        return;
    buf_puts(out, "(at ");
    uint64_t shown = t->count < EXPECT_TIMES_SHOWN ? t->count : EXPECT_TIMES_SHOWN;
    for (uint64_t i = 0; i < shown; i++) {
        if (i)
            buf_puts(out, ", ");
        expect_put_time(t->times[i], out);
    }
    if (t->count > shown)
        buf_printf(out, " and %" PRIu64 " more", t->count - shown);
    buf_putc(out, ')');
}

void expect_put_ordinal(int64_t n, buf_t *out)
{
    const char *suffix = "th";
    int64_t tens = n % 100;
    if (tens < 11 || tens > 13) {
        switch (n % 10) {
        case 1:
            suffix = "st";
            break;
        case 2:
            suffix = "nd";
            break;
        case 3:
            suffix = "rd";
            break;
        default:
            break;
        }
    }
    buf_printf(out, "%" PRId64 "%s", n, suffix);
}

void expect_put_quoted(const char *s, buf_t *out)
{
    buf_putc(out, '"');
    buf_puts(out, s ? s : "");
    buf_putc(out, '"');
}

/* A field's value: numbers as they are, words bare, anything with spaces quoted. */
static void put_value(const scenario_field_match_t *f, buf_t *out)
{
    if (f->is_number) {
        buf_printf(out, "%" PRId64, f->number);
        return;
    }
    const char *s = f->string ? f->string : "";
    if (!*s || strpbrk(s, " ,=\"\t"))
        expect_put_quoted(s, out);
    else
        buf_puts(out, s);
}

static const scenario_field_match_t *find_field(const scenario_match_t *m, const char *name)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i].name, name) == 0 && !m->fields[i].is_number)
            return &m->fields[i];
    return NULL;
}

static void put_kind_noun(const scenario_match_t *m, expect_noun_t noun, buf_t *out)
{
    const scenario_field_match_t *kind = find_field(m, "kind");
    const char *name = m->kind >= 0 ? trace_kind_name((trace_kind_t)m->kind)
                       : kind       ? kind->string
                                    : NULL;
    if (!name) {
        buf_puts(out, noun == EXPECT_NOUN_ONE    ? "event"
                      : noun == EXPECT_NOUN_MANY ? "events"
                                                 : "any event");
        return;
    }
    buf_puts(out, name);
    if (noun == EXPECT_NOUN_ONE)
        buf_puts(out, " event");
    else if (noun == EXPECT_NOUN_MANY)
        buf_puts(out, " events");
}

static bool is_place_field(const char *name)
{
    return strcmp(name, "kind") == 0 || strcmp(name, "host") == 0 || strcmp(name, "from") == 0 ||
           strcmp(name, "to") == 0;
}

void expect_put_matcher(const scenario_match_t *m, expect_noun_t noun, buf_t *out)
{
    put_kind_noun(m, noun, out);
    static const char *const places[][2] = {{"host", " at "}, {"from", " from "}, {"to", " to "}};
    for (size_t p = 0; p < sizeof places / sizeof places[0]; p++) {
        const scenario_field_match_t *f = find_field(m, places[p][0]);
        if (f) {
            buf_puts(out, places[p][1]);
            put_value(f, out);
        }
    }
    bool first = true;
    for (size_t i = 0; i < m->nfields; i++) {
        const scenario_field_match_t *f = &m->fields[i];
        if (!f->is_number && is_place_field(f->name))
            continue;
        buf_puts(out, first ? " with " : ", ");
        first = false;
        buf_printf(out, "%s=", f->name);
        put_value(f, out);
    }
    if (m->contains) {
        buf_puts(out, first ? " with line containing " : ", line containing ");
        expect_put_quoted(m->contains, out);
    }
}
