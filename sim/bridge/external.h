/*
 * external: simulated hosts played by real servers. The bridge listens on
 * the host's port in the simulation; each simulated connection that
 * arrives there (a simulated MTA delivering mail) is carried out over a
 * real TCP connection to the real server, and the bytes are pumped both
 * ways by the same machinery as the maps of bridge.h. A real server that
 * refuses, or cannot be reached, resets the simulated connection, so the
 * MTA defers the mail as it would on the Internet.
 *
 * The real server runs no engine of ours, so the bridge traces what passes
 * as SMTP lines: smtp.command for each command line the simulated client
 * sends (the message text after DATA is left out, as the simulated servers
 * do) and smtp.reply for each reply line, at the external host.
 */
#ifndef MAILSIM_BRIDGE_EXTERNAL_H
#define MAILSIM_BRIDGE_EXTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/bridge.h"

/*
 * host (a host of the world with no listener on sim_port) is played by the
 * real server at real_addr:real_port (IPv4, host byte order; loopback
 * unless the bridge was made with listen_any). 0, or -1 and a message in
 * err.
 */
int bridge_external(bridge_t *b, const char *host, uint16_t sim_port, uint32_t real_addr,
                    uint16_t real_port, char *err, size_t errlen);

#endif
