/*
 * line: CRLF framing with a length limit, exact-count reads, and the
 * dot-terminated block helpers shared by the text protocols.
 */
#include "proto/line.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
/* The 32-octet scan, for x86 CPUs that have AVX2, chosen when the program runs. */
#if defined(__SSE2__) && defined(__x86_64__) && defined(__GNUC__)
#define LINE_WIDE 1
#include <immintrin.h>
#endif

void line_reader_init(line_reader_t *lr, size_t max_len)
{
    buf_init(&lr->partial);
    lr->max_len = 0;
    line_reader_set_max(lr, max_len);
    line_reader_reset(lr);
}

void line_reader_free(line_reader_t *lr)
{
    buf_free(&lr->partial);
}

void line_reader_set_max(line_reader_t *lr, size_t max_len)
{
    if (max_len < 3)
        panic("line_reader_set_max: a limit of %zu cannot hold a line", max_len);
    lr->max_len = max_len;
}

void line_reader_reset(line_reader_t *lr)
{
    buf_reset(&lr->partial);
    lr->overflow = 0;
    lr->last_cr = false;
    lr->delivered = false;
    lr->exact_left = 0;
}

bool line_reader_pending(const line_reader_t *lr)
{
    return (!lr->delivered && lr->partial.len > 0) || lr->overflow > 0 || lr->exact_left > 0;
}

void line_reader_expect_bytes(line_reader_t *lr, uint64_t n)
{
    if (line_reader_pending(lr))
        panic("line_reader_expect_bytes: called in the middle of a line");
    lr->exact_left = n;
}

static size_t take_exact(line_reader_t *lr, const uint8_t *in, size_t len, line_t *out)
{
    size_t n = len;
    if ((uint64_t)n > lr->exact_left)
        n = (size_t)lr->exact_left;
    lr->exact_left -= n;
    *out = (line_t){.kind = LINE_BYTES, .text = (const char *)in, .len = n};
    out->last = lr->exact_left == 0;
    return n;
}

/*
 * Keeps octets while the line still fits (content plus a CR, the LF is never
 * stored); counts the rest. So memory per reader is bounded by max_len.
 */
static void keep_bytes(line_reader_t *lr, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    size_t room = lr->max_len - 1 > lr->partial.len ? lr->max_len - 1 - lr->partial.len : 0;
    /* Once a line has overflowed nothing more of it is kept, even if the limit grows. */
    if (lr->overflow > 0)
        room = 0;
    size_t keep = n < room ? n : room;
    buf_append(&lr->partial, p, keep);
    lr->overflow += n - keep;
    lr->last_cr = p[n - 1] == '\r';
}

static void finish_line(line_reader_t *lr, line_t *out)
{
    size_t total = lr->partial.len + lr->overflow;
    size_t content = total - (lr->last_cr ? 1 : 0);
    /* What was kept of the content: the CR is only in partial when nothing overflowed. */
    size_t kept = lr->partial.len - (lr->last_cr && lr->overflow == 0 ? 1 : 0);
    size_t limit = lr->max_len - 2;
    *out = (line_t){.bare_lf = !lr->last_cr, .full_len = content};
    /* A line that lost octets is too long even if the limit grew since. */
    out->kind = content > limit || content > kept ? LINE_TOO_LONG : LINE_TEXT;
    lr->partial.len = kept < limit ? kept : limit;
    if (lr->partial.data)
        lr->partial.data[lr->partial.len] = '\0';
    out->text = buf_cstr(&lr->partial);
    out->len = lr->partial.len;
    lr->delivered = true;
    lr->overflow = 0;
    lr->last_cr = false;
}

/*
 * A line that lies whole in the input (n octets before its LF) and fits:
 * copied once, as keep_bytes and finish_line would leave it. False when it
 * does not fit, for the general path to cut.
 */
static bool take_whole(line_reader_t *lr, const uint8_t *in, size_t n, line_t *out)
{
    bool cr = n > 0 && in[n - 1] == '\r';
    size_t content = n - (cr ? 1 : 0);
    if (content > lr->max_len - 2)
        return false;
    if (lr->partial.cap <= content)
        buf_reserve(&lr->partial, content);
    memcpy(lr->partial.data, in, content);
    lr->partial.data[content] = '\0';
    lr->partial.len = content;
    *out = (line_t){.kind = LINE_TEXT,
                    .text = (const char *)lr->partial.data,
                    .len = content,
                    .full_len = content,
                    .bare_lf = !cr};
    lr->delivered = true;
    return true;
}

