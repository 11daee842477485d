/*
 * build: a loaded scenario made into a world. The network's default path,
 * MSS and links; DNS latency and MX overrides; the mail servers with their
 * users, queue policy, services and SMTP limits; the clients as user agents
 * on their own hosts, each with its server and password. Addresses are the
 * ones the loader assigned, so a host has the same address in every run.
 *
 * The timeline (scenario/timeline.h) is separate: a world built here is at
 * virtual time 0 with nothing scheduled.
 */
#ifndef MAILSIM_SCENARIO_BUILD_H
#define MAILSIM_SCENARIO_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "node/world.h"
#include "scenario/config.h"

/*
 * Where the builder and the timeline say what they leave out or could not
 * do: one line, no newline, "FILE: JSON.PATH: what". NULL in the options
 * below means standard error.
 */
typedef void (*scenario_notice_fn)(void *ctx, const char *line);

/* Prints line and a newline on standard error. */
void scenario_notice_stderr(void *ctx, const char *line);

/*
 * The world sc describes, seeded with seed (the scenario's own seed, or a
 * --seed override). Returns NULL and a message in err when the world
 * refuses a part of it (which a scenario the loader accepted never causes).
 * The caller frees with world_free; sc need not outlive the world.
 */
world_t *scenario_build(const scenario_t *sc, uint64_t seed, scenario_notice_fn notice,
                        void *notice_ctx, char *err, size_t errlen);

/*
 * The world's configuration of one scenario server; its strings borrow from
 * s. Extensions the SMTP engine lacks are left out; *missing_ext (may be
 * NULL) gets their scenario bits.
 */
void scenario_server_config(const scenario_server_t *s, server_config_t *cfg,
                            unsigned *missing_ext);

/* Replaces the MX records of set->domain with set's (none: the domain has no MX). */
void scenario_dns_set_mx(dns_t *dns, const scenario_mx_set_t *set);

/* SMTP_EXT_* bits (proto/smtp_ext.h) of SCENARIO_EXT bits; *missing gets the rest. */
unsigned scenario_smtp_extensions(unsigned scenario_bits, unsigned *missing);

#endif
