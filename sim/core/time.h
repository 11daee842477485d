/*
 * time: virtual time and the one parser and formatter for durations, sizes and
 * bit rates that every layer shares. Virtual time is int64 microseconds since
 * the start of a run; nothing in the simulation reads the wall clock.
 */
#ifndef MAILSIM_CORE_TIME_H
#define MAILSIM_CORE_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t sim_time_t;

#define SIM_US ((sim_time_t)1)
#define SIM_MS ((sim_time_t)1000)
#define SIM_SEC ((sim_time_t)1000000)
#define SIM_MIN (60 * SIM_SEC)
#define SIM_HOUR (60 * SIM_MIN)
#define SIM_DAY (24 * SIM_HOUR)
#define SIM_TIME_NEVER INT64_MAX

/*
 * "250ms", "30s", "1h30m", "5d", "0": units us, ms, s, m, h, d, parts combined
 * largest first. A bare "0" is zero. Returns 0, or -1 when s is not a duration
 * (negative, empty, unknown unit, overflow).
 */
int duration_parse(const char *s, sim_time_t *out);
/* Formats t as the parser reads it back: "1h30m", "250ms", "0s". Returns out. */
char *duration_format(sim_time_t t, char *out, size_t n);
/* A clock reading for logs: "0:01:30.250000" (hours:minutes:seconds.micro). */
char *clock_format(sim_time_t t, char *out, size_t n);

/*
 * Sizes: a plain number of bytes, or a number with B, KB, MB, GB (powers of
 * 1000) or KiB, MiB, GiB (powers of 1024). Case-insensitive unit. "2KB" = 2000.
 */
int size_parse(const char *s, uint64_t *out);
char *size_format(uint64_t bytes, char *out, size_t n);

/* Bit rates: "100Mbit", "10kbit", "1Gbit", "512bit" (also "Mbps"): bits per second. */
int rate_parse(const char *s, uint64_t *bits_per_s);

#endif
