/*
 * expect: judging a scenario's expectations against a running world. The
 * engine subscribes to the trace bus and keeps the events its checks can
 * match; mailbox and queue checks read the world's stores and queues when
 * judged. An expectation with `at` is judged at that virtual time (a
 * scheduler event); the rest when the run ends (expect_engine_finish).
 *
 * A failed expectation's detail says what was found instead, in a student's
 * words: "expected 1 message in roberto@roberto.example INBOX by 1h, found 0;
 * it is still queued at mail.alice.example, next attempt at 1h30m".
 */
#ifndef MAILSIM_SCENARIO_EXPECT_H
#define MAILSIM_SCENARIO_EXPECT_H

#include "node/world.h"
#include "scenario/config.h"
#include "scenario/report.h"

typedef struct expect_engine expect_engine_t;

/* Subscribes to w's trace bus and schedules the `at` judgments. sc and w outlive the engine. */
expect_engine_t *expect_engine_new(const scenario_t *sc, world_t *w);
/* Judges every expectation not judged yet, at the current virtual time. */
void expect_engine_finish(expect_engine_t *e);
/*
 * Fills r->expectations, r->nexpectations, r->score and r->max_score (r owns
 * them afterwards; run_result_free frees them). Call after finish.
 */
void expect_engine_results(expect_engine_t *e, run_result_t *r);
/* Unsubscribes and frees. */
void expect_engine_free(expect_engine_t *e);

/*
 * Whether expectation i (in scenario order) has been judged yet; when it has,
 * *passed and *detail (borrowed until expect_engine_free; either may be NULL)
 * tell how. For the TUI and tests: an `at` judgment happens mid-run.
 */
bool expect_engine_judged(const expect_engine_t *e, size_t i, bool *passed, const char **detail);
/*
 * The engine's memory, for tests and benchmarks: how many trace event copies
 * it holds (at most one per mailbox check: the bounce of its mail), and how
 * many events passed its kind filter (an event of a kind no check names is
 * dropped before any field is compared).
 */
size_t expect_engine_kept(const expect_engine_t *e);
uint64_t expect_engine_examined(const expect_engine_t *e);

/* True when ev matches every field of m (strings exactly, numbers as numbers) and its contains. */
bool scenario_match_event(const scenario_match_t *m, const trace_event_t *ev);

#endif
