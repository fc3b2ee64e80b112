/*
 * hv-balloon's own code for the pages a guest returns, fed what a
 * hostile Dynamic Memory guest sends: a checkerboard of single pages
 * over all of RAM, the same pages again, pages in an MMIO hole, in ROM,
 * past the end of memory, more pages than were asked for.
 *
 * The device (QEMU's hw/hyperv/hv-balloon.c, as our patches leave it) is
 * compiled into this test; the memory API it calls is supplied below
 * with a fake memory map, so no RAM is needed for a 64 GiB guest:
 *
 *   [0, 64 GiB)            RAM, 4 KiB pages (a fake host mapping)
 *   [64 GiB, 64 GiB + 1M)  ROM
 *   [64 GiB + 1M, 65 GiB)  MMIO
 *   [65 GiB, 96 GiB)       nothing (as below hv-balloon's hot-add space)
 *   [96 GiB, 97 GiB)       RAM again (hot-added), another host mapping
 *   [97 GiB, ...)          nothing
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/hyperv/hv-balloon.c"

#define T_RAM_PAGES     ((uint64_t)16 << 20)       /* 64 GiB */
#define T_ROM_PAGES     ((uint64_t)256)            /* 1 MiB */
#define T_MMIO_END      ((uint64_t)65 << 18)       /* 65 GiB, in pages */
#define T_RAM2_START    ((uint64_t)96 << 18)       /* 96 GiB, in pages */
#define T_RAM2_PAGES    ((uint64_t)1 << 18)        /* 1 GiB */
#define T_HOST_BASE     ((uintptr_t)1 << 44)
#define T_HOST2_BASE    ((uintptr_t)1 << 45)
#define T_PAGE          4096

AddressSpace address_space_memory;
static MemoryRegion t_ram, t_rom, t_mmio, t_ram2;
static RAMBlock t_rb, t_rb2;
static uint64_t t_discards, t_discarded_bytes, t_discarded2_bytes;

/* ---- the memory API hv-balloon calls ---- */

MemoryRegion *get_system_memory(void)
{
    return &t_ram;
}

MemoryRegionSection memory_region_find(MemoryRegion *mr, hwaddr addr,
                                       uint64_t size)
{
    MemoryRegionSection s = { 0 };
    uint64_t page = addr / T_PAGE, end;
    MemoryRegion *hit;

    if (page < T_RAM_PAGES) {
        hit = &t_ram;
        end = T_RAM_PAGES * T_PAGE;
        s.offset_within_region = addr;
    } else if (page < T_RAM_PAGES + T_ROM_PAGES) {
        hit = &t_rom;
        end = (T_RAM_PAGES + T_ROM_PAGES) * T_PAGE;
    } else if (page < T_MMIO_END) {
        hit = &t_mmio;
        end = T_MMIO_END * T_PAGE;
    } else {
        return s;
    }
    s.mr = hit;
    s.size = int128_make64(MIN(size, end - addr));
    return s;
}

/* The memory map above, as the flat view of system memory has it. */
void flatview_for_each_range(FlatView *fv, flatview_cb cb, void *opaque)
{
    static const struct {
        MemoryRegion *mr;
        uint64_t start, pages;
    } map[] = {
        { &t_ram, 0, T_RAM_PAGES },
        { &t_rom, T_RAM_PAGES, T_ROM_PAGES },
        { &t_mmio, T_RAM_PAGES + T_ROM_PAGES,
          T_MMIO_END - T_RAM_PAGES - T_ROM_PAGES },
        { &t_ram2, T_RAM2_START, T_RAM2_PAGES },
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(map); i++) {
        if (cb(int128_make64(map[i].start * T_PAGE),
               int128_make64(map[i].pages * T_PAGE), map[i].mr, 0, opaque)) {
            return;
        }
    }
}

bool memory_region_is_ram_device(MemoryRegion *mr)
{
    return mr->ram_device;
}