size_t line_reader_take(line_reader_t *lr, const uint8_t *in, size_t len, line_t *out)
{
    if (lr->exact_left > 0)
        return take_exact(lr, in, len, out);
    /* The line handed out by the previous call is gone once the caller comes back. */
    if (lr->delivered) {
        buf_reset(&lr->partial);
        lr->delivered = false;
    }
    const uint8_t *lf = len ? memchr(in, '\n', len) : NULL;
    /* The usual case first: a whole line in the input, nothing of it held yet. */
    if (lf && lr->partial.len == 0 && lr->overflow == 0 && take_whole(lr, in, (size_t)(lf - in), out))
        return (size_t)(lf - in) + 1;
    *out = (line_t){.kind = LINE_NONE, .text = ""};
    if (!lf) {
        keep_bytes(lr, in, len);
        return len;
    }
    size_t n = (size_t)(lf - in);
    keep_bytes(lr, in, n);
    finish_line(lr, out);
    return n + 1;
}

void line_dotblock_init(line_dotblock_t *b, uint64_t max_size)
{
    buf_init(&b->data);
    line_dotblock_reset(b, max_size);
}

void line_dotblock_free(line_dotblock_t *b)
{
    buf_free(&b->data);
}

void line_dotblock_reset(line_dotblock_t *b, uint64_t max_size)
{
    /* A session sends message after message: the usual size is kept for the next. */
    if (b->data.cap > LINE_DOTBLOCK_KEEP)
        buf_free(&b->data);
    buf_reset(&b->data);
    b->room = NULL;
    b->room_cap = b->room_len = 0;
    b->max_size = max_size;
    b->size = 0;
    b->too_big = false;
    b->long_line = false;
}

void line_dotblock_lend(line_dotblock_t *b, uint8_t *room, size_t cap)
{
    b->room = room;
    b->room_cap = cap;
    b->room_len = 0;
}

const uint8_t *line_dotblock_text(const line_dotblock_t *b, size_t *len)
{
    *len = b->room ? b->room_len : b->data.len;
    return b->room ? b->room : b->data.data;
}

/* Appends to the kept text, in the lent room while it fits. */
static void dotblock_put(line_dotblock_t *b, const void *p, size_t n)
{
    if (b->room) {
        if (n <= b->room_cap - b->room_len) {
            memcpy(b->room + b->room_len, p, n);
            b->room_len += n;
            return;
        }
        buf_append(&b->data, b->room, b->room_len);
        b->room = NULL;
    }
    buf_append(&b->data, p, n);
}

static void dotblock_keep(line_dotblock_t *b, const void *p, size_t n)
{
    b->size += n;
    if (b->max_size && b->size > b->max_size)
        b->too_big = true;
    if (!b->too_big)
        dotblock_put(b, p, n);
}

/* One unstuffed line: n octets kept of the full ones it had, then CRLF. */
static void dotblock_add_line(line_dotblock_t *b, const uint8_t *p, size_t n, size_t full)
{
    /* Only the kept start of an over-long line is stored, but it counts in full. */
    dotblock_keep(b, p, n);
    b->size += full - n;
    if (b->max_size && b->size > b->max_size)
        b->too_big = true;
    dotblock_keep(b, "\r\n", 2);
}

bool line_dotblock_add(line_dotblock_t *b, const line_t *ln)
{
    const uint8_t *p = (const uint8_t *)ln->text;
    size_t n = ln->len;
    size_t full = ln->kind == LINE_TOO_LONG ? ln->full_len : ln->len;
    if (ln->kind == LINE_TEXT && n == 1 && p[0] == '.')
        return true;
    /* RFC 5321 4.5.2: a leading dot was doubled by the sender; drop one. */
    if (n > 0 && p[0] == '.') {
        p++;
        n--;
        full--;
    }
    if (ln->kind == LINE_TOO_LONG)
        b->long_line = true;
    dotblock_add_line(b, p, n, full);
    return false;
}

/*
 * Keeps p[0..n), whole unstuffed lines each ending in CRLF, in one piece.
 * Where the size limit falls inside them they go line by line, so that what
 * is kept is what line_dotblock_add would have kept.
 */
static void dotblock_add_lines(line_dotblock_t *b, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (!b->too_big && (!b->max_size || b->size + n <= b->max_size)) {
        b->size += n;
        dotblock_put(b, p, n);
        return;
    }
    for (size_t i = 0; i < n;) {
        size_t end = (size_t)((const uint8_t *)memchr(p + i, '\n', n - i) - p);
        dotblock_add_line(b, p + i, end - 1 - i, end - 1 - i);
        i = end + 1;
    }
}

