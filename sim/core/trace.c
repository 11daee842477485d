/*
 * trace: the event bus, field access by name, deep copies, and the text and
 * JSON-lines formatters.
 */
#include "core/trace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static const char *const kind_names[] = {
#define X(id, name) name,
    TRACE_KINDS(X)
#undef X
};

const char *trace_kind_name(trace_kind_t kind)
{
    if ((unsigned)kind >= TRACE_KIND_COUNT)
        return "unknown";
    return kind_names[kind];
}

int trace_kind_from_name(const char *name)
{
    for (int k = 0; k < TRACE_KIND_COUNT; k++)
        if (strcmp(kind_names[k], name) == 0)
            return k;
    return -1;
}

void trace_event_init(trace_event_t *ev, sim_time_t t, trace_kind_t kind, const char *host)
{
    memset(ev, 0, sizeof *ev);
    ev->t = t;
    ev->kind = kind;
    ev->host = host;
    ev->port = ev->session = ev->code = TRACE_NONE;
    ev->seq = ev->ack = ev->len = TRACE_NONE;
    ev->attempt = ev->uid = ev->step = TRACE_NONE;
}

typedef struct field_desc {
    const char *name;
    size_t offset;
    bool is_string;
} field_desc_t;

#define FS(f) {#f, offsetof(trace_event_t, f), true}
#define FI(f) {#f, offsetof(trace_event_t, f), false}
/* Order is the order of the formatters' output. */
static const field_desc_t fields[] = {
    FS(host), FS(from), FS(to), FI(port), FI(session), FS(verb), FI(code), FS(status),
    FS(flags), FI(seq), FI(ack), FI(len), FS(name), FS(type), FS(message), FS(recipient),
    FI(attempt), FS(user), FS(folder), FI(uid), FI(step), FS(line), FS(text),
};
#undef FS
#undef FI

const char *const trace_field_names[] = {
    "t", "kind", "host", "from", "to", "port", "session", "verb", "code", "status", "flags", "seq",
    "ack", "len", "name", "type", "message", "recipient", "attempt", "user", "folder", "uid",
    "step", "line", "text", NULL,
};

static const char *field_str(const trace_event_t *ev, const field_desc_t *f)
{
    return *(const char *const *)((const char *)ev + f->offset);
}

static int64_t field_int(const trace_event_t *ev, const field_desc_t *f)
{
    return *(const int64_t *)((const char *)ev + f->offset);
}

bool trace_event_field(const trace_event_t *ev, const char *name, trace_value_t *out)
{
    out->type = TRACE_FIELD_ABSENT;
    out->s = NULL;
    out->i = 0;
    if (strcmp(name, "t") == 0) {
        out->type = TRACE_FIELD_INT;
        out->i = ev->t;
        return true;
    }
    if (strcmp(name, "kind") == 0) {
        out->type = TRACE_FIELD_STRING;
        out->s = trace_kind_name(ev->kind);
        return true;
    }
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (strcmp(fields[i].name, name) != 0)
            continue;
        if (fields[i].is_string) {
            const char *s = field_str(ev, &fields[i]);
            if (s) {
                out->type = TRACE_FIELD_STRING;
                out->s = s;
            }
        } else {
            int64_t v = field_int(ev, &fields[i]);
            if (v != TRACE_NONE) {
                out->type = TRACE_FIELD_INT;
                out->i = v;
            }
        }
        return true;
    }
    return false;
}

trace_event_t *trace_event_copy(const trace_event_t *ev)
{
    trace_event_t *c = xmalloc(sizeof *c);
    *c = *ev;
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (!fields[i].is_string)
            continue;
        const char **p = (const char **)((char *)c + fields[i].offset);
        if (*p)
            *p = xstrdup(*p);
    }
    if (ev->payload_len) {
        uint8_t *p = xmalloc(ev->payload_len);
        memcpy(p, ev->payload, ev->payload_len);
        c->payload = p;
    } else {
        c->payload = NULL;
    }
    return c;
}

void trace_event_free_copy(trace_event_t *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (fields[i].is_string)
            free(*(char **)((char *)ev + fields[i].offset));
    }
    free((void *)ev->payload);
    free(ev);
}

