/*
 * imap_server_int: what the IMAP server engine's files share and nothing
 * else sees: the engine's struct, the session's view of its selected folder,
 * the response builder, the command table's types, and the parse and apply
 * functions that imap_cmd*.c, imap_fetch.c and imap_search.c define.
 */
#ifndef MAILSIM_PROTO_IMAP_SERVER_INT_H
#define MAILSIM_PROTO_IMAP_SERVER_INT_H

#include "proto/imap_parse.h"
#include "proto/imap_server.h"
#include "proto/line.h"

/* One message as this session last saw and reported it. */
typedef struct imap_view_msg {
    uint32_t uid;
    uint32_t flags;    /* STORE_FLAG_* last reported, \Recent excluded */
    uint64_t keywords; /* a hash of the keywords last reported */
    bool recent;       /* this session is the one that holds its \Recent */
} imap_view_msg_t;

/*
 * The session's view of its selected folder (RFC 3501 2.3.1.2): index + 1 is
 * the message sequence number this session uses. It lags the store until
 * the session is allowed to tell the client (imap_view_sync).
 */
typedef struct imap_view {
    store_folder_t *folder; /* NULL when nothing is selected */
    bool read_only;         /* EXAMINE */
    imap_view_msg_t *msgs;
    uint32_t count, cap;
    uint32_t last_uid; /* the highest UID the session has announced */
    char **keywords;   /* keywords announced in the FLAGS response */
    size_t keyword_count;
} imap_view_t;

/* A response line being built: the bytes to send, and the line to trace. */
typedef struct imap_resp {
    buf_t wire;
    buf_t trace; /* the same with each literal's data left out */
} imap_resp_t;

struct imap_server {
    imap_server_config_t cfg;
    char *hostname;
    imap_server_hooks_t hooks;
    imap_server_state_t state;
    line_reader_t reader;
    store_user_t *user; /* NULL until LOGIN or AUTHENTICATE succeeds */
    imap_view_t view;
    bool closing;
    /* The command being assembled: its lines joined by CRLF, literals inline. */
    buf_t cmd;
    bool assembling;            /* a line ending in a literal was read; more is to come */
    const char *refused;        /* the command's literal was refused: the reply's text */
    const char *refused_status; /* and its status, BAD or NO */
    bool discarding;            /* reading a refused literal's bytes without keeping them */
    char tag[IMAP_TAG_MAX + 1]; /* the command's tag, "*" when it had none */
    char verb[32];              /* its name for tracing, "" when none */
    imap_resp_t resp;           /* scratch for one response line */
};

/* --- responses (imap_server.c) ------------------------------------------ */

void imap_resp_reset(imap_resp_t *r);
void imap_resp_printf(imap_resp_t *r, const char *fmt, ...) MS_PRINTF(2, 3);
void imap_resp_append(imap_resp_t *r, const void *data, size_t len);
/* A literal: "{n}" CRLF and the bytes on the wire, "{n}" in the trace. */
void imap_resp_literal(imap_resp_t *r, const void *data, size_t len);
/* A string: quoted when it can be (7-bit, no CR, LF or NUL), else a literal. */
void imap_resp_string(imap_resp_t *r, const char *data, size_t len);
/* NIL for NULL, else a string. */
void imap_resp_nstring(imap_resp_t *r, const char *s);
/* Sends the line with CRLF and traces it under tag and word. */
void imap_resp_send(imap_server_t *s, imap_resp_t *r, buf_t *out, const char *tag,
                    const char *word);
/* "* " and the formatted text, traced under word. */
void imap_untagged(imap_server_t *s, buf_t *out, const char *word, const char *fmt, ...)
    MS_PRINTF(4, 5);
/* "TAG STATUS text" with the current command's tag. */
void imap_tagged(imap_server_t *s, buf_t *out, const char *status, const char *fmt, ...)
    MS_PRINTF(4, 5);
/* The capability list after "CAPABILITY ", into out. */
void imap_capabilities(const imap_server_t *s, buf_t *out);
/* The only way to change state. */
void imap_server_set_state(imap_server_t *s, imap_server_state_t to);

/* --- the selected folder (imap_view.c) ---------------------------------- */

/* Selects f: the SELECT/EXAMINE untagged responses; takes \Recent when read-write. */
void imap_view_open(imap_server_t *s, store_folder_t *f, bool read_only, buf_t *out);
/* Forgets the selected folder (no responses). */
void imap_view_close(imap_server_t *s);
/*
 * Tells the client what changed since it last heard: EXPUNGE (only when
 * expunge_ok: RFC 3501 7.4.1), FETCH FLAGS for changed flags, FLAGS for new
 * keywords, EXISTS and RECENT for new messages.
 */
void imap_view_sync(imap_server_t *s, buf_t *out, bool expunge_ok);
/* The store's message behind view index i, or NULL once it was expunged. */
const store_msg_t *imap_view_msg(const imap_server_t *s, uint32_t i);
/* The view index of a UID, or -1. */
int64_t imap_view_find(const imap_server_t *s, uint32_t uid);
/*
 * The view indices a set names, ascending, in a fresh array (*out, the
 * caller frees; NULL when none). By UID: UIDs not in the view are skipped.
 * By sequence number: false when a number is past the last message.
 */
bool imap_view_resolve(const imap_server_t *s, const imap_seqset_t *set, bool uid, uint32_t **out,
                       size_t *n_out);
