/*
 * watchdog: "nothing heard for this long" timers, for both ends of a
 * session: a server's idle timeout (RFC 5321 4.5.3.2, RFC 1939 3) and a
 * client that gives up on a silent server. Touching a watchdog does not move
 * its scheduler event, which would leave one cancelled event per packet in
 * the heap for the whole timeout; the event stays put and, firing early,
 * re-arms for the time still left.
 */
#ifndef MAILSIM_NODE_WATCHDOG_H
#define MAILSIM_NODE_WATCHDOG_H

#include "core/sched.h"

typedef struct watchdog {
    /* first, what watchdog_touch reads and writes with every arrival */
    sched_t *sched;
    sim_time_t last;
    sched_id_t timer;
    sim_time_t timeout;
    void (*fire)(void *arg);
    void *arg;
} watchdog_t;

/* Starts it: fire(arg) runs once timeout passes with no watchdog_touch. */
void watchdog_start(watchdog_t *wd, sched_t *sched, sim_time_t timeout, void (*fire)(void *),
                    void *arg);
void watchdog_touch(watchdog_t *wd);
void watchdog_stop(watchdog_t *wd);

#endif