RamDiscardManager *memory_region_get_ram_discard_manager(MemoryRegion *mr)
{
    return NULL;
}

void memory_region_unref(MemoryRegion *mr)
{
}

void *memory_region_get_ram_ptr(MemoryRegion *mr)
{
    g_assert(mr == &t_ram || mr == &t_ram2);
    return (void *)(mr == &t_ram ? T_HOST_BASE : T_HOST2_BASE);
}

RAMBlock *qemu_ram_block_from_host(void *ptr, bool round_offset,
                                   ram_addr_t *offset)
{
    uintptr_t a = (uintptr_t)ptr;

    if (a >= T_HOST2_BASE && a < T_HOST2_BASE + T_RAM2_PAGES * T_PAGE) {
        *offset = a - T_HOST2_BASE;
        return &t_rb2;
    }
    g_assert(a >= T_HOST_BASE && a < T_HOST_BASE + T_RAM_PAGES * T_PAGE);
    *offset = a - T_HOST_BASE;
    return &t_rb;
}

size_t qemu_ram_pagesize(RAMBlock *rb)
{
    return T_PAGE;
}

int ram_block_discard_range(RAMBlock *rb, uint64_t start, size_t length)
{
    g_assert(start + length <= rb->max_length);
    t_discards++;
    if (rb == &t_rb2) {
        t_discarded2_bytes += length;
    } else {
        t_discarded_bytes += length;
    }
    return 0;
}

/* ---- the test ---- */

static HvBalloon *t_balloon(void)
{
    HvBalloon *b = g_new0(HvBalloon, 1);

    t_ram.ram = true;
    t_ram.ram_block = &t_rb;
    t_ram2.ram = true;
    t_ram2.ram_block = &t_rb2;
    t_rom.ram = true;
    t_rom.readonly = true;
    t_rb.max_length = T_RAM_PAGES * T_PAGE;
    t_rb2.max_length = T_RAM2_PAGES * T_PAGE;
    t_discards = t_discarded_bytes = t_discarded2_bytes = 0;
    b->removed_guest = range_set_new();
    b->removed_both = range_set_new();
    return b;
}

static void t_free(HvBalloon *b)
{
    range_set_free(b->removed_guest);
    range_set_free(b->removed_both);
    g_free(b);
}

/* One DM_BALLOON_RESPONSE's worth of ranges, as the guest sends them. */
static void t_respond(HvBalloon *b, const uint64_t *start,
                      const uint64_t *count, unsigned int n)
{
    g_autofree union dm_mem_page_range *r = g_new0(union dm_mem_page_range,
                                                   n);
    unsigned int i;

    for (i = 0; i < n; i++) {
        r[i].finfo.start_page = start[i];
        r[i].finfo.page_cnt = count[i];
    }
    hv_balloon_handle_remove_ranges(b, r, n);
}

/* Every other page of all 64 GiB, 500 ranges per message, as a flood. */
static void t_checkerboard(HvBalloon *b)
{
    uint64_t start[500], count[500], p;
    unsigned int n = 0;

    for (p = 0; p < T_RAM_PAGES; p += 2) {
        start[n] = p;
        count[n] = 1;
        if (++n == G_N_ELEMENTS(start)) {
            t_respond(b, start, count, n);
            n = 0;
        }
    }
    t_respond(b, start, count, n);
}

