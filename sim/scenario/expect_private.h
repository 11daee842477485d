/*
 * expect_private: what the expectation engine's files share. expect.c owns
 * the engine (the trace subscription, the tallies, the `at` judgments);
 * expect_world.c judges the checks that read the world (mailbox, queue);
 * expect_events.c judges the checks that count events (event, order);
 * expect_words.c writes the details in a student's words.
 *
 * Event and order checks keep no events: each keeps a running tally (how many
 * matched, the first few times, the nth match's time, how far the order has
 * got), frozen once the check is judged, so a run of 100,000 messages costs
 * a few counters. Mailbox checks keep at most one copy, the first bounce of
 * the mail they wait for, to say where it went.
 */
#ifndef MAILSIM_SCENARIO_EXPECT_PRIVATE_H
#define MAILSIM_SCENARIO_EXPECT_PRIVATE_H

#include "core/buf.h"
#include "scenario/expect.h"

/* How many match times a detail lists before "and N more". */
#define EXPECT_TIMES_SHOWN 5

typedef struct expect_item expect_item_t;

/* A running count of one matcher's matches. */
typedef struct expect_tally {
    uint64_t count;
    sim_time_t times[EXPECT_TIMES_SHOWN]; /* the first matches' times */
    sim_time_t nth_time;                  /* event nth: the nth match's time, or -1 */
} expect_tally_t;

/* An order check's progress, matched greedily as events happen. */
typedef struct expect_order {
    size_t next;            /* steps matched so far: the one waited for */
    sim_time_t *step_time;  /* when each matched step happened */
    sim_time_t *first_seen; /* the first match of each step at all, or -1 */
    uint64_t *first_serial; /* the engine's serial of that first match */
    uint64_t *step_serial;  /* the serial of the event that took each matched step */
} expect_order_t;

/* What happened to the mail a mailbox check waits for. */
typedef struct expect_mailnote {
    trace_event_t *bounce; /* the first queue.bounce for it (a copy), or NULL */
    uint64_t removed;      /* messages deleted or expunged from its folder */
    sim_time_t first_removed;
} expect_mailnote_t;

struct expect_item {
    expect_engine_t *engine;
    const scenario_expect_t *spec;
    expect_tally_t tally;   /* event checks */
    expect_order_t order;   /* order checks */
    expect_mailnote_t note; /* mailbox checks */
    sched_id_t timer;       /* the pending `at` judgment, or 0 */
    bool judged, passed;
    char *detail;
};

/* One check (or one order step) that wants to hear events of some kind. */
typedef struct expect_watch {
    expect_item_t *item;
    size_t step; /* the order step; 0 for other checks */
} expect_watch_t;

typedef struct expect_watch_list {
    expect_watch_t *v;
    size_t n, cap;
} expect_watch_list_t;

struct expect_engine {
    const scenario_t *sc;
    world_t *w;
    sim_t *sim;
    expect_item_t *items;
    size_t nitems;
    expect_watch_list_t by_kind[TRACE_KIND_COUNT];
    expect_watch_list_t any_kind; /* matchers without "kind" */
    uint64_t serial;              /* events heard */
    uint64_t examined;            /* events that passed the kind filter */
    size_t kept;                  /* event copies held */
    bool finished;
};

/* ---- judging (expect_world.c, expect_events.c) --------------------------- */

/* min <= found <= max (max -1: no upper bound). */
bool expect_count_holds(const scenario_count_t *c, uint64_t found);

/* Each judges at the current virtual time, writing the detail into out. */
bool expect_judge_mailbox(expect_item_t *it, buf_t *out);
bool expect_judge_queue(expect_item_t *it, buf_t *out);
bool expect_judge_event(expect_item_t *it, buf_t *out);
bool expect_judge_order(expect_item_t *it, buf_t *out);

/* Whether a queue.bounce or mailbox.* event concerns a mailbox check's mail. */
bool expect_mail_concerns(const expect_item_t *it, const trace_event_t *ev);

/* ---- words (expect_words.c) ---------------------------------------------- */

/* " by 1h" when the check has `at`, judged now; "" otherwise. */
void expect_put_by(const expect_item_t *it, buf_t *out);
/*
 * How many a count wants, before a noun: "1", "no", "at least 2", "at most
 * 3", "between 2 and 4". True when the noun after it is plural.
 */
bool expect_put_want(const scenario_count_t *c, buf_t *out);
/* "(want exactly 1)", "(want at least 1)", "(want none)", "(want at most 3)". */
void expect_put_want_range(const scenario_count_t *c, buf_t *out);
/* "message" or "messages" after a number. */
const char *expect_noun(uint64_t n, const char *one, const char *many);
/* A duration as the scenario writes it: "1h30m". */
void expect_put_time(sim_time_t t, buf_t *out);
/* "(at 0s, 30m)", "(at 0s, 30m, 1h, 1h30m, 2h and 3 more)"; nothing for none. */
void expect_put_times(const expect_tally_t *t, buf_t *out);
/* 1st, 2nd, 3rd, 4th, 11th, 21st. */
void expect_put_ordinal(int64_t n, buf_t *out);
typedef enum expect_noun {
    EXPECT_NOUN_ONE,  /* "queue.attempt event at mail.alice.example" */
    EXPECT_NOUN_MANY, /* "queue.attempt events at mail.alice.example" */
    EXPECT_NOUN_BARE, /* "queue.attempt at mail.alice.example": an order step */
} expect_noun_t;
/*
 * A matcher in words: the kind as the noun, then "at HOST", "from A", "to B",
 * and the other fields: "smtp.command events from mail.alice.example with
 * verb=MAIL, line containing "250"".
 */
void expect_put_matcher(const scenario_match_t *m, expect_noun_t noun, buf_t *out);
/* A string quoted for a detail: "Γεια σου". */
void expect_put_quoted(const char *s, buf_t *out);

#endif