#if defined(__SSE2__)
/* Bit i set: p[i] is LF, for the 64 octets at p. */
static uint64_t lf_mask_64(const uint8_t *p)
{
    const __m128i lf = _mm_set1_epi8('\n');
    uint64_t a = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), lf));
    uint64_t b = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), lf));
    uint64_t c = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), lf));
    uint64_t d = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 48)), lf));
    return a | b << 16 | c << 32 | d << 48;
}
#endif

/*
 * A line that ends at the LF at offset lf and began at line is usual: it
 * ends in CRLF and holds at most limit octets before them. (That it does
 * not start with a dot is checked as it begins.)
 */
static inline bool usual_end(const uint8_t *in, size_t line, size_t lf, size_t limit)
{
    return lf > line && in[lf - 1] == '\r' && lf - line <= limit + 1;
}

/*
 * The LFs of m (bit i: in[from + i]), in order, checked one by one from
 * the line that starts at *line: false, *line at the first line that is
 * not usual, when one of them ends such a line or the next starts with a dot.
 */
static inline bool usual_lfs(const uint8_t *in, size_t *line, size_t from, uint64_t m,
                             size_t len, size_t limit)
{
    for (; m; m &= m - 1) {
        size_t lf = from + (size_t)__builtin_ctzll(m);
        if (!usual_end(in, *line, lf, limit))
            return false;
        *line = lf + 1;
        if (*line < len && in[*line] == '.')
            return false;
    }
    return true;
}

/* What is left past the last 64-octet block: one memchr a line. */
static inline size_t usual_lines_tail(const uint8_t *in, size_t line, size_t from, size_t len,
                                      size_t limit)
{
    const uint8_t *lf;
    while ((lf = memchr(in + from, '\n', len - from)) != NULL) {
        size_t at = (size_t)(lf - in);
        if (!usual_end(in, line, at, limit))
            return line;
        line = from = at + 1;
        if (line < len && in[line] == '.')
            return line;
    }
    return line;
}

/*
 * Where the usual lines at in[pos..len) end: whole lines that end in CRLF,
 * do not start with a dot and hold at most limit octets, which go into the
 * block as they stand. Returns the start of the first other line, or of the
 * line whose LF has not come yet. The LFs are found 64 octets at a time, not
 * with one search per line: this runs over every message a server takes.
 */
static size_t usual_lines_end_narrow(const uint8_t *in, size_t pos, size_t len, size_t limit)
{
    size_t line = pos; /* the start of the line being looked at */
    size_t from = pos; /* the octets before this hold no LF past line */
    if (line < len && in[line] == '.')
        return line;
#if defined(__SSE2__)
    for (; from + 64 <= len; from += 64)
        if (!usual_lfs(in, &line, from, lf_mask_64(in + from), len, limit))
            return line;
#endif
    return usual_lines_tail(in, line, from, len, limit);
}

#if defined(LINE_WIDE)
/* lf_mask_64 in two compares of 32 octets. */
__attribute__((target("avx2"))) static inline uint64_t lf_mask_64_wide(const uint8_t *p)
{
    const __m256i lf = _mm256_set1_epi8('\n');
    uint64_t a = (uint32_t)_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)p), lf));
    uint64_t b = (uint32_t)_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + 32)), lf));
    return a | b << 32;
}

/* usual_lines_end_narrow with the LFs of each block found 32 octets a compare. */
__attribute__((target("avx2"))) static size_t usual_lines_end_wide(const uint8_t *in, size_t pos,
                                                                   size_t len, size_t limit)
{
    size_t line = pos;
    size_t from = pos;
    if (line < len && in[line] == '.')
        return line;
    for (; from + 64 <= len; from += 64)
        if (!usual_lfs(in, &line, from, lf_mask_64_wide(in + from), len, limit))
            return line;
    return usual_lines_tail(in, line, from, len, limit);
}
#endif

/* -1 until the CPU is asked; then whether the wide scan is used. */
static int wide_scan = -1;

bool line_wide_scan(int on)
{
#if defined(LINE_WIDE)
    wide_scan = on < 0 ? __builtin_cpu_supports("avx2") != 0 : on && __builtin_cpu_supports("avx2");
#else
    (void)on;
    wide_scan = 0;
#endif
    return wide_scan != 0;
}

static size_t usual_lines_end(const uint8_t *in, size_t pos, size_t len, size_t limit)
{
#if defined(LINE_WIDE)
    if (wide_scan < 0)
        line_wide_scan(-1);
    if (wide_scan)
        return usual_lines_end_wide(in, pos, len, limit);
#endif
    return usual_lines_end_narrow(in, pos, len, limit);
}