static void test_checkerboard_bounded(void)
{
    HvBalloon *b = t_balloon();
    size_t mem, bound = range_set_worst_case_bytes(T_RAM_PAGES);
    HvBalloonState st;

    b->balloon_diff = T_RAM_PAGES / 2;
    t_checkerboard(b);

    /* Accounting exact: every page counted once, all discarded. */
    g_assert_cmpuint(b->removed_both_ctr, ==, T_RAM_PAGES / 2);
    g_assert_cmpuint(b->removed_guest_ctr, ==, 0);
    g_assert_cmpuint(range_set_total(b->removed_both), ==, T_RAM_PAGES / 2);
    g_assert_cmpuint(range_set_nr_ranges(b->removed_both), ==,
                     T_RAM_PAGES / 2);
    g_assert_cmpuint(t_discarded_bytes, ==, T_RAM_PAGES / 2 * T_PAGE);
    g_assert_cmpuint(b->balloon_diff, ==, 0);
    hv_balloon_get_state(b, &st);
    g_assert_cmpuint(st.ballooned, ==, T_RAM_PAGES / 2 * T_PAGE);

    /*
     * Host memory: within the RangeSet's bound (about 2 MiB for 64 GiB),
     * where one GTree node per range was some 64 bytes: 2 GiB.
     */
    mem = range_set_memory(b->removed_both);
    g_test_message("checkerboard of %" PRIu64 " single pages: %zu bytes "
                   "(bound %zu; GTree nodes alone: %" PRIu64 ")",
                   T_RAM_PAGES / 2, mem, bound, T_RAM_PAGES / 2 * 64);
    g_assert_cmpuint(mem, <=, bound);

    /* The same pages again: nothing more counted, nothing discarded. */
    t_discards = 0;
    b->balloon_diff = T_RAM_PAGES / 2;
    t_checkerboard(b);
    g_assert_cmpuint(b->removed_both_ctr, ==, T_RAM_PAGES / 2);
    g_assert_cmpuint(range_set_total(b->removed_both), ==, T_RAM_PAGES / 2);
    g_assert_cmpuint(range_set_memory(b->removed_both), <=, bound);
    t_free(b);
}

static void test_outside_ram(void)
{
    /* ROM, MMIO, past the end, and one overlapping RAM and ROM */
    static const uint64_t start[] = {
        T_RAM_PAGES + 10, T_RAM_PAGES + T_ROM_PAGES + 5, T_MMIO_END + 100,
        ((uint64_t)1 << 40) - 1, T_RAM_PAGES - 2,
    };
    static const uint64_t count[] = { 4, 1000, 7, 1, 4 };
    HvBalloon *b = t_balloon();

    b->balloon_diff = 1000000;
    t_respond(b, start, count, G_N_ELEMENTS(start));
    /*
     * Not the guest's RAM: not ballooned, nothing counted nor recorded;
     * the 2 RAM pages of the straddling range are, and discarded.
     */
    g_assert_cmpuint(t_discarded_bytes, ==, 2 * T_PAGE);
    g_assert_cmpuint(b->removed_both_ctr, ==, 2);
    g_assert_cmpuint(b->removed_guest_ctr, ==, 0);
    g_assert_cmpuint(range_set_total(b->removed_guest), ==, 0);
    g_assert_cmpuint(b->balloon_diff, ==, 1000000 - 2);
    /* One guest error for all the pages that are not RAM */
    g_assert_cmpuint(b->guest_errors, ==, 1);
    /* Never trusted past RAM when sizes are computed. */
    g_assert_cmpuint(hv_balloon_total_removed_rs(b, T_RAM_PAGES), <=,
                     T_RAM_PAGES);
    t_free(b);
}

static void test_more_than_asked(void)
{
    static const uint64_t start[] = { 100 };
    static const uint64_t count[] = { 5000 };
    HvBalloon *b = t_balloon();

    /* 1000 pages asked, 5000 returned: pending clamps to 0, counts stay. */
    b->balloon_diff = 1000;
    t_respond(b, start, count, 1);
    g_assert_cmpuint(b->balloon_diff, ==, 0);
    g_assert_cmpuint(b->removed_both_ctr, ==, 5000);
    g_assert_cmpuint(range_set_total(b->removed_both), ==, 5000);
    t_free(b);
}

/*
 * A flood of bad pages: one guest error per message, whatever it names
 * (the pages are never looked at one by one), one warning in the log.
 */
