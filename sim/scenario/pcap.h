/*
 * pcap: a trace subscriber that writes every tcp.segment event as one frame
 * of a classic pcap file (not pcapng), linktype 1 (Ethernet), so Wireshark or
 * tshark can open a run and follow its TCP streams.
 *
 * Each frame is rebuilt from the event: an Ethernet II header with made-up
 * but fixed MACs (02:00 followed by the host's IPv4 address), an IPv4 header
 * (DF set, TTL 64, an identification counter per source address, a correct
 * header checksum), a 20-byte TCP header (flags from the event's flags
 * string, window, checksum over the pseudo-header) and the payload. Time
 * stamps are the event's virtual time. tcp.retransmit and tcp.drop are
 * ignored: a retransmitted segment also shows as its own tcp.segment.
 *
 * The file is written little-endian whatever the machine, so one scenario
 * and seed give a byte-identical file everywhere.
 */
#ifndef MAILSIM_SCENARIO_PCAP_H
#define MAILSIM_SCENARIO_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/trace.h"

typedef struct pcap_writer pcap_writer_t;

/* The largest frame a record holds: Ethernet (14) + the largest IPv4 packet. */
#define PCAP_SNAPLEN 262144u
#define PCAP_LINKTYPE_ETHERNET 1u

/*
 * Creates (or truncates) the file at path and writes the global header.
 * Returns NULL and a message in err (errlen bytes) when the file cannot be
 * opened. The caller closes with pcap_writer_close.
 */
pcap_writer_t *pcap_writer_open(const char *path, char *err, size_t errlen);

/*
 * Writes into out (appended, starting with the global header); the caller
 * keeps out and frees it after pcap_writer_close. For tests and in-memory
 * captures.
 */
pcap_writer_t *pcap_writer_to_buf(buf_t *out);

/* A trace_fn: trace_subscribe(&sim->trace, pcap_writer_on_event, writer). */
void pcap_writer_on_event(void *ctx, const trace_event_t *ev);

/* Records written so far. */
uint64_t pcap_writer_records(const pcap_writer_t *w);

/*
 * Flushes, closes and frees the writer (unsubscribe it first). Returns 0, or
 * -1 when a write failed at any time (the file is then incomplete).
 */
int pcap_writer_close(pcap_writer_t *w);

#endif