/* Sends FLAGS again when a message has a keyword it did not name (RFC 3501 7.2.6). */
void imap_view_announce_keywords(imap_server_t *s, buf_t *out);
/* Appends "(\Seen kw...)" for message m at view index i and records it as reported (r may
 * be NULL: only recorded). */
void imap_view_flags(imap_server_t *s, uint32_t i, const store_msg_t *m, imap_resp_t *r);

/* --- commands ----------------------------------------------------------- */

typedef struct imap_fetch imap_fetch_t;
typedef struct imap_search imap_search_t;

/* A command's arguments as its parse found them, for its apply. */
typedef struct imap_args {
    bool uid;           /* the UID form of the command */
    buf_t s1, s2;       /* astrings: user and password, mailbox and new name, reference... */
    imap_seqset_t set;  /* FETCH STORE COPY MOVE, UID EXPUNGE */
    imap_flags_t flags; /* STORE, APPEND */
    store_flag_op_t op; /* STORE */
    bool silent;        /* STORE .SILENT */
    sim_time_t date;    /* APPEND */
    bool has_date;
    unsigned status_items[5]; /* STATUS, in the order asked */
    size_t status_count;
    const uint8_t *data; /* APPEND's message: in the command buffer */
    size_t data_len;
    imap_fetch_t *fetch;
    imap_search_t *search;
} imap_args_t;

/* How a command ended: the tagged status and text, or status NULL when it answers later. */
typedef struct imap_result {
    const char *status; /* "OK", "NO", "BAD" */
    buf_t text;
    bool no_sync; /* the command reported everything itself (SELECT, CLOSE, LOGOUT) */
} imap_result_t;

void imap_result_set(imap_result_t *res, const char *status, const char *fmt, ...) MS_PRINTF(3, 4);

/* Which states a command is valid in (bits of 1 << imap_server_state_t). */
#define IMAP_IN(st) (1u << IMAP_SERVER_##st)
#define IMAP_IN_ANY (IMAP_IN(NOT_AUTHENTICATED) | IMAP_IN(AUTHENTICATED) | IMAP_IN(SELECTED))
#define IMAP_IN_AUTH (IMAP_IN(AUTHENTICATED) | IMAP_IN(SELECTED))

/*
 * A command, after OpenSMTPD's table: parse is pure (the arguments after the
 * name, false with ps->error for BAD), apply acts and says how it ended.
 */
typedef struct imap_command {
    const char *name;
    unsigned states;
    unsigned cap;    /* the IMAP_CAP_* it needs, or 0 */
    bool uid_form;   /* may follow "UID" */
    bool expunge_ok; /* EXPUNGE responses may go out at its end (RFC 3501 7.4.1) */
    bool (*parse)(imap_parser_t *ps, imap_args_t *a);
    void (*apply)(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
} imap_command_t;

/* The command of a name (upper case), or NULL; uid: after "UID". */
const imap_command_t *imap_command_find(const char *name, bool uid);
/* Frees what parse put in a. */
void imap_args_free(imap_args_t *a);

/* Helpers for the parse functions. */
bool imap_parse_no_args(imap_parser_t *ps, imap_args_t *a);
/* Decodes a mailbox name from the wire (modified UTF-7) to UTF-8; NULL with *why. */
char *imap_mailbox_decode(const buf_t *wire, const char **why);
/* Appends a UTF-8 folder name as the client sees it: modified UTF-7, as a string. */
void imap_resp_mailbox(imap_resp_t *r, const char *utf8);

/* imap_cmd_mailbox.c */
bool imap_parse_mailbox(imap_parser_t *ps, imap_args_t *a);
bool imap_parse_two_mailboxes(imap_parser_t *ps, imap_args_t *a);
bool imap_parse_list(imap_parser_t *ps, imap_args_t *a);
bool imap_parse_status(imap_parser_t *ps, imap_args_t *a);
bool imap_parse_append(imap_parser_t *ps, imap_args_t *a);
void imap_apply_select(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_examine(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_create(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_delete(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_rename(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_subscribe(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_unsubscribe(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_list(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_lsub(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_status(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_append(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);

/* imap_cmd_selected.c */
bool imap_parse_store(imap_parser_t *ps, imap_args_t *a);
bool imap_parse_copy(imap_parser_t *ps, imap_args_t *a);
bool imap_parse_expunge(imap_parser_t *ps, imap_args_t *a);
void imap_apply_check(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_close(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_unselect(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_expunge(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_store(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_copy(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_apply_move(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);

/* imap_fetch.c */
bool imap_parse_fetch(imap_parser_t *ps, imap_args_t *a);
void imap_apply_fetch(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_fetch_free(imap_fetch_t *f);

/* imap_body.c: what FETCH writes of a message's structure. */
typedef struct mime_part mime_part_t;
typedef struct header header_t;
/* ENVELOPE (RFC 3501 7.4.2) of a message header. */
void imap_write_envelope(imap_resp_t *r, const header_t *h);
/* BODYSTRUCTURE (extended) or BODY (basic) of a part. */
void imap_write_body(imap_resp_t *r, const mime_part_t *part, bool extended);

/* imap_search.c */
bool imap_parse_search(imap_parser_t *ps, imap_args_t *a);
void imap_apply_search(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res);
void imap_search_free(imap_search_t *q);

/* imap_cmd.c: IDLE's DONE and the AUTHENTICATE exchange, read by imap_server.c. */
void imap_idle_line(imap_server_t *s, const char *line, size_t len, buf_t *out);
void imap_auth_line(imap_server_t *s, const char *line, size_t len, buf_t *out);

#endif
