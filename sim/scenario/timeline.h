/*
 * timeline: a scenario's timeline on a world's scheduler. Every action is
 * scheduled at its `at` when the timeline is made, in file order, so actions
 * at the same time run in file order (the scheduler keeps insertion order
 * for equal times). A down or crash with `for` schedules its up at the same
 * moment, so it too keeps its entry's place among ties.
 *
 * send: the client composes and submits (agent_send), through its server or
 * straight to `via`. down/up/crash: the world's faults. link: the path's
 * current properties with the given ones changed. dns: remove_mx, set_mx.
 * traffic: N messages from random senders to random recipients, evenly
 * spread over `over`, drawn from a PRNG seeded from the world's; the messages
 * are labelled "t1", "t2" ... numbered across every traffic action in file
 * order. A sender without a client of its own sends from a generator host
 * "USER-traffic.DOMAIN" made for it.
 *
 * fetch: the client reads its mail with POP3 (agent_fetch) or IMAP
 * (agent_fetch_imap, the folder's unseen messages). imap: one IMAP session
 * for the operation (agent_imap). session: the lines typed by hand. An
 * action that cannot start (no such client, no such service) gets one
 * notice line and is skipped.
 */
#ifndef MAILSIM_SCENARIO_TIMELINE_H
#define MAILSIM_SCENARIO_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "node/world.h"
#include "scenario/build.h"
#include "scenario/config.h"

typedef struct timeline timeline_t;

/*
 * Schedules every action of sc on w. notice (NULL: standard error) gets the
 * lines about skipped or failed actions. sc and w outlive the timeline.
 * The caller frees with timeline_free.
 */
timeline_t *timeline_new(const scenario_t *sc, world_t *w, scenario_notice_fn notice,
                         void *notice_ctx);
/* Cancels what has not run yet and frees; call it before world_free. */
void timeline_free(timeline_t *t);

/* Timeline entries whose action has run (a traffic entry once its first message left). */
size_t timeline_actions_run(const timeline_t *t);
/* Entries skipped because their action is not simulated yet. */
size_t timeline_actions_skipped(const timeline_t *t);
/* Messages the traffic generators have handed to agents so far. */
uint64_t timeline_traffic_sent(const timeline_t *t);

#endif
