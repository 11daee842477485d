/*
 * smtp_client_memo: what an engine remembers of the replies it has read, and
 * the memo the world's engines share: a block per state with the reply's
 * octets and what reading them gave, kept only while replies come again.
 * smtp_client.c looks there before it reads a reply (and hands a kept one
 * on in place); see smtp_client_int.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "proto/smtp_client.h"
#include "proto/smtp_client_int.h"

void smtp_client_memo_init(smtp_client_memo_t *m)
{
    m->lent = 0;
    for (size_t i = 0; i < SMTP_CLIENT_MEMOS; i++)
        m->reply[i] = NULL;
}

void smtp_client_memo_release(smtp_client_memo_t *m)
{
    for (size_t i = 0; i < SMTP_CLIENT_MEMOS; i++)
        free(m->reply[i]);
}

smtp_client_memo_t *smtp_client_memo_new(void)
{
    smtp_client_memo_t *m = xmalloc(sizeof *m);
    smtp_client_memo_init(m);
    return m;
}

void smtp_client_memo_free(smtp_client_memo_t *m)
{
    if (!m)
        return;
    smtp_client_memo_release(m);
    free(m);
}

/* The block in *slot, with room for n octets (what it held is gone). */
client_reply_kept_t *smtp_client_kept_block(client_reply_kept_t **slot, size_t n)
{
    client_reply_kept_t *k = *slot;
    if (!k || k->cap < n) {
        free(k);
        size_t cap = (n + 63) & ~(size_t)63;
        k = *slot = xmalloc(sizeof *k + cap);
        k->cap = cap;
        smtp_reply_asm_init(&k->asm);
    }
    return k;
}

/*
 * k holds the reply a has assembled (a may be k's own), read out of
 * bytes[0..n) in the current state.
 */
void smtp_client_kept_fill(smtp_client_t *c, client_reply_kept_t *k, const smtp_reply_asm_t *a,
                      const uint8_t *bytes, size_t n)
{
    k->seen_len = n;
    k->hit = false;
    if (c->state == SMTP_CLIENT_EHLO) /* the only state that reads it (memo_reply) */
        k->info = c->info;
    if (a != &k->asm) {
        k->asm.reply.code = a->reply.code;
        memcpy(k->asm.reply.enhanced, a->reply.enhanced, sizeof k->asm.reply.enhanced);
        memcpy(k->asm.reply.text, a->reply.text, a->text_len + 1);
        k->asm.started = false;
    }
    memcpy(k->bytes, bytes, n);
}

/*
 * Remembers in *slot the reply a has assembled, read out of bytes[0..n) in
 * the current state (or forgets what it held, when the reply is too long).
 */
static void memo_keep_in(smtp_client_t *c, client_reply_kept_t **slot, const smtp_reply_asm_t *a,
                         const uint8_t *bytes, size_t n)
{
    if (n > SMTP_CLIENT_MEMO_KEEP) {
        if (*slot)
            (*slot)->seen_len = 0;
        return;
    }
    smtp_client_kept_fill(c, smtp_client_kept_block(slot, n), a, bytes, n);
}

/*
 * Remembers the reply a has assembled in the engine's own memo, unless
 * hooks hold a reply of it. It stops keeping (and being looked at) in a
 * state where a reply it kept never came again before another replaced it,
 * such as one that names the message: looking there costs a cold read a
 * reply, for nothing.
 */
void smtp_client_memo_keep_own(smtp_client_t *c, const smtp_reply_asm_t *a, const uint8_t *bytes,
                          size_t n)
{
    size_t s = c->state;
    if (c->own_skip & (1u << s) || c->memo.lent)
        return;
    const client_reply_kept_t *own = c->memo.reply[s];
    if (own && own->seen_len && !own->hit) {
        c->own_skip |= (uint16_t)(1u << s);
        return;
    }
    memo_keep_in(c, &c->memo.reply[s], a, bytes, n);
}

/* Remembers the reply a has assembled: in the shared memo (unless hooks
 * hold one of it) and the own. */
void smtp_client_memo_keep(smtp_client_t *c, const smtp_reply_asm_t *a, const uint8_t *bytes,
                           size_t n)
{
    if (c->shared && !c->shared->lent)
        memo_keep_in(c, &c->shared->reply[c->state], a, bytes, n);
    smtp_client_memo_keep_own(c, a, bytes, n);
}

/* Whether data[0..len) starts with the octets k holds. */
static inline bool kept_matches(const client_reply_kept_t *k, const uint8_t *data, size_t len)
{
    return k && k->seen_len && len >= k->seen_len && memcmp(data, k->bytes, k->seen_len) == 0;
}

/*
 * The memo whose reply for the current state (shared, or the engine's own)
 * data starts with, with that reply in *kept, when nobody traces lines;
 * else NULL. Called at a reply's start only (no reply line or part of one
 * read yet).
 */
smtp_client_memo_t *smtp_client_memo_take(smtp_client_t *c, const uint8_t *data, size_t len,
                                     client_reply_kept_t **kept)
{
    if (c->hooks.on_line)
        return NULL;
    size_t s = c->state;
    if (c->shared && kept_matches(c->shared->reply[s], data, len)) {
        *kept = c->shared->reply[s];
        return c->shared;
    }
    if (!(c->own_skip & (1u << s)) && kept_matches(c->memo.reply[s], data, len)) {
        *kept = c->memo.reply[s];
        return &c->memo;
    }
    return NULL;
}

