/*
 * export: messages in the two files a mail reader opens. A .eml file is one
 * message exactly as it travels (CRLF line ends, RFC 5322). An mbox file is a
 * folder: each message follows a "From SENDER DATE" separator line, with LF
 * line ends, and in the mboxrd variant every line of a message that matches
 * ">*From " gets one more ">" so that no line can be taken for a separator
 * and reading it back removes exactly one.
 *
 * Everything is written into a caller-owned buf_t; writing the file is the
 * caller's business.
 */
#ifndef MAILSIM_MAIL_EXPORT_H
#define MAILSIM_MAIL_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/time.h"

/* Writes a message as .eml: the bytes as stored, a bare LF made CRLF. */
void export_eml(const uint8_t *data, size_t len, buf_t *out);

typedef struct export_message {
    const uint8_t *data; /* the message, CRLF line ends as stored */
    size_t len;
    const char *envelope_sender; /* MAIL FROM; NULL or "" for the null sender */
    sim_time_t time;             /* when it arrived (virtual time) */
} export_message_t;

/*
 * Writes the messages as one mboxrd file: "From SENDER Mon Sep  7 09:00:00
 * 2026" (MAILER-DAEMON for the null sender), the message with LF line ends
 * and ">From " quoting, and an empty line after it. A message that does not
 * end in a line end gets one.
 */
void export_mbox(const export_message_t *messages, size_t count, buf_t *out);

typedef struct export_mbox_entry {
    char *sender;  /* from the separator line; owned */
    buf_t message; /* CRLF line ends, quoting undone; owned */
} export_mbox_entry_t;

typedef struct export_mbox_list {
    export_mbox_entry_t *items;
    size_t count;
    size_t cap;
} export_mbox_list_t;

/*
 * Reads an mboxrd file back (for tests and for importing a folder): appends
 * one entry per "From " separator. Text before the first separator is
 * skipped. Returns 0, or -1 when there was such text.
 */
int export_mbox_read(const uint8_t *data, size_t len, export_mbox_list_t *list);
void export_mbox_list_free(export_mbox_list_t *list);

#endif
