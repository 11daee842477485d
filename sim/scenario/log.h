/*
 * log: the run's event log, a trace subscriber that writes every event as
 * one line: text (trace_format_text, for people) or JSON Lines
 * (trace_format_json, one object a line, for scripts). Lines are gathered in
 * a buffer and written about every 64 KB and at close, so a busy run costs
 * few write calls. Payload bytes of tcp.segment events are not logged (the
 * len field says how many there were; --pcap keeps the bytes).
 *
 * Virtual time stamps only, so one scenario and seed give byte-identical logs.
 */
#ifndef MAILSIM_SCENARIO_LOG_H
#define MAILSIM_SCENARIO_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/trace.h"

typedef enum log_format { LOG_TEXT, LOG_JSONL } log_format_t;

/* "text" or "jsonl": 0, or -1 for any other name (out untouched). */
int log_format_parse(const char *name, log_format_t *out);

typedef struct log_writer log_writer_t;

/* The writer flushes once this much is waiting. */
#define LOG_FLUSH_BYTES 65536u

/*
 * Creates (or truncates) the file at path. Returns NULL and a message naming
 * the path and the reason in err (errlen bytes) when it cannot be opened.
 * The caller closes with log_writer_close.
 */
log_writer_t *log_writer_open(const char *path, log_format_t fmt, char *err, size_t errlen);

/*
 * Appends lines to out, at once, for tests and in-memory logs. The caller
 * keeps out and frees it after log_writer_close.
 */
log_writer_t *log_writer_to_buf(buf_t *out, log_format_t fmt);

/* A trace_fn: trace_subscribe(&sim->trace, log_writer_on_event, writer). */
void log_writer_on_event(void *ctx, const trace_event_t *ev);

/* Lines written so far. */
uint64_t log_writer_lines(const log_writer_t *w);

/*
 * Flushes, closes and frees the writer (unsubscribe it first). Returns 0, or
 * -1 when any write failed (a full disk, for example): the log is incomplete.
 */
int log_writer_close(log_writer_t *w);

#endif
