/*
 * session: a hand-typed session, as a student types at telnet. The agent
 * connects to a server's port and sends each line once the reply to the
 * previous one is complete. What "complete" means depends on the protocol
 * the port speaks: SMTP's last line of a multi-line reply has a space after
 * the code; POP3 answers one line, or a dot-terminated block after +OK to
 * LIST, UIDL, RETR, TOP and CAPA; IMAP's reply ends with the line tagged
 * like the command. The server's side traces every command and reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/tcp.h"
#include "node/node_private.h"
#include "node/watchdog.h"

typedef enum session_proto { PROTO_SMTP, PROTO_POP3, PROTO_IMAP } session_proto_t;

typedef struct typed_session {
    agent_task_t task; /* first: the agent's list of what is in progress */
    user_agent_t *agent;
    session_proto_t proto;
    char **lines;
    size_t nlines, next;
    tcp_conn_t *conn;
    buf_t in;              /* bytes of the reply being read */
    bool greeted;          /* the greeting has been read */
    bool multiline;        /* POP3: the reply to this command is a block */
    bool in_block;         /* POP3: +OK seen, reading the block */
    bool in_data;          /* SMTP: after 354, lines go without waiting, up to "." */
    bool closing;          /* every line sent and answered */
    char tag[64];          /* IMAP: the tag of the command sent */
    watchdog_t silence;    /* the server has gone quiet */
} typed_session_t;

static void typed_dispose(agent_task_t *task)
{
    typed_session_t *t = (typed_session_t *)task;
    watchdog_stop(&t->silence);
    for (size_t i = 0; i < t->nlines; i++)
        free(t->lines[i]);
    free(t->lines);
    buf_free(&t->in);
    free(t);
}

static void typed_free(typed_session_t *t)
{
    agent_task_remove(&t->task);
    typed_dispose(&t->task);
}

static bool pop3_block_command(const char *line)
{
    static const char *const verbs[] = {"RETR ", "TOP ", "CAPA"};
    for (size_t i = 0; i < ARRAY_LEN(verbs); i++)
        if (str_has_prefix_ci(line, verbs[i]))
            return true;
    /* LIST and UIDL answer a block without an argument, one line with one. */
    return str_casecmp(line, "LIST") == 0 || str_casecmp(line, "UIDL") == 0;
}

static void send_line(typed_session_t *t, const char *line)
{
    tcp_send(t->conn, line, strlen(line));
    tcp_send(t->conn, "\r\n", 2);
}

static void send_next(typed_session_t *t)
{
    /* RFC 5321 4.1.1.4: after 354 the message lines get no reply until the lone dot. */
    while (t->in_data && t->next < t->nlines) {
        const char *line = t->lines[t->next++];
        send_line(t, line);
        if (strcmp(line, ".") == 0) {
            t->in_data = false;
            return;
        }
    }
    if (t->next >= t->nlines) {
        t->closing = true;
        tcp_close(t->conn);
        return;
    }
    const char *line = t->lines[t->next++];
    t->multiline = t->proto == PROTO_POP3 && pop3_block_command(line);
    t->in_block = false;
    size_t taglen = strcspn(line, " ");
    str_copy(t->tag, taglen + 1 < sizeof t->tag ? taglen + 1 : sizeof t->tag, line);
    send_line(t, line);
}

/* True when this line (no CRLF) ends the reply being read. */
static bool line_ends_reply(typed_session_t *t, const char *line)
{
    switch (t->proto) {
    case PROTO_SMTP:
        if (strlen(line) >= 4 && line[3] == '-')
            return false;
        t->in_data = strncmp(line, "354", 3) == 0;
        return true;
    case PROTO_POP3:
        if (t->in_block)
            return strcmp(line, ".") == 0;
        if (t->greeted && t->multiline && strncmp(line, "+OK", 3) == 0) {
            t->in_block = true;
            return false;
        }
        return true;
    case PROTO_IMAP:
        if (!t->greeted)
            return true;
        return strncmp(line, t->tag, strlen(t->tag)) == 0 && line[strlen(t->tag)] == ' ';
    }
    return true;
}

static void on_data(tcp_conn_t *c, const uint8_t *data, size_t len, void *ctx)
{
    typed_session_t *t = ctx;
    if (t->closing)
        return;
    watchdog_touch(&t->silence);
    buf_append(&t->in, data, len);
    while (!t->closing) {
        uint8_t *nl = memchr(t->in.data, '\n', t->in.len);
        if (!nl)
            return;
        size_t n = (size_t)(nl - t->in.data) + 1;
        char *line = xstrndup((const char *)t->in.data, n);
        line[strcspn(line, "\r\n")] = '\0';
        buf_consume(&t->in, n);
        bool done = line_ends_reply(t, line);
        free(line);
        if (done) {
            t->greeted = true;
            send_next(t);
        }
    }
}

static void on_peer_closed(tcp_conn_t *c, void *ctx)
{
    tcp_close(c);
}

static void on_closed(tcp_conn_t *c, void *ctx)
{
    typed_free(ctx);
}

static void on_error(tcp_conn_t *c, tcp_error_t err, void *ctx)
{
    typed_free(ctx);
}

static void on_silence(void *arg)
{
    typed_session_t *t = arg;
    tcp_conn_t *c = t->conn;
    t->conn = NULL;
    if (c)
        tcp_abort(c);
    typed_free(t);
}

static void on_connected(tcp_conn_t *c, void *ctx)
{
    typed_session_t *t = ctx;
    watchdog_start(&t->silence, t->agent->world->sim->sched, CLIENT_SILENCE_TIMEOUT, on_silence,
                   t);
}

static const tcp_callbacks_t typed_callbacks = {
    .on_connected = on_connected,
    .on_data = on_data,
    .on_peer_closed = on_peer_closed,
    .on_closed = on_closed,
    .on_error = on_error,
};

bool agent_session(user_agent_t *a, const char *server_host, uint16_t port,
                   const char *const *lines, size_t nlines, char *err, size_t errlen)
{
    world_t *w = agent_world(a);
    host_t *to = net_host_by_name(w->net, server_host);
    if (!to) {
        snprintf(err, errlen, "no host %s", server_host);
        return false;
    }
    typed_session_t *t = xcalloc(1, sizeof *t);
    t->agent = a;
    agent_task_add(a, &t->task, typed_dispose);
    t->proto = PROTO_SMTP;
    mail_server_t *s = world_server_by_host(w, server_host);
    if (s && port == s->cfg.pop3_port)
        t->proto = PROTO_POP3;
    else if (s && port == s->cfg.imap_port)
        t->proto = PROTO_IMAP;
    t->lines = xcalloc(nlines + 1, sizeof *t->lines);
    for (size_t i = 0; i < nlines; i++)
        t->lines[i] = xstrdup(lines[i]);
    t->nlines = nlines;
    t->conn = tcp_connect(w->net, agent_host(a), host_addr(to), port, &typed_callbacks, t);
    return true;
}
