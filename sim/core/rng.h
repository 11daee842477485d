/*
 * rng: the seeded pseudo-random generator, xoshiro256** (Blackman and Vigna),
 * seeded through splitmix64. One per world; nothing in the simulation calls
 * rand() or reads the clock, so a seed fixes every random choice.
 */
#ifndef MAILSIM_CORE_RNG_H
#define MAILSIM_CORE_RNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng_t;

void rng_seed(rng_t *r, uint64_t seed);
uint64_t rng_next(rng_t *r);
/* Uniform in [0, 1). */
double rng_double(rng_t *r);
/* Uniform in [0, n), without modulo bias; 0 when n is 0. */
uint64_t rng_below(rng_t *r, uint64_t n);
/* True with probability p (p <= 0 never, p >= 1 always). */
bool rng_chance(rng_t *r, double p);

#endif
