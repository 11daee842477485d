/*
 * pcap: tcp.segment events rebuilt as Ethernet + IPv4 + TCP frames in a
 * classic pcap file. The format is the libpcap one (a 24-byte global header,
 * then a 16-byte header per record); the frame layouts follow RFC 791
 * (IPv4), RFC 9293 3.1 (TCP header and its pseudo-header checksum) and
 * RFC 1071 (the Internet checksum).
 */
#include "scenario/pcap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define ETH_HEADER_LEN 14
#define IPV4_HEADER_LEN 20
#define TCP_HEADER_LEN 20
/* An IPv4 total length is 16 bits. */
#define PCAP_MAX_PAYLOAD (65535 - IPV4_HEADER_LEN - TCP_HEADER_LEN)

/* The IPv4 identification counter of one source address (open addressing). */
typedef struct ip_id_slot {
    uint32_t addr;
    uint16_t next;
    bool used;
} ip_id_slot_t;

struct pcap_writer {
    FILE *file; /* NULL when writing to out */
    buf_t *out;
    bool failed;
    buf_t frame; /* the frame being built, reused */
    ip_id_slot_t *ids;
    size_t nids, ids_cap; /* ids_cap is a power of two */
    uint64_t records;
};

/* --- bytes ------------------------------------------------------------------ */

static void put16be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32be(uint8_t *p, uint32_t v)
{
    put16be(p, v >> 16);
    put16be(p + 2, v & 0xffffu);
}

static void put16le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *p, uint32_t v)
{
    put16le(p, v & 0xffffu);
    put16le(p + 2, v >> 16);
}

/* RFC 1071: the one's complement sum of 16-bit big-endian words, odd byte padded. */
static uint32_t checksum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += ((uint32_t)p[i] << 8) | p[i + 1];
    if (n % 2)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t checksum_finish(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

/* --- output ----------------------------------------------------------------- */

static void sink_write(pcap_writer_t *w, const void *p, size_t n)
{
    if (w->out) {
        buf_append(w->out, p, n);
        return;
    }
    if (!w->failed && fwrite(p, 1, n, w->file) != n)
        w->failed = true;
}

static void write_global_header(pcap_writer_t *w)
{
    uint8_t h[24];
    put32le(h, 0xa1b2c3d4u); /* microsecond time stamps */
    put16le(h + 4, 2);       /* version 2.4 */
    put16le(h + 6, 4);
    put32le(h + 8, 0);  /* thiszone: UTC */
    put32le(h + 12, 0); /* sigfigs */
    put32le(h + 16, PCAP_SNAPLEN);
    put32le(h + 20, PCAP_LINKTYPE_ETHERNET);
    sink_write(w, h, sizeof(h));
}

static pcap_writer_t *writer_new(FILE *file, buf_t *out)
{
    pcap_writer_t *w = xcalloc(1, sizeof(*w));
    w->file = file;
    w->out = out;
    buf_init(&w->frame);
    write_global_header(w);
    return w;
}

pcap_writer_t *pcap_writer_open(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot create the pcap file: %s", path, strerror(errno));
        return NULL;
    }
    return writer_new(f, NULL);
}

pcap_writer_t *pcap_writer_to_buf(buf_t *out)
{
    return writer_new(NULL, out);
}

uint64_t pcap_writer_records(const pcap_writer_t *w)
{
    return w->records;
}

int pcap_writer_close(pcap_writer_t *w)
{
    if (!w)
        return 0;
    bool failed = w->failed;
    if (w->file && fclose(w->file) != 0)
        failed = true;
    buf_free(&w->frame);
    free(w->ids);
    free(w);
    return failed ? -1 : 0;
}

/* --- IPv4 identification -------------------------------------------------------- */

