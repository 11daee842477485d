/*
 * report_junit: JUnit XML, the test report every CI system reads (GitHub
 * Actions reporters, GitLab, Jenkins). One <testsuite> per run, named after
 * the scenario; one <testcase> per expectation, plus "accounting" (nothing
 * lost) and, when the run itself failed, "run" with an <error>.
 *
 * Text is escaped for XML 1.0 (section 2.4: & < > in content, quotes in
 * attributes) and characters XML 1.0 forbids (section 2.2: C0 controls but
 * tab, LF and CR; U+FFFE, U+FFFF) are dropped; bytes that are not UTF-8
 * become U+FFFD, so the file always parses.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "scenario/report.h"

/* XML 1.0 section 2.2, production [2] Char. */
static bool xml_char_allowed(uint32_t cp)
{
    if (cp < 0x20)
        return cp == 0x9 || cp == 0xa || cp == 0xd;
    return cp != 0xfffe && cp != 0xffff;
}

/*
 * Appends s escaped for XML content or, with attr, for a double- or
 * single-quoted attribute value. In attributes tab, LF and CR are written as
 * character references, since section 3.3.3 turns them into spaces otherwise;
 * CR is a reference in content too (section 2.11 would drop it).
 */
static void xml_put(buf_t *out, const char *s, bool attr)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            buf_puts(out, "\xef\xbf\xbd");
            i++;
            continue;
        }
        if (!xml_char_allowed(cp)) {
            i += len;
            continue;
        }
        switch (cp) {
        case '&':
            buf_puts(out, "&amp;");
            break;
        case '<':
            buf_puts(out, "&lt;");
            break;
        case '>':
            buf_puts(out, "&gt;");
            break;
        case '"':
            buf_puts(out, "&quot;");
            break;
        case '\'':
            buf_puts(out, "&apos;");
            break;
        case '\r':
            buf_puts(out, "&#13;");
            break;
        case '\n':
            buf_puts(out, attr ? "&#10;" : "\n");
            break;
        case '\t':
            buf_puts(out, attr ? "&#9;" : "\t");
            break;
        default:
            buf_append(out, p + i, len);
            break;
        }
        i += len;
    }
}

static void put_attr(buf_t *out, const char *name, const char *value)
{
    buf_printf(out, " %s=\"", name);
    xml_put(out, value, true);
    buf_putc(out, '"');
}

/* Seconds with milliseconds, as JUnit's time attributes want: "0.003". */
static void put_time(buf_t *out, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    buf_printf(out, " time=\"%" PRId64 ".%03d\"", ms / 1000, (int)(ms % 1000));
}

static void put_property(buf_t *out, const char *name, const char *value)
{
    buf_puts(out, "      <property");
    put_attr(out, "name", name);
    put_attr(out, "value", value);
    buf_puts(out, "/>\n");
}

static void put_properties(buf_t *out, const run_result_t *r)
{
    char num[32];
    buf_puts(out, "    <properties>\n");
    put_property(out, "file", report_str(r->file));
    if (r->title)
        put_property(out, "title", r->title);
    snprintf(num, sizeof num, "%" PRIu64, r->seed);
    put_property(out, "seed", num);
    snprintf(num, sizeof num, "%d", r->score);
    put_property(out, "score", num);
    snprintf(num, sizeof num, "%d", r->max_score);
    put_property(out, "max_score", num);
    buf_puts(out, "    </properties>\n");
}

/* A testcase; with element ("failure" or "error") it holds one, text as message and body. */
static void put_testcase(buf_t *out, const run_result_t *r, const char *name, const char *element,
                         const char *type, const char *text)
{
    buf_puts(out, "    <testcase");
    put_attr(out, "classname", report_str(r->scenario));
    put_attr(out, "name", name);
    if (!element) {
        buf_puts(out, "/>\n");
        return;
    }
    buf_printf(out, ">\n      <%s", element);
    put_attr(out, "message", text);
    put_attr(out, "type", type);
    buf_putc(out, '>');
    xml_put(out, text, false);
    buf_printf(out, "</%s>\n    </testcase>\n", element);
}

typedef struct suite_counts {
    size_t tests, failures, errors;
} suite_counts_t;

static suite_counts_t run_counts(const run_result_t *r)
{
    suite_counts_t c = {r->nexpectations + 1, 0, r->error != NULL};
    for (size_t i = 0; i < r->nexpectations; i++)
        c.failures += !r->expectations[i].passed;
    c.failures += !r->accounting_ok;
    c.tests += c.errors;
    return c;
}

static void put_suite(buf_t *out, const run_result_t *r, const report_options_t *opt)
{
    suite_counts_t c = run_counts(r);
    buf_puts(out, "  <testsuite");
    put_attr(out, "name", report_str(r->scenario));
    buf_printf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\"", c.tests,
               c.failures, c.errors);
    put_time(out, report_wall_ms(r, opt));
    buf_puts(out, ">\n");
    put_properties(out, r);
    if (r->error)
        put_testcase(out, r, "run", "error", "run", r->error);
    for (size_t i = 0; i < r->nexpectations; i++) {
        const expect_result_t *e = &r->expectations[i];
        put_testcase(out, r, report_str(e->name), e->passed ? NULL : "failure", "expectation",
                     report_str(e->detail));
    }
    put_testcase(out, r, "accounting", r->accounting_ok ? NULL : "failure", "accounting",
                 report_accounting_text(r));
    buf_puts(out, "  </testsuite>\n");
}

void report_write_junit(const run_result_t *runs, size_t n, const report_options_t *opt, buf_t *out)
{
    suite_counts_t total = {0, 0, 0};
    int64_t wall = 0;
    for (size_t i = 0; i < n; i++) {
        suite_counts_t c = run_counts(&runs[i]);
        total.tests += c.tests;
        total.failures += c.failures;
        total.errors += c.errors;
        wall += report_wall_ms(&runs[i], opt);
    }
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    buf_printf(out, "<testsuites name=\"mailsim\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\"",
               total.tests, total.failures, total.errors);
    put_time(out, wall);
    buf_puts(out, ">\n");
    for (size_t i = 0; i < n; i++)
        put_suite(out, &runs[i], opt);
    buf_puts(out, "</testsuites>\n");
}
