/*
 * view: the model as lines of text, one function per pane. A row is a
 * UTF-8 line, a tone that the screen turns into a colour, and a reference
 * to what Enter inspects on it. Rows know no width: the screen clips them.
 * The narration bar and the status line are text too, so tests read what
 * the screen would show without a terminal.
 */
#ifndef MAILSIM_TUI_VIEW_H
#define MAILSIM_TUI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "model.h"

typedef enum tui_tone {
    TUI_TONE_NORMAL,
    TUI_TONE_HEADING, /* a host, a server, a user: what the lines below belong to */
    TUI_TONE_CLIENT,  /* a line the client sent */
    TUI_TONE_SERVER,  /* a line the server sent */
    TUI_TONE_DIM,     /* closed, gone, explanations */
    TUI_TONE_GOOD,    /* up, open */
    TUI_TONE_BAD,     /* down, refused, failed */
    TUI_TONE_STEP,    /* a walkthrough step */
} tui_tone_t;

typedef enum tui_ref_kind {
    TUI_REF_NONE,
    TUI_REF_HOST,    /* index: the net's host index */
    TUI_REF_SESSION, /* id: session */
    TUI_REF_LINE,    /* id: session, index: line */
    TUI_REF_QUEUE,   /* index: server, sub: queue row */
    TUI_REF_MESSAGE, /* index: store (tui_view_store_at), sub: user, folder, id: uid */
    TUI_REF_EVENT,   /* index: filtered log index */
} tui_ref_kind_t;

typedef struct tui_ref {
    tui_ref_kind_t kind;
    size_t index, sub, folder;
    int64_t id;
} tui_ref_t;

typedef struct tui_row {
    char *text;
    tui_tone_t tone;
    tui_ref_t ref;
} tui_row_t;

typedef struct tui_rows {
    tui_row_t *items;
    size_t count, cap;
} tui_rows_t;

void tui_rows_init(tui_rows_t *r);
/* Frees the texts and the array. */
void tui_rows_free(tui_rows_t *r);
/* Frees the texts, keeps the array. */
void tui_rows_reset(tui_rows_t *r);
/* Adds a row with a formatted text; returns it so the caller can set a ref. */
tui_row_t *tui_rows_add(tui_rows_t *r, tui_tone_t tone, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Hosts (state, address, role) and connections (ends, service, state). */
void tui_view_network(const tui_model_t *m, tui_rows_t *out);
/*
 * The transcript of the session the model shows: a heading, then "C: ..."
 * and "S: ..." lines; with explain, each reply is followed by its meaning.
 */
void tui_view_transcript(const tui_model_t *m, bool explain, tui_rows_t *out);
/* Each server's queue: entries, attempts, and the next attempt as a countdown. */
void tui_view_queues(const tui_model_t *m, tui_rows_t *out);
/* Stores (servers, then clients that fetched): users, folders, messages, flags, removals. */
void tui_view_mailboxes(const tui_model_t *m, tui_rows_t *out);
/* count log rows from the filtered index first. */
void tui_view_log(const tui_model_t *m, size_t first, size_t count, tui_rows_t *out);

/* "next in 4m59s", "sending now", "due now": the countdown of a queue entry at now. */
void tui_view_countdown(const tui_model_t *m, bool in_flight, sim_time_t next, buf_t *out);
/* The service a port is: "SMTP", "submission", "POP3", "IMAP", or "port N". */
const char *tui_view_service(int64_t port, char *buf, size_t n);

/* The narration bar: "Step 3 of 6: ..." or the title and a hint before the first step. */
void tui_view_narration(const tui_model_t *m, buf_t *out);

/* The stores the mailbox view lists, in order: servers' stores then clients' local ones. */
size_t tui_view_store_count(const tui_model_t *m);
/* The i-th store and its owner's host name (borrowed); NULL past the end. */
store_t *tui_view_store_at(const tui_model_t *m, size_t i, const char **host);

/* What Enter shows on a row: a message's source and MIME tree, an event's fields... */
void tui_inspect(const tui_model_t *m, const tui_ref_t *ref, tui_rows_t *out);

/* Every pane's text, for tests comparing two states. The caller frees. */
char *tui_view_dump(const tui_model_t *m);

#endif
