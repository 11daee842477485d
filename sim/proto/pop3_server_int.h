/*
 * pop3_server_int: what the server engine's files share and nothing else
 * sees: the engine's struct, the state setter, the response helpers, and the
 * command table that pop3_server_cmd.c defines.
 */
#ifndef MAILSIM_PROTO_POP3_SERVER_INT_H
#define MAILSIM_PROTO_POP3_SERVER_INT_H

#include "proto/line.h"
#include "proto/pop3_server.h"

struct pop3_server {
    char *hostname;
    char *timestamp; /* NULL: no APOP */
    pop3_server_hooks_t hooks;
    pop3_server_state_t state;
    line_reader_t reader;
    char *user;         /* USER's name in the USER state; the login once logged in */
    bool logged_in;     /* the credentials were right and the maildrop opened */
    bool maildrop_open; /* open_maildrop succeeded and nothing has closed it yet */
    bool closing;
};

/* The longest error text a check writes (the status line stays under 512 octets). */
#define POP3_ERROR_MAX 300

/* A command's arguments as its check found them, for its apply. */
typedef struct pop3_cmd_args {
    bool has_msgno;
    uint32_t msgno;                   /* LIST, RETR, DELE, TOP, UIDL */
    uint32_t lines;                   /* TOP's line count */
    pop3_msg_info_t info;             /* the message msgno, when has_msgno */
    char name[POP3_COMMAND_LINE_MAX]; /* USER, APOP */
    const char *password;             /* PASS: the rest of the line, in the line */
    char digest[MD5_HEX_SIZE];        /* APOP */
    char error[POP3_ERROR_MAX];       /* the check's -ERR text */
} pop3_cmd_args_t;

/* A state bit for a command's states mask. */
#define POP3_IN(state) (1u << POP3_SERVER_##state)

/*
 * A command: states says where it is allowed; check reads the engine, the
 * arguments and (through the read-only hooks stat and message) the
 * maildrop, and writes a->error and returns false when the command must be
 * refused; apply acts and responds.
 */
typedef struct pop3_command {
    const char *verb;
    unsigned states;
    bool (*check)(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a);
    void (*apply)(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out);
} pop3_command_t;

/* The command of a verb (upper case), or NULL. */
const pop3_command_t *pop3_server_command_find(const char *verb);

/* The only way to change state. */
void pop3_server_set_state(pop3_server_t *s, pop3_server_state_t to);
/* Sends "+OK text" (or "+OK" for an empty fmt) and traces it. */
void pop3_server_ok(pop3_server_t *s, buf_t *out, const char *fmt, ...) MS_PRINTF(3, 4);
/* Sends "-ERR text" and traces it. */
void pop3_server_err(pop3_server_t *s, buf_t *out, const char *fmt, ...) MS_PRINTF(3, 4);
/* Sends one line of a listing (CAPA, LIST, UIDL) and traces it. */
void pop3_server_data_line(pop3_server_t *s, buf_t *out, const char *fmt, ...) MS_PRINTF(3, 4);
/* Sends data[0..len) dot-stuffed and the closing ".", tracing only the "." (RFC 1939 3). */
void pop3_server_data_block(pop3_server_t *s, buf_t *out, const uint8_t *data, size_t len);
/* Sends the "." that closes a listing. */
void pop3_server_data_end(pop3_server_t *s, buf_t *out);
/* Ends the maildrop session without deleting anything, if one is open. */
void pop3_server_rollback(pop3_server_t *s);
/* The maildrop's STAT figures (all zero without a stat hook). */
void pop3_server_stat(const pop3_server_t *s, pop3_maildrop_stat_t *out);

#endif
