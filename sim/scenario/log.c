/*
 * log: event lines gathered in a buf_t and written in large pieces. A text
 * line must stay one line, so a CR or LF inside an event's line or text is
 * written as the two characters \r or \n; JSON Lines escape them already.
 */
#include "scenario/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct log_writer {
    FILE *file; /* NULL when writing to out */
    buf_t *out; /* the pending lines, or the caller's buffer */
    buf_t pending;
    buf_t scratch; /* one text line being formatted */
    log_format_t fmt;
    bool failed;
    uint64_t lines;
};

int log_format_parse(const char *name, log_format_t *out)
{
    if (strcmp(name, "text") == 0) {
        *out = LOG_TEXT;
        return 0;
    }
    if (strcmp(name, "jsonl") == 0) {
        *out = LOG_JSONL;
        return 0;
    }
    return -1;
}

static log_writer_t *writer_new(log_format_t fmt)
{
    log_writer_t *w = xcalloc(1, sizeof *w);
    w->fmt = fmt;
    buf_init(&w->pending);
    buf_init(&w->scratch);
    return w;
}

log_writer_t *log_writer_open(const char *path, log_format_t fmt, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot create the log file: %s", path, strerror(errno));
        return NULL;
    }
    log_writer_t *w = writer_new(fmt);
    w->file = f;
    w->out = &w->pending;
    return w;
}

log_writer_t *log_writer_to_buf(buf_t *out, log_format_t fmt)
{
    log_writer_t *w = writer_new(fmt);
    w->out = out;
    return w;
}

static void writer_flush(log_writer_t *w)
{
    if (!w->file || w->pending.len == 0)
        return;
    if (!w->failed && fwrite(w->pending.data, 1, w->pending.len, w->file) != w->pending.len)
        w->failed = true;
    buf_reset(&w->pending);
}

/* Appends a text line with CR and LF spelled out, so one event stays one line. */
static void append_one_line(buf_t *out, const buf_t *line)
{
    const char *s = (const char *)line->data;
    size_t n = line->len;
    if (!memchr(s, '\n', n) && !memchr(s, '\r', n)) {
        buf_append(out, s, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            buf_puts(out, "\\n");
        else if (s[i] == '\r')
            buf_puts(out, "\\r");
        else
            buf_putc(out, s[i]);
    }
}

void log_writer_on_event(void *ctx, const trace_event_t *ev)
{
    log_writer_t *w = ctx;
    switch (w->fmt) {
    case LOG_TEXT:
        buf_reset(&w->scratch);
        trace_format_text(ev, &w->scratch);
        append_one_line(w->out, &w->scratch);
        break;
    case LOG_JSONL:
        trace_format_json(ev, w->out);
        break;
    }
    buf_putc(w->out, '\n');
    w->lines++;
    if (w->pending.len >= LOG_FLUSH_BYTES)
        writer_flush(w);
}

uint64_t log_writer_lines(const log_writer_t *w)
{
    return w->lines;
}

int log_writer_close(log_writer_t *w)
{
    if (!w)
        return 0;
    writer_flush(w);
    bool failed = w->failed;
    if (w->file && fclose(w->file) != 0)
        failed = true;
    buf_free(&w->pending);
    buf_free(&w->scratch);
    free(w);
    return failed ? -1 : 0;
}