static ip_id_slot_t *id_slot(ip_id_slot_t *slots, size_t cap, uint32_t addr)
{
    size_t i = (size_t)((addr * 2654435761u) & (cap - 1));
    while (slots[i].used && slots[i].addr != addr)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void id_grow(pcap_writer_t *w)
{
    size_t cap = w->ids_cap ? 2 * w->ids_cap : 16;
    ip_id_slot_t *slots = xcalloc(cap, sizeof(*slots));
    for (size_t i = 0; i < w->ids_cap; i++)
        if (w->ids[i].used)
            *id_slot(slots, cap, w->ids[i].addr) = w->ids[i];
    free(w->ids);
    w->ids = slots;
    w->ids_cap = cap;
}

/* Each source numbers its packets 1, 2, 3... (wrapping at 16 bits). */
static uint16_t id_next(pcap_writer_t *w, uint32_t addr)
{
    if (2 * (w->nids + 1) > w->ids_cap)
        id_grow(w);
    ip_id_slot_t *s = id_slot(w->ids, w->ids_cap, addr);
    if (!s->used) {
        *s = (ip_id_slot_t){.addr = addr, .next = 1, .used = true};
        w->nids++;
    }
    return s->next++;
}

/* --- frames ------------------------------------------------------------------- */

/* RFC 9293 3.1 control bits, from "SYN,ACK", "FIN,PSH,ACK"...; unknown words are ignored. */
static uint8_t tcp_flags_parse(const char *s)
{
    static const struct {
        const char *name;
        uint8_t bit;
    } bits[] = {{"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08},
                {"ACK", 0x10}, {"URG", 0x20}, {"ECE", 0x40}, {"CWR", 0x80}};
    uint8_t flags = 0;
    while (s && *s) {
        size_t n = strcspn(s, ",");
        for (size_t i = 0; i < ARRAY_LEN(bits); i++)
            if (strlen(bits[i].name) == n && str_ncasecmp(s, bits[i].name, n) == 0)
                flags |= bits[i].bit;
        s += n;
        if (*s == ',')
            s++;
    }
    return flags;
}

/* 02:00 then the four bytes of the address: fixed, and readable in Wireshark. */
static void mac_put(uint8_t *p, uint32_t addr)
{
    p[0] = 0x02; /* locally administered, unicast */
    p[1] = 0x00;
    put32be(p + 2, addr);
}

/* How many payload bytes the frame carries: the bytes given, else len zero bytes. */
static size_t payload_size(const trace_event_t *ev)
{
    size_t n = 0;
    if (ev->payload)
        n = ev->payload_len;
    else if (ev->len != TRACE_NONE && ev->len > 0)
        n = (size_t)ev->len;
    return n > PCAP_MAX_PAYLOAD ? PCAP_MAX_PAYLOAD : n;
}

static void ipv4_header_put(uint8_t *ip, const trace_event_t *ev, size_t total, uint16_t id)
{
    memset(ip, 0, IPV4_HEADER_LEN);
    ip[0] = 0x45; /* version 4, IHL 5 words */
    put16be(ip + 2, (uint32_t)total);
    put16be(ip + 4, id);
    put16be(ip + 6, 0x4000); /* DF, fragment offset 0 */
    ip[8] = 64;              /* TTL */
    ip[9] = 6;               /* TCP */
    put32be(ip + 12, ev->src_addr);
    put32be(ip + 16, ev->dst_addr);
    put16be(ip + 10, checksum_finish(checksum_add(0, ip, IPV4_HEADER_LEN)));
}

static uint32_t seq_field(int64_t v)
{
    return v == TRACE_NONE ? 0 : (uint32_t)v;
}

static void tcp_header_put(uint8_t *tcp, const trace_event_t *ev, const uint8_t *payload, size_t n)
{
    memset(tcp, 0, TCP_HEADER_LEN);
    put16be(tcp, ev->src_port);
    put16be(tcp + 2, ev->dst_port);
    put32be(tcp + 4, seq_field(ev->seq));
    put32be(tcp + 8, seq_field(ev->ack));
    tcp[12] = (TCP_HEADER_LEN / 4) << 4; /* data offset in words */
    tcp[13] = tcp_flags_parse(ev->flags);
    put16be(tcp + 14, ev->window);
    /* RFC 9293 3.1: the pseudo-header is source, destination, zero, protocol, TCP length. */
    uint8_t pseudo[12];
    put32be(pseudo, ev->src_addr);
    put32be(pseudo + 4, ev->dst_addr);
    pseudo[8] = 0;
    pseudo[9] = 6;
    put16be(pseudo + 10, (uint32_t)(TCP_HEADER_LEN + n));
    uint32_t sum = checksum_add(0, pseudo, sizeof(pseudo));
    sum = checksum_add(sum, tcp, TCP_HEADER_LEN);
    if (payload)
        sum = checksum_add(sum, payload, n);
    put16be(tcp + 16, checksum_finish(sum));
}

/* Builds the frame into w->frame. */
static void frame_build(pcap_writer_t *w, const trace_event_t *ev)
{
    size_t n = payload_size(ev);
    const uint8_t *payload = ev->payload && n > 0 ? ev->payload : NULL;
    uint8_t h[ETH_HEADER_LEN + IPV4_HEADER_LEN + TCP_HEADER_LEN];
    mac_put(h, ev->dst_addr);
    mac_put(h + 6, ev->src_addr);
    put16be(h + 12, 0x0800); /* IPv4 */
    ipv4_header_put(h + ETH_HEADER_LEN, ev, IPV4_HEADER_LEN + TCP_HEADER_LEN + n,
                    id_next(w, ev->src_addr));
    tcp_header_put(h + ETH_HEADER_LEN + IPV4_HEADER_LEN, ev, payload, n);

    buf_reset(&w->frame);
    buf_reserve(&w->frame, sizeof(h) + n);
    buf_append(&w->frame, h, sizeof(h));
    if (payload) {
        buf_append(&w->frame, payload, n);
        return;
    }
    /* The emitter gave a length but no bytes: zeros keep the sequence space whole. */
    static const uint8_t zeros[1024];
    for (size_t done = 0; done < n; done += sizeof(zeros))
        buf_append(&w->frame, zeros, n - done < sizeof(zeros) ? n - done : sizeof(zeros));
}

void pcap_writer_on_event(void *ctx, const trace_event_t *ev)
{
    pcap_writer_t *w = ctx;
    if (ev->kind != TRACE_TCP_SEGMENT)
        return;
    frame_build(w, ev);
    /* Virtual time starts at 0, which reads as the Unix epoch in Wireshark. */
    sim_time_t t = ev->t < 0 ? 0 : ev->t;
    uint8_t rec[16];
    put32le(rec, (uint32_t)(t / SIM_SEC));
    put32le(rec + 4, (uint32_t)(t % SIM_SEC));
    put32le(rec + 8, (uint32_t)w->frame.len);
    put32le(rec + 12, (uint32_t)w->frame.len);
    sink_write(w, rec, sizeof(rec));
    sink_write(w, w->frame.data, w->frame.len);
    w->records++;
}