void trace_bus_init(trace_bus_t *bus)
{
    memset(bus, 0, sizeof *bus);
}

void trace_bus_free(trace_bus_t *bus)
{
    free(bus->subs);
    memset(bus, 0, sizeof *bus);
}

void trace_subscribe(trace_bus_t *bus, trace_fn fn, void *ctx)
{
    if (bus->nsubs == bus->cap) {
        bus->cap = bus->cap ? bus->cap * 2 : 4;
        bus->subs = xrealloc(bus->subs, bus->cap * sizeof *bus->subs);
    }
    bus->subs[bus->nsubs++] = (trace_sub_t){fn, ctx};
}

void trace_unsubscribe(trace_bus_t *bus, trace_fn fn, void *ctx)
{
    for (size_t i = 0; i < bus->nsubs; i++) {
        if (bus->subs[i].fn == fn && bus->subs[i].ctx == ctx) {
            memmove(&bus->subs[i], &bus->subs[i + 1], (bus->nsubs - i - 1) * sizeof *bus->subs);
            bus->nsubs--;
            return;
        }
    }
}

void trace_emit(trace_bus_t *bus, const trace_event_t *ev)
{
    bus->emitted++;
    for (size_t i = 0; i < bus->nsubs; i++)
        bus->subs[i].fn(bus->subs[i].ctx, ev);
}

void json_put_string_n(buf_t *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    buf_putc(out, '"');
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c == '"' || c == '\\') {
            buf_putc(out, '\\');
            buf_putc(out, (int)c);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': buf_puts(out, "\\n"); break;
            case '\r': buf_puts(out, "\\r"); break;
            case '\t': buf_puts(out, "\\t"); break;
            default: buf_printf(out, "\\u%04x", c); break;
            }
            i++;
        } else if (c < 0x80) {
            buf_putc(out, (int)c);
            i++;
        } else {
            uint32_t cp;
            size_t len = utf8_decode(s + i, n - i, &cp);
            if (len == 0) {
                /* Not UTF-8: the byte is shown as U+FFFD so the output stays valid JSON. */
                buf_puts(out, "\xef\xbf\xbd");
                i++;
            } else {
                buf_append(out, p + i, len);
                i += len;
            }
        }
    }
    buf_putc(out, '"');
}

void json_put_string(buf_t *out, const char *s)
{
    json_put_string_n(out, s, strlen(s));
}

void trace_format_json(const trace_event_t *ev, buf_t *out)
{
    buf_printf(out, "{\"t\":%" PRId64 ",\"kind\":\"%s\"", ev->t, trace_kind_name(ev->kind));
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (fields[i].is_string) {
            const char *s = field_str(ev, &fields[i]);
            if (!s)
                continue;
            buf_printf(out, ",\"%s\":", fields[i].name);
            json_put_string(out, s);
        } else {
            int64_t v = field_int(ev, &fields[i]);
            if (v != TRACE_NONE)
                buf_printf(out, ",\"%s\":%" PRId64, fields[i].name, v);
        }
    }
    buf_putc(out, '}');
}

/* Text lines print the fields a reader scans for, then the line or text last. */
void trace_format_text(const trace_event_t *ev, buf_t *out)
{
    char clock[32];
    clock_format(ev->t, clock, sizeof clock);
    buf_printf(out, "%s %-20s %-16s", clock, ev->host ? ev->host : "-", trace_kind_name(ev->kind));
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        const char *name = fields[i].name;
        if (strcmp(name, "host") == 0 || strcmp(name, "line") == 0 || strcmp(name, "text") == 0)
            continue;
        if (fields[i].is_string) {
            const char *s = field_str(ev, &fields[i]);
            if (s)
                buf_printf(out, " %s=%s", name, s);
        } else {
            int64_t v = field_int(ev, &fields[i]);
            if (v != TRACE_NONE)
                buf_printf(out, " %s=%" PRId64, name, v);
        }
    }
    if (ev->line)
        buf_printf(out, " | %s", ev->line);
    if (ev->text)
        buf_printf(out, " | %s", ev->text);
}
