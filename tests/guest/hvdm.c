/*
 * hvdm: a bare-metal Hyper-V guest that speaks the Dynamic Memory
 * protocol to hv-balloon over VMBus, and breaks it on purpose.
 *
 * It opens hv-balloon's channel as a driver does (contact, offers, a
 * GPADL for the ring buffers, open), then runs the cases below in order.
 * Each case prints "case NAME", sends what a hostile driver could, prints
 * "sent NAME" and waits for one byte on COM1: the test
 * (tests/integration/test-hv-balloon-hostile-guest.c) checks QEMU between
 * cases and, for the cases that need the host to ask something (balloon,
 * unballoon, hot-add), sends its request before letting the guest go on.
 * Values the test checks come as "name 0x..." lines; "done" ends.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hvbare.h"

#define VMBUS_MESSAGE_CONNECTION_ID 1
#define VMBUS_MSG_OFFERCHANNEL 1
#define VMBUS_MSG_REQUESTOFFERS 3
#define VMBUS_MSG_ALLOFFERS_DELIVERED 4
#define VMBUS_MSG_OPENCHANNEL 5
#define VMBUS_MSG_OPENCHANNEL_RESULT 6
#define VMBUS_MSG_GPADL_HEADER 8
#define VMBUS_MSG_GPADL_CREATED 10
#define VMBUS_MSG_CLOSECHANNEL 7
#define VMBUS_MSG_INITIATE_CONTACT 14
#define VMBUS_MSG_VERSION_RESPONSE 15
#define VMBUS_MSG_UNLOAD 16
#define VMBUS_MSG_UNLOAD_RESPONSE 17
#define VMBUS_VERSION_WIN10 0x00040000u
#define VMBUS_PACKET_DATA_INBAND 6
#define VMBUS_SINT_SLOT 2

/* The first bytes of hv-balloon's interface GUID, 525074dc-... */
#define DM_GUID_FIRST 0x525074dcu

#define DM_VERSION_REQUEST 1
#define DM_VERSION_RESPONSE 2
#define DM_CAPABILITIES_REPORT 3
#define DM_CAPABILITIES_RESPONSE 4
#define DM_STATUS_REPORT 5
#define DM_BALLOON_REQUEST 6
#define DM_BALLOON_RESPONSE 7
#define DM_UNBALLOON_REQUEST 8
#define DM_UNBALLOON_RESPONSE 9
#define DM_MEM_HOT_ADD_REQUEST 10
#define DM_MEM_HOT_ADD_RESPONSE 11
#define DM_VERSION_3 0x00020000u

/*
 * Boot RAM is 1 GiB, 512 MiB on each of two NUMA nodes: the pages the
 * legitimate answers give are here, on node 0; node 1 starts at
 * NODE1_PFN.
 */
#define LEGIT_PFN 0x10000u
#define LEGIT2_PFN 0x18000u
#define NODE1_PFN 0x20000u
#define RAM_END_PFN 0x40000u

/* Capabilities: balloon, hot-add, hot-add alignment 2^N MiB */
#define DM_CAP_BALLOON 1
#define DM_CAP_HOT_ADD 2
#define DM_CAP_ALIGN(n) ((uint64_t)(n) << 2)

#define RING_PAGES 4                /* per direction, header page included */
#define RING_DATA ((RING_PAGES - 1) * 4096)
#define GPADL_ID 0x77

struct ring_hdr {
    volatile uint32_t write_index;
    volatile uint32_t read_index;
    volatile uint32_t interrupt_mask;
    volatile uint32_t pending_send_sz;
    uint32_t reserved[12];
    uint32_t feature_bits;
};

struct dm_header {
    uint16_t type;
    uint16_t size;
    uint32_t trans_id;
};