static void test_error_flood(void)
{
    static const uint64_t start[] = { T_RAM2_START + T_RAM2_PAGES };
    static const uint64_t count[] = { (1 << 24) - 1 };   /* the widest */
    HvBalloon *b = t_balloon();
    int i;

    b->balloon_diff = 1;
    for (i = 0; i < 4; i++) {
        t_respond(b, start, count, 1);
    }
    /* Past the end of memory: 4 * 16M pages, 4 guest errors */
    g_assert_cmpuint(b->guest_errors, ==, 4);
    g_assert_cmpuint(b->guest_errors_unreported, ==, b->guest_errors - 1);
    /* Not the guest's memory: neither discarded nor counted. */
    g_assert_cmpuint(t_discards, ==, 0);
    g_assert_cmpuint(b->removed_guest_ctr, ==, 0);
    g_assert_cmpuint(b->balloon_diff, ==, 1);
    t_free(b);
}

/*
 * Ranges that start or end in a hole: below the second RAM region (as
 * below hv-balloon's 32 GiB aligned hot-add space), past the first.
 * Only their RAM pages count, each at its own host address.
 */
static void test_holes(void)
{
    static const uint64_t start[] = {
        T_RAM2_START - 16, T_RAM2_START + T_RAM2_PAGES - 8,
        T_RAM_PAGES - 4,
    };
    static const uint64_t count[] = { 32, 100, 4 + 16 };
    HvBalloon *b = t_balloon();

    b->balloon_diff = 1000;
    t_respond(b, start, count, G_N_ELEMENTS(start));
    g_assert_cmpuint(b->removed_both_ctr, ==, 16 + 8 + 4);
    g_assert_true(range_set_contains(b->removed_both, T_RAM2_START, 16));
    g_assert_false(range_set_overlaps(b->removed_both, T_RAM2_START - 16,
                                      16));
    g_assert_true(range_set_contains(b->removed_both,
                                     T_RAM2_START + T_RAM2_PAGES - 8, 8));
    g_assert_true(range_set_contains(b->removed_both, T_RAM_PAGES - 4, 4));
    g_assert_cmpuint(t_discarded2_bytes, ==, (16 + 8) * T_PAGE);
    g_assert_cmpuint(t_discarded_bytes, ==, 4 * T_PAGE);
    g_assert_cmpuint(b->balloon_diff, ==, 1000 - 28);
    g_assert_cmpuint(b->guest_errors, ==, 1);
    t_free(b);
}

/*
 * Hundreds of the widest ranges over nothing, in one message: refused
 * with one guest error, without looking at their pages.
 */
static void test_huge_unmapped(void)
{
    uint64_t start[500], count[500];
    HvBalloon *b = t_balloon();
    unsigned int i;

    for (i = 0; i < G_N_ELEMENTS(start); i++) {
        start[i] = ((uint64_t)1 << 39) + (uint64_t)i * (1 << 24);
        count[i] = (1 << 24) - 1;
    }
    b->balloon_diff = 1;
    t_respond(b, start, count, G_N_ELEMENTS(start));
    g_assert_cmpuint(b->removed_both_ctr + b->removed_guest_ctr, ==, 0);
    g_assert_cmpuint(t_discards, ==, 0);
    g_assert_cmpuint(b->guest_errors, ==, 1);
    t_free(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hv-balloon-hostile/holes", test_holes);
    g_test_add_func("/hv-balloon-hostile/huge-unmapped", test_huge_unmapped);
    g_test_add_func("/hv-balloon-hostile/checkerboard-bounded",
                    test_checkerboard_bounded);
    g_test_add_func("/hv-balloon-hostile/outside-ram", test_outside_ram);
    g_test_add_func("/hv-balloon-hostile/more-than-asked",
                    test_more_than_asked);
    g_test_add_func("/hv-balloon-hostile/error-flood", test_error_flood);
    return g_test_run();
}
