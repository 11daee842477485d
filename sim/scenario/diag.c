/*
 * diag: collected error lines with a stable sort by order key.
 */
#include "scenario/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

void diag_init(diag_t *d)
{
    d->entries = NULL;
    d->count = d->cap = 0;
}

void diag_free(diag_t *d)
{
    for (size_t i = 0; i < d->count; i++)
        free(d->entries[i].line);
    free(d->entries);
    diag_init(d);
}

void diag_add(diag_t *d, size_t order, const char *fmt, ...)
{
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->entries = xrealloc(d->entries, d->cap * sizeof *d->entries);
    }
    buf_t b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    d->entries[d->count].line = buf_steal(&b, NULL);
    d->entries[d->count].order = order;
    d->entries[d->count].seq = d->count;
    d->count++;
}

/* Equal keys keep the order they were added in: seq breaks ties. */
static int entry_cmp(const void *pa, const void *pb)
{
    const diag_entry_t *a = pa, *b = pb;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void diag_sort_from(diag_t *d, size_t first)
{
    if (first < d->count && d->count - first > 1)
        qsort(d->entries + first, d->count - first, sizeof *d->entries, entry_cmp);
}

void diag_sort(diag_t *d)
{
    diag_sort_from(d, 0);
}

size_t diag_count(const diag_t *d)
{
    return d->count;
}

const char *diag_line(const diag_t *d, size_t i)
{
    return i < d->count ? d->entries[i].line : NULL;
}

void diag_print(const diag_t *d, FILE *out)
{
    for (size_t i = 0; i < d->count; i++) {
        fputs(d->entries[i].line, out);
        fputc('\n', out);
    }
}