/* Guest to host first (the host's receive ring), then host to guest */
static uint8_t rings[2 * RING_PAGES * 4096] __attribute__((aligned(4096)));
static struct ring_hdr *const out_hdr = (struct ring_hdr *)rings;
static uint8_t *const out_data = rings + 4096;
static struct ring_hdr *const in_hdr =
    (struct ring_hdr *)(rings + RING_PAGES * 4096);
static uint8_t *const in_data = rings + (RING_PAGES + 1) * 4096;

/* Messages built and received here */
static uint8_t msg[8192] __attribute__((aligned(8)));
static uint8_t rx[8192] __attribute__((aligned(8)));
static uint32_t relid, connection_id;
static uint64_t trans_id;

/* Where hv-balloon's memory starts, and how much it hot-added first */
static uint64_t hot_add_pfn;
static uint64_t hot_add_pages;

static void mem_zero(void *p, uint32_t n)
{
    uint8_t *b = p;

    while (n--) {
        *b++ = 0;
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, v);
    put32(p + 4, v >> 32);
}

static uint32_t get32(const volatile uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- VMBus messages, through SynIC slot 2 ---- */

static void vmbus_post(uint32_t type, uint32_t size)
{
    post.connection_id = VMBUS_MESSAGE_CONNECTION_ID;
    post.type = 1;
    post.size = size;
    put32(post.payload, type);
    put32(post.payload + 4, 0);
    post_message(HC_POST_MESSAGE, (uint32_t)&post);
}

/* Wait for a message in the slot, copy its payload to rx, free the slot */
static uint32_t vmbus_wait(void)
{
    volatile struct hv_message *slot = &simp[VMBUS_SINT_SLOT];
    uint32_t i, type;

    while (!slot->type) {
        __asm__ volatile("pause");
    }
    for (i = 0; i < sizeof(slot->payload); i++) {
        rx[i] = slot->payload[i];
    }
    type = get32(rx);
    slot->type = 0;
    __asm__ volatile("mfence" : : : "memory");
    wrmsr_safe(MSR_EOM, 0);
    return type;
}

static uint32_t vmbus_wait_for(uint32_t type)
{
    uint32_t got;

    while ((got = vmbus_wait()) != type) {
        report("vmbus_unexpected", got);
    }
    return got;
}

static void vmbus_open_dm(void);

static void vmbus_connect(void)
{
    uint8_t *p = post.payload;
    uint32_t i;

    mem_zero(&post, sizeof(post));
    put32(p + 8, VMBUS_VERSION_WIN10);
    vmbus_post(VMBUS_MSG_INITIATE_CONTACT, 40);
    vmbus_wait_for(VMBUS_MSG_VERSION_RESPONSE);
    report("vmbus_version_supported", rx[8]);

    mem_zero(&post, sizeof(post));
    vmbus_post(VMBUS_MSG_REQUESTOFFERS, 8);
    for (;;) {
        uint32_t type = vmbus_wait();

        if (type == VMBUS_MSG_ALLOFFERS_DELIVERED) {
            break;
        }
        if (type == VMBUS_MSG_OFFERCHANNEL && get32(rx + 8) == DM_GUID_FIRST) {
            relid = get32(rx + 184);
            connection_id = get32(rx + 192);
        }
    }
    report("dm_offered", relid != 0);

    /* One GPADL over both rings */
    mem_zero(&post, sizeof(post));
    put32(p + 8, relid);
    put32(p + 12, GPADL_ID);
    p[16] = 8 + 8 * 2 * RING_PAGES;         /* range_buflen */
    p[18] = 1;                              /* rangecount */
    put32(p + 20, 2 * RING_PAGES * 4096);   /* byte_count */
    put32(p + 24, 0);                       /* byte_offset */
    for (i = 0; i < 2 * RING_PAGES; i++) {
        put64(p + 28 + 8 * i, ((uint32_t)rings >> 12) + i);
    }
    vmbus_post(VMBUS_MSG_GPADL_HEADER, 28 + 8 * 2 * RING_PAGES);
    vmbus_wait_for(VMBUS_MSG_GPADL_CREATED);
    report("gpadl_status", get32(rx + 16));
    vmbus_open_dm();
}

/*
 * Open hv-balloon's channel on the GPADL, with empty rings, the host to
 * guest ring starting @offset pages in; the host's answer.
 */
static uint32_t vmbus_open_dm_at(uint32_t offset)
{
    uint8_t *p = post.payload;

    mem_zero(rings, sizeof(rings));
    mem_zero(&post, sizeof(post));
    put32(p + 8, relid);
    put32(p + 12, 1);                       /* open_id */
    put32(p + 16, GPADL_ID);
    put32(p + 20, 0);                       /* target_vp */
    put32(p + 24, offset);
    vmbus_post(VMBUS_MSG_OPENCHANNEL, 148);
    vmbus_wait_for(VMBUS_MSG_OPENCHANNEL_RESULT);
    return get32(rx + 16);
}

static void vmbus_open_dm(void)
{
    report("open_status", vmbus_open_dm_at(RING_PAGES));
}

/* ---- the ring buffers ---- */

static void signal_host(void)
{
    hypercall(HC_SIGNAL_EVENT | HC_FAST, connection_id);
}

static void ring_copy_out(uint32_t at, const void *src, uint32_t n)
{
    const uint8_t *s = src;

    while (n--) {
        out_data[at] = *s++;
        at = (at + 1) % RING_DATA;
    }
}

/*
 * Put a packet on the ring: a header with @offset_q and @len_q (in
 * quadwords, as VMBus counts them), @n bytes of @payload, the trailer.
 */
static void ring_send_raw(uint16_t offset_q, uint16_t len_q,
                          const void *payload, uint32_t n, int signal)
{
    uint8_t hdr[16], trailer[8], zero[8] = { 0 };
    uint32_t w = out_hdr->write_index, total = 16 + ((n + 7) & ~7u) + 8;

    for (;;) {
        uint32_t r = out_hdr->read_index;
        uint32_t used = (w + RING_DATA - r) % RING_DATA;

        if (RING_DATA - used > total) {
            break;
        }
        signal_host();
        __asm__ volatile("pause");
    }
    mem_zero(hdr, sizeof(hdr));
    hdr[0] = VMBUS_PACKET_DATA_INBAND;
    hdr[2] = offset_q;
    hdr[3] = offset_q >> 8;
    hdr[4] = len_q;
    hdr[5] = len_q >> 8;
    put64(hdr + 8, ++trans_id);
    put64(trailer, (uint64_t)w << 32);
    ring_copy_out(w, hdr, 16);
    ring_copy_out((w + 16) % RING_DATA, payload, n);
    ring_copy_out((w + 16 + n) % RING_DATA, zero, ((n + 7) & ~7u) - n);
    ring_copy_out((w + total - 8) % RING_DATA, trailer, 8);
    __asm__ volatile("mfence" : : : "memory");
    out_hdr->write_index = (w + total) % RING_DATA;
    if (signal) {
        signal_host();
    }
}

static void ring_send(const void *payload, uint32_t n)
{
    ring_send_raw(2, 2 + (n + 7) / 8, payload, n, 1);
}

/* The next packet from the host, its payload in rx; returns its length */
static uint32_t ring_recv(void)
{
    uint32_t r, off, len, i;

    while (in_hdr->read_index == in_hdr->write_index) {
        __asm__ volatile("pause");
    }
    r = in_hdr->read_index;
    off = (in_data[(r + 2) % RING_DATA] |
           in_data[(r + 3) % RING_DATA] << 8) * 8;
    len = (in_data[(r + 4) % RING_DATA] |
           in_data[(r + 5) % RING_DATA] << 8) * 8;
    for (i = 0; i < len - off && i < sizeof(rx); i++) {
        rx[i] = in_data[(r + off + i) % RING_DATA];
    }
    __asm__ volatile("mfence" : : : "memory");
    in_hdr->read_index = (r + len + 8) % RING_DATA;
    if (in_hdr->pending_send_sz) {
        signal_host();
    }
    return len - off;
}

static void dm_send(uint16_t type, uint32_t size);
static uint8_t *dm_msg(uint16_t type, uint32_t size);

/*
 * Wait for a DM message of @type.  Requests that come first are
 * reported; those a driver must answer to let the host go on (unballoon,
 * hot-add) are answered as a well-behaved driver would.
 */
static void dm_wait_for(uint16_t type)
{
    for (;;) {
        uint16_t got;

        ring_recv();
        got = rx[0] | rx[1] << 8;
        if (got == type) {
            return;
        }
        report("dm_unexpected", got);
        if (got == DM_UNBALLOON_REQUEST) {
            dm_send(DM_UNBALLOON_RESPONSE, 8);
        } else if (got == DM_MEM_HOT_ADD_REQUEST) {
            uint8_t *p = dm_msg(DM_MEM_HOT_ADD_RESPONSE, 16);

            put32(p, get32(rx + 12) >> 8);  /* page_cnt: bits 40..63 */
            put32(p + 4, 1);
            ring_send(msg, 16);
        }
    }
}

/* A DM message of @type in msg, @size bytes long (header included) */
static uint8_t *dm_msg(uint16_t type, uint32_t size)
{
    struct dm_header *h = (struct dm_header *)msg;

    mem_zero(msg, size);
    h->type = type;
    h->size = size;
    h->trans_id = trans_id;
    return msg + sizeof(*h);
}

static void dm_send(uint16_t type, uint32_t size)
{
    dm_msg(type, size);
    ring_send(msg, size);
}

/* ---- the cases ---- */

static void case_begin(const char *name)
{
    puts_serial("case ");
    puts_serial(name);
    putc_serial('\n');
}

/* Tell the test the case's input is out; wait for it to say go on */
static void case_end(const char *name)
{
    char c;

    puts_serial("sent ");
    puts_serial(name);
    putc_serial('\n');
    do {
        c = getc_serial();
    } while (c == '\n' || c == '\r');
}

static void version_request(uint32_t version, uint32_t size)
{
    uint8_t *p = dm_msg(DM_VERSION_REQUEST, size);

    put32(p, version);
    ring_send(msg, size);
}

static uint32_t version_answer(uint32_t version)
{
    version_request(version, 16);
    dm_wait_for(DM_VERSION_RESPONSE);
    return rx[8] & 1;
}

/* A balloon response of @n ranges (@start, @count) with @range_count */
static void balloon_response(const uint64_t *start, const uint32_t *count,
                             uint32_t n, uint32_t range_count, int more)
{
    uint8_t *p = dm_msg(DM_BALLOON_RESPONSE, 16 + 8 * n);
    uint32_t i;

    put32(p + 4, (range_count << 1) | (more ? 1 : 0));
    for (i = 0; i < n; i++) {
        put64(p + 8 + 8 * i, start[i] | (uint64_t)count[i] << 40);
    }
    ring_send(msg, 16 + 8 * n);
}

static uint32_t balloon_request(void)
{
    dm_wait_for(DM_BALLOON_REQUEST);
    return get32(rx + 8);
}

static uint64_t read_hex_line(void)
{
    uint64_t v = 0;
    char c;

    do {
        c = getc_serial();
    } while (c == '\n' || c == '\r');
    for (; c != '\n'; c = getc_serial()) {
        v = v << 4 | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static void cases_before_caps(void)
{
    static const uint64_t one = LEGIT_PFN;
    static const uint32_t one_count = 1;
    uint32_t i;

    case_begin("out-of-order");
    dm_send(DM_CAPABILITIES_REPORT, 32);
    balloon_response(&one, &one_count, 1, 1, 0);
    dm_send(DM_MEM_HOT_ADD_RESPONSE, 16);
    dm_send(DM_UNBALLOON_RESPONSE, 8);
    dm_send(DM_BALLOON_REQUEST, 16);        /* host to guest only */
    case_end("out-of-order");

    case_begin("truncated");
    ring_send(msg, 0);                      /* no DM header at all */
    dm_send(DM_VERSION_REQUEST, 8);         /* a header only */
    dm_send(DM_CAPABILITIES_REPORT, 8);
    dm_send(DM_STATUS_REPORT, 16);
    case_end("truncated");

    case_begin("version-games");
    report("version_0", version_answer(0));
    report("version_ffffffff", version_answer(0xffffffffu));
    report("version_2_1", version_answer(DM_VERSION_3 + 1));
    report("version_3_0", version_answer(0x00030000u));
    /* Accepted, with 200 bytes more than the message has */
    version_request(DM_VERSION_3, 216);
    dm_wait_for(DM_VERSION_RESPONSE);
    report("version_oversized", rx[8] & 1);
    /* Once accepted, another is out of order: nothing answers it */
    version_request(DM_VERSION_3, 16);
    case_end("version-games");

    case_begin("caps-games");
    dm_send(DM_CAPABILITIES_REPORT, 16);    /* too short by half */
    {
        uint8_t *p = dm_msg(DM_CAPABILITIES_REPORT, 32);

        /* balloon, hot-add, 2^7 MiB alignment; absurd limits */
        put64(p, 1 | 2 | 7 << 2);
        put64(p + 8, 0xffffffffffffffffull);
        put64(p + 16, 0xffffffffffffffffull);
        ring_send(msg, 32);
    }
    dm_wait_for(DM_CAPABILITIES_RESPONSE);
    report("caps_accepted", rx[8] & 1);
    case_end("caps-games");

    /* Queued, not signalled: the test then sets a target. */
    case_begin("unsignalled-then-target");
    dm_msg(DM_STATUS_REPORT, 48);
    ring_send_raw(2, 2 + 48 / 8, msg, 48, 0);
    case_end("unsignalled-then-target");

    case_begin("unknown-type-flood");
    for (i = 0; i < 2000; i++) {
        dm_send(i & 1 ? 0x7777 : 0, 16);
    }
    case_end("unknown-type-flood");

    case_begin("status-report-flood");
    for (i = 0; i < 20000; i++) {
        uint8_t *p = dm_msg(DM_STATUS_REPORT, 48);

        put64(p, 0xffffffffffffffffull - i);    /* num_avail */
        put64(p + 8, 0x0010000000000000ull + i);/* num_committed */
        ring_send(msg, 48);
    }
    case_end("status-report-flood");

    case_begin("oversized-message");
    dm_send(DM_STATUS_REPORT, 6000);
    case_end("oversized-message");
}

static void cases_balloon(void)
{
    static const uint64_t bad[] = {
        RAM_END_PFN, 0xfee00, 0xfffc0, 0xfffffffff0ull,
    };
    static const uint32_t bad_count[] = { 16, 1, 64, 16 };
    static const uint64_t overlap[] = {
        LEGIT_PFN, LEGIT_PFN + 50, LEGIT_PFN,
    };
    static const uint32_t overlap_count[] = { 100, 100, 100 };
    uint64_t start[4];
    uint32_t count[4], asked, given = 150;
    uint64_t hot_add;

    /*
     * The test asks for 64 MiB.  Where the device processes an answer it
     * asks again for what is still missing: that says what it counted.
     */
    case_begin("balloon-outside-ram");
    asked = balloon_request();
    report("balloon_asked", asked);
    balloon_response(bad, bad_count, 4, 4, 0);
    report("reask_outside_ram", balloon_request());
    case_end("balloon-outside-ram");

    case_begin("balloon-overlap-duplicate");
    balloon_response(overlap, overlap_count, 3, 3, 0);
    report("reask_overlap", balloon_request());
    case_end("balloon-overlap-duplicate");

    /* Answers the device drops: it still waits for one. */
    case_begin("balloon-huge-range-count");
    start[0] = LEGIT_PFN + given;
    count[0] = 1;
    balloon_response(start, count, 1, 0x7fffffff, 0);
    case_end("balloon-huge-range-count");

    case_begin("balloon-truncated");
    dm_send(DM_BALLOON_RESPONSE, 8);
    dm_send(DM_BALLOON_RESPONSE, 12);
    case_end("balloon-truncated");

    /* The test sends the hot-add space's first PFN on a line. */
    case_begin("balloon-in-hot-add-space");
    hot_add = read_hex_line();
    start[0] = hot_add;
    count[0] = 256;
    start[1] = hot_add + 0x10000;
    count[1] = 1;
    balloon_response(start, count, 2, 2, 0);
    report("reask_hot_add_space", balloon_request());
    case_end("balloon-in-hot-add-space");

    case_begin("balloon-legit");
    start[0] = LEGIT_PFN + given;
    count[0] = asked - given;
    balloon_response(start, count, 1, 1, 0);
    case_end("balloon-legit");

    /* The test asks for boot size again: pages come back. */
    case_begin("unballoon-out-of-order");
    dm_wait_for(DM_UNBALLOON_REQUEST);
    dm_send(DM_MEM_HOT_ADD_RESPONSE, 16);
    balloon_response(start, count, 1, 1, 0);
    dm_send(DM_UNBALLOON_RESPONSE, 8);
    case_end("unballoon-out-of-order");

    /* The test asks for 256 MiB more than boot. */
    case_begin("hot-add-more-than-asked");
    dm_wait_for(DM_MEM_HOT_ADD_REQUEST);
    {
        uint64_t range = get32(rx + 8) | (uint64_t)get32(rx + 12) << 32;
        uint8_t *p = dm_msg(DM_MEM_HOT_ADD_RESPONSE, 16);

        hot_add = range & 0xffffffffffull;
        hot_add_pfn = hot_add;
        hot_add_pages = range >> 40;
        report("hot_add_start", hot_add);
        report("hot_add_pages", range >> 40);
        put32(p, 2 * (range >> 40) + 1);    /* page_count */
        put32(p + 4, 1);                    /* result */
        ring_send(msg, 16);
    }
    case_end("hot-add-more-than-asked");

    /*
     * The test asks for 128 MiB more than boot: give pages past what was
     * hot-added, then the hot-added ones.
     */
    case_begin("balloon-not-yet-added");
    asked = balloon_request();
    report("balloon_asked_hot_added", asked);
    start[0] = hot_add + 0x10000;           /* 256 MiB in: not added */
    count[0] = 1024;
    balloon_response(start, count, 1, 1, 0);
    count[0] = balloon_request();
    report("reask_not_added", count[0]);
    start[0] = hot_add;
    balloon_response(start, count, 1, 1, 0);
    case_end("balloon-not-yet-added");
}

static void cases_vmbus(void)
{
    uint32_t i;

    case_begin("vmbus-malformed-packet");
    /* The payload would start before the header ends; and ring, ring */
    ring_send_raw(1, 4, msg, 16, 1);
    for (i = 0; i < 1000; i++) {
        signal_host();
    }
    case_end("vmbus-malformed-packet");
}


/* ---- a driver's life, and answers of bounded cost ---- */

/*
 * Wait for a hot-add request, giving back what the unballoon requests
 * before it ask for, as a driver does when the host grows it.
 */
static void dm_wait_hot_add(void)
{
    for (;;) {
        uint16_t type;

        ring_recv();
        type = rx[0] | rx[1] << 8;
        if (type == DM_MEM_HOT_ADD_REQUEST) {
            return;
        }
        if (type != DM_UNBALLOON_REQUEST) {
            report("dm_unexpected", type);
        } else if (!(rx[8] & 1)) {
            dm_send(DM_UNBALLOON_RESPONSE, 8);
        }
    }
}

/* Version 3.0 and capabilities @caps, as a new driver says them */
static void dm_handshake(uint64_t caps)
{
    uint8_t *p;

    report("handshake_version", version_answer(DM_VERSION_3));
    p = dm_msg(DM_CAPABILITIES_REPORT, 32);
    put64(p, caps);
    ring_send(msg, 32);
    dm_wait_for(DM_CAPABILITIES_RESPONSE);
    report("handshake_caps", rx[8] & 1);
}

/* A balloon response of @n ranges in messages of at most 500 */
static void balloon_response_split(const uint64_t *start,
                                   const uint32_t *count, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i += 500) {
        uint32_t k = n - i < 500 ? n - i : 500;

        balloon_response(start + i, count + i, k, k, i + k < n);
    }
}

static uint64_t starts[1024];
static uint32_t counts[1024];

static void cases_life(void)
{
    uint32_t asked, n, i, requests, short_ends;

    /*
     * Ranges that start or end in holes (below hv-balloon's memory, past
     * boot RAM, past what was hot-added), and 400 of the widest over
     * nothing at all, in one message: only the RAM pages count.
     */
    case_begin("balloon-holes");
    asked = balloon_request();
    report("balloon_asked_holes", asked);
    n = 0;
    starts[n] = hot_add_pfn - 16;                   /* 16 hole, 16 dup */
    counts[n++] = 32;
    starts[n] = hot_add_pfn + hot_add_pages - 16;   /* 16 RAM, 16 not added */
    counts[n++] = 32;
    starts[n] = RAM_END_PFN - 8;                    /* 8 RAM, 8 hole */
    counts[n++] = 16;
    for (i = 0; i < 400; i++) {
        starts[n] = ((uint64_t)1 << 39) + ((uint64_t)i << 24);
        counts[n++] = (1u << 24) - 1;
    }
    balloon_response(starts, counts, n, n, 0);
    asked = balloon_request();
    report("reask_holes", asked);
    starts[0] = LEGIT_PFN + 1000;
    counts[0] = asked;
    balloon_response(starts, counts, 1, 1, 0);
    case_end("balloon-holes");

    /* A hot-add answered with a page count of its own: 1000 pages. */
    case_begin("hot-add-odd-count");
    dm_wait_hot_add();
    {
        uint64_t range = get32(rx + 8) | (uint64_t)get32(rx + 12) << 32;
        uint8_t *p = dm_msg(DM_MEM_HOT_ADD_RESPONSE, 16);

        report("odd_hot_add_start", range & 0xffffffffffull);
        report("odd_hot_add_pages", range >> 40);
        put32(p, 1000);                     /* page_count */
        put32(p + 4, 1);                    /* result */
        ring_send(msg, 16);
    }
    case_end("hot-add-odd-count");

    /*
     * 1000 single pages ballooned on node 0, 10 on node 1.  The test
     * then grows node 0: the unballoon requests fill the ring, which
     * this driver does not read until the test, meanwhile, has turned
     * the growth to node 1.
     */
    case_begin("growth-node-change");
    asked = balloon_request();
    report("balloon_asked_nodes", asked);
    n = 0;
    for (i = 0; i < 1000; i++) {
        starts[n] = LEGIT2_PFN + 2 * i;
        counts[n++] = 1;
    }
    for (i = 0; i < 10; i++) {
        starts[n] = NODE1_PFN + 0x10000 + 2 * i;
        counts[n++] = 1;
    }
    balloon_response_split(starts, counts, n);
    puts_serial("ballooned\n");
    /* The test says when to read again ("g"); answer as a driver does */
    while (getc_serial() != 'g') {
    }
    while (getc_serial() != '\n') {
    }
    requests = short_ends = 0;
    for (;;) {
        uint16_t type;

        ring_recv();
        type = rx[0] | rx[1] << 8;
        if (type != DM_UNBALLOON_REQUEST) {
            report("dm_unexpected", type);
            continue;
        }
        requests++;
        if (!(rx[8] & 1)) {                 /* more_pages clear: the last */
            short_ends += !get32(rx + 12);
            dm_send(DM_UNBALLOON_RESPONSE, 8);
            break;
        }
    }
    report("unballoon_requests", requests);
    report("unballoon_short_ends", short_ends);
    case_end("growth-node-change");

    /*
     * A new session: 64 MiB ballooned, then CHANNELMSG_UNLOAD as a
     * kernel that kexecs sends, and a new driver from scratch.  Its
     * kernel never wrote to the hot-added memory, so it has none.
     */
    case_begin("unload-new-session");
    asked = balloon_request();
    starts[0] = LEGIT_PFN;
    counts[0] = asked;
    balloon_response(starts, counts, 1, 1, 0);
    puts_serial("ballooned\n");
    while (getc_serial() != 'g') {
    }
    mem_zero(&post, sizeof(post));
    vmbus_post(VMBUS_MSG_UNLOAD, 8);
    vmbus_wait_for(VMBUS_MSG_UNLOAD_RESPONSE);
    vmbus_connect();
    dm_handshake(DM_CAP_BALLOON | DM_CAP_HOT_ADD | DM_CAP_ALIGN(7));
    case_end("unload-new-session");

    /* The grow after the new driver's hold: hot-added from the start. */
    case_begin("new-session-hot-add");
    dm_wait_hot_add();
    {
        uint64_t range = get32(rx + 8) | (uint64_t)get32(rx + 12) << 32;
        uint8_t *p = dm_msg(DM_MEM_HOT_ADD_RESPONSE, 16);

        report("new_hot_add_start", range & 0xffffffffffull);
        report("new_hot_add_pages", range >> 40);
        put32(p, range >> 40);
        put32(p + 4, 1);
        ring_send(msg, 16);
    }
    case_end("new-session-hot-add");

    /*
     * The driver closes its channel and comes back with other
     * capabilities: no ballooning, hot-add only in 32 GiB steps.
     */
    case_begin("reconnect-other-caps");
    mem_zero(&post, sizeof(post));
    put32(post.payload + 8, relid);
    vmbus_post(VMBUS_MSG_CLOSECHANNEL, 12);
    vmbus_open_dm();
    dm_handshake(DM_CAP_HOT_ADD | DM_CAP_ALIGN(15));
    case_end("reconnect-other-caps");

    /*
     * The channel opened with its ring offset at 2^32 - 1 pages, where
     * offset + 1 wraps to 0 (QEMU read gfns[2^32 - 1] and died), and
     * at the GPADL's end; then as a driver does.
     */
    case_begin("open-ring-offset-wrap");
    mem_zero(&post, sizeof(post));
    put32(post.payload + 8, relid);
    vmbus_post(VMBUS_MSG_CLOSECHANNEL, 12);
    report("open_wrap_status", vmbus_open_dm_at(0xffffffffu));
    report("open_end_status", vmbus_open_dm_at(2 * RING_PAGES - 1));
    report("open_again_status", vmbus_open_dm_at(RING_PAGES));
    dm_handshake(DM_CAP_HOT_ADD | DM_CAP_ALIGN(15));
    case_end("open-ring-offset-wrap");
}

void bare_main(void)
{
    setup_cpu();
    wrmsr_safe(MSR_GUEST_OS_ID, 0x8100000000000000ull);
    wrmsr_safe(MSR_HYPERCALL, (uint32_t)hypercall_page | 1);
    wrmsr_safe(MSR_SIMP, (uint32_t)simp | 1);
    wrmsr_safe(MSR_SIEFP, (uint32_t)siefp | 1);
    wrmsr_safe(MSR_SCONTROL, 1);
    /* Polled: the SINT stays masked */
    wrmsr_safe(MSR_SINT2, SINT_MASKED | SINT_VECTOR);

    vmbus_connect();
    cases_before_caps();
    cases_balloon();
    cases_life();
    cases_vmbus();
    puts_serial("done\n");
}
