/*
 * imap_fixture: a store with Roberto's account and a few messages, and IMAP
 * server sessions on it that tests drive with strings, shared by the
 * test_imap_* suites.
 */
#ifndef MAILSIM_TESTS_IMAP_FIXTURE_H
#define MAILSIM_TESTS_IMAP_FIXTURE_H

#include "mail/store.h"
#include "proto/imap_server.h"

/* A multipart/mixed message with a text part and a PDF attachment. */
extern const char imap_fixture_multipart[];

typedef struct imap_world {
    store_t *store;
    store_user_t *roberto;
    sim_time_t now;
} imap_world_t;

typedef struct imap_session {
    imap_world_t *world;
    imap_server_t *s;
    buf_t out;   /* the last exchange's output */
    buf_t trace; /* "C tag verb line" and "S tag word line", one per line */
} imap_session_t;

/* A store with user roberto (password "secret") and an empty INBOX. */
void imap_world_init(imap_world_t *w);
void imap_world_free(imap_world_t *w);
/* Delivers a message to INBOX at time t (seconds of virtual time); returns its UID. */
uint32_t imap_world_deliver(imap_world_t *w, const char *text, int64_t seconds);

/* A started session (the greeting is in out). caps: IMAP_CAP_* offered. */
void imap_session_open(imap_session_t *c, imap_world_t *w, unsigned caps);
void imap_session_close(imap_session_t *c);
/* Feeds input and returns everything the engine answered to it. */
const char *imap_io(imap_session_t *c, const char *input);
/* Logs in as roberto and, when folder is not NULL, selects it; the output is dropped. */
void imap_session_login(imap_session_t *c, const char *folder);
/* The store changed: the engine is told; returns what it sent. */
const char *imap_notify(imap_session_t *c);

#endif