/*
 * The end of the line whose start the reader holds, when it is in in and
 * the line is usual (see usual_lines_end) and fits the block whole: the
 * line goes into the block, the reader lets go of its start, and the
 * return is how many octets of in it took. 0, having done nothing, for
 * anything else (a line split across TCP segments is the usual case here,
 * once a message).
 */
static size_t dotblock_join(line_dotblock_t *b, line_reader_t *lr, const uint8_t *in, size_t len)
{
    size_t held = lr->partial.len;
    if (lr->exact_left > 0 || lr->overflow > 0 || lr->delivered || held == 0 ||
        lr->partial.data[0] == '.')
        return 0;
    const uint8_t *lf = len ? memchr(in, '\n', len) : NULL;
    if (!lf)
        return 0;
    size_t n = (size_t)(lf - in) + 1; /* the octets of in, the LF included */
    bool cr = n > 1 ? in[n - 2] == '\r' : lr->last_cr;
    size_t total = held + n; /* the line with its CRLF */
    if (!cr || total - 2 > lr->max_len - 2 || b->too_big ||
        (b->max_size && b->size + total > b->max_size))
        return 0;
    b->size += total;
    dotblock_put(b, lr->partial.data, held);
    dotblock_put(b, in, n);
    buf_reset(&lr->partial);
    lr->last_cr = false;
    return n;
}

size_t line_dotblock_take(line_dotblock_t *b, line_reader_t *lr, const uint8_t *in, size_t len,
                          bool *done)
{
    *done = false;
    size_t pos = 0; /* the start of the next line */
    if (line_reader_pending(lr) && (pos = dotblock_join(b, lr, in, len)) == 0)
        return 0;
    size_t limit = lr->max_len - 2;
    size_t run = pos; /* the start of the lines that can be kept as they stand */
    const uint8_t *lf;
    /* The usual lines join the run; each other line is looked at here. */
    while ((pos = usual_lines_end(in, pos, len, limit)) < len &&
           (lf = memchr(in + pos, '\n', len - pos)) != NULL) {
        size_t end = (size_t)(lf - in);
        bool cr = end > pos && in[end - 1] == '\r';
        size_t content = end - pos - (cr ? 1 : 0);
        if (content > limit)
            break; /* the reader makes it LINE_TOO_LONG */
        /* Not usual, and within the limit: it starts with a dot or ends without CR. */
        dotblock_add_lines(b, in + run, pos - run);
        if (in[pos] == '.' && content == 1) {
            *done = true;
            return end + 1;
        }
        size_t dot = in[pos] == '.' ? 1 : 0; /* RFC 5321 4.5.2 */
        run = pos + dot;
        if (!cr) {
            dotblock_add_line(b, in + pos + dot, content - dot, content - dot);
            run = end + 1;
        }
        pos = end + 1;
    }
    dotblock_add_lines(b, in + run, pos - run);
    return pos;
}

size_t line_dot_clean_prefix(const uint8_t *in, size_t len)
{
    /* Each line must end in CRLF, hold no other CR and not start with a dot. */
    const uint8_t *p = in, *end = in + len;
    while (p < end && *p != '.') {
        const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));
        if (!lf || lf == p || lf[-1] != '\r' || memchr(p, '\r', (size_t)(lf - 1 - p)))
            break;
        p = lf + 1;
    }
    return (size_t)(p - in);
}

uint64_t line_dot_encode(const uint8_t *in, size_t len, buf_t *out)
{
    uint64_t size = 0;
    size_t lf = SIZE_MAX;
    buf_reserve(out, len + len / 64 + 8);
    for (size_t i = 0; i < len;) {
        /* A message composed here is one such run, copied at once. */
        size_t clean = i + line_dot_clean_prefix(in + i, len - i);
        buf_append(out, in + i, clean - i);
        size += clean - i;
        if ((i = clean) == len)
            break;
        /* One line that needs work. */
        size_t end = mem_line_end(in, i, len, &lf);
        /* RFC 5321 4.5.2: a line that starts with a dot gets one more. */
        if (end > i && in[i] == '.')
            buf_append(out, ".", 1);
        buf_append(out, in + i, end - i);
        /* RFC 5321 2.3.8: CR and LF only ever travel together, as CRLF. */
        buf_append(out, "\r\n", 2);
        size += end - i + 2;
        if (end + 1 < len && in[end] == '\r' && in[end + 1] == '\n')
            end++;
        i = end + 1;
    }
    buf_append(out, ".\r\n", 3);
    return size;
}
