/*
 * trace: the one seam between the simulation and everything that watches it.
 * Every observable happening is one trace_event_t handed to every subscriber
 * (the logs, the pcap writer, the TUI, narration and expectations).
 *
 * Kinds and field names follow SCENARIO-FORMAT.md § Events. An event only
 * borrows its strings and payload: they are valid during the callback, and a
 * subscriber that keeps an event copies it (trace_event_copy).
 *
 * Emitters test trace_enabled() first, so with no subscriber tracing costs one
 * branch.
 */
#ifndef MAILSIM_CORE_TRACE_H
#define MAILSIM_CORE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/time.h"

#define TRACE_KINDS(X)                                                                        \
    X(USER_SEND, "user.send")                                                                 \
    X(USER_FETCH, "user.fetch")                                                               \
    X(USER_RESULT, "user.result")                                                             \
    X(TCP_CONNECT, "tcp.connect")                                                             \
    X(TCP_ESTABLISHED, "tcp.established")                                                     \
    X(TCP_REFUSED, "tcp.refused")                                                             \
    X(TCP_TIMEOUT, "tcp.timeout")                                                             \
    X(TCP_CLOSE, "tcp.close")                                                                 \
    X(TCP_RESET, "tcp.reset")                                                                 \
    X(TCP_SEGMENT, "tcp.segment")                                                             \
    X(TCP_DROP, "tcp.drop")                                                                   \
    X(TCP_RETRANSMIT, "tcp.retransmit")                                                       \
    X(DNS_QUERY, "dns.query")                                                                 \
    X(DNS_ANSWER, "dns.answer")                                                               \
    X(DNS_FAIL, "dns.fail")                                                                   \
    X(SMTP_COMMAND, "smtp.command")                                                           \
    X(SMTP_REPLY, "smtp.reply")                                                               \
    X(POP3_COMMAND, "pop3.command")                                                           \
    X(POP3_REPLY, "pop3.reply")                                                               \
    X(IMAP_COMMAND, "imap.command")                                                           \
    X(IMAP_RESPONSE, "imap.response")                                                         \
    X(QUEUE_ENQUEUE, "queue.enqueue")                                                         \
    X(QUEUE_ATTEMPT, "queue.attempt")                                                         \
    X(QUEUE_DEFER, "queue.defer")                                                             \
    X(QUEUE_RELAY, "queue.relay")                                                             \
    X(QUEUE_BOUNCE, "queue.bounce")                                                           \
    X(QUEUE_WARN, "queue.warn")                                                               \
    X(QUEUE_DELIVER, "queue.deliver")                                                         \
    X(MAILBOX_STORE, "mailbox.store")                                                         \
    X(MAILBOX_DELETE, "mailbox.delete")                                                       \
    X(MAILBOX_EXPUNGE, "mailbox.expunge")                                                     \
    X(MAILBOX_FOLDER, "mailbox.folder")                                                       \
    X(HOST_DOWN, "host.down")                                                                 \
    X(HOST_UP, "host.up")                                                                     \
    X(HOST_CRASH, "host.crash")                                                               \
    X(LINK_CHANGE, "link.change")                                                             \
    X(WALKTHROUGH_STEP, "walkthrough.step")

typedef enum trace_kind {
#define X(id, name) TRACE_##id,
    TRACE_KINDS(X)
#undef X
        TRACE_KIND_COUNT
} trace_kind_t;

/* Absent numeric fields hold TRACE_NONE; absent strings are NULL. */
#define TRACE_NONE INT64_MIN

typedef struct trace_event {
    sim_time_t t;
    trace_kind_t kind;
    const char *host; /* where it happened */
    const char *from; /* hosts (tcp, smtp, pop3, imap) */
    const char *to;
    int64_t port;    /* the service port (tcp.*: the server side's port) */
    int64_t session; /* connection number, shared by a session's lines */
    const char *verb;   /* command verb, upper case */
    int64_t code;       /* SMTP reply code, or a queue's last code */
    const char *status; /* "+OK"/"-ERR", "OK"/"NO"/"BAD" */
    const char *line;   /* a protocol line, without CRLF */
    const char *flags;  /* "SYN", "SYN,ACK", "PSH,ACK", "FIN,ACK", "RST" */
    int64_t seq, ack, len;
    const char *name; /* dns: the name asked */
    const char *type; /* dns: "A" or "MX" */
    const char *message;   /* a send id, or a Message-ID */
    const char *recipient; /* an address */
    int64_t attempt;
    const char *user;
    const char *folder;
    int64_t uid;
    int64_t step;      /* walkthrough.step */
    const char *text;  /* free text: a narration, a reason, a diagnostic */
    /* For the pcap writer: both ends of a tcp.* segment, and its payload. */
    uint32_t src_addr, dst_addr;
    uint16_t src_port, dst_port;
    uint16_t window;
    const uint8_t *payload;
    size_t payload_len;
} trace_event_t;

/* An event with every field absent, at time t, of a kind, at a host. */
void trace_event_init(trace_event_t *ev, sim_time_t t, trace_kind_t kind, const char *host);

const char *trace_kind_name(trace_kind_t kind);
/* -1 when the name is not a kind. */
int trace_kind_from_name(const char *name);

/* A field read by its name in SCENARIO-FORMAT.md ("host", "verb", "code"...). */
typedef enum { TRACE_FIELD_ABSENT, TRACE_FIELD_STRING, TRACE_FIELD_INT } trace_field_type_t;
typedef struct trace_value {
    trace_field_type_t type;
    const char *s;
    int64_t i;
} trace_value_t;
/* Returns false when name is not a field at all; absent fields are TRACE_FIELD_ABSENT. */
bool trace_event_field(const trace_event_t *ev, const char *name, trace_value_t *out);
/* The names trace_event_field knows, NULL-terminated. */
extern const char *const trace_field_names[];

/* A deep copy (strings and payload too), freed with trace_event_free_copy. */
trace_event_t *trace_event_copy(const trace_event_t *ev);
void trace_event_free_copy(trace_event_t *ev);

typedef void (*trace_fn)(void *ctx, const trace_event_t *ev);

typedef struct trace_sub {
    trace_fn fn;
    void *ctx;
} trace_sub_t;

typedef struct trace_bus {
    trace_sub_t *subs;
    size_t nsubs, cap;
    uint64_t emitted;
} trace_bus_t;

void trace_bus_init(trace_bus_t *bus);
void trace_bus_free(trace_bus_t *bus);
void trace_subscribe(trace_bus_t *bus, trace_fn fn, void *ctx);
void trace_unsubscribe(trace_bus_t *bus, trace_fn fn, void *ctx);
static inline bool trace_enabled(const trace_bus_t *bus)
{
    return bus->nsubs > 0;
}
void trace_emit(trace_bus_t *bus, const trace_event_t *ev);

/* One line, no newline: "0:00:01.250000 mail.alice.example smtp.command MAIL FROM:<...>". */
void trace_format_text(const trace_event_t *ev, buf_t *out);
/* One JSON object, no newline: {"t":1250000,"kind":"smtp.command","host":...}. */
void trace_format_json(const trace_event_t *ev, buf_t *out);
/* Appends s as a JSON string literal, quotes included, escaping as RFC 8259 asks. */
void json_put_string(buf_t *out, const char *s);
void json_put_string_n(buf_t *out, const char *s, size_t n);

#endif
