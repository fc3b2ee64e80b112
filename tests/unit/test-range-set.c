/*
 * Unit tests of RangeSet: every boundary, and a seeded random model check
 * against a plain bitmap.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "range-set.h"

#define W RANGE_SET_WINDOW

typedef struct Range {
    uint64_t start, count;
} Range;

static bool collect_cb(uint64_t start, uint64_t count, void *opaque)
{
    GArray *a = opaque;
    Range r = { start, count };

    g_array_append_val(a, r);
    return true;
}

/* The set's maximal ranges, as a string "s+c s+c ...". */
static char *ranges_str(RangeSet *rs)
{
    g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(Range));
    GString *s = g_string_new(NULL);
    guint i;

    range_set_foreach(rs, 0, RANGE_SET_PAGE_LIMIT, collect_cb, a);
    for (i = 0; i < a->len; i++) {
        Range *r = &g_array_index(a, Range, i);

        g_string_append_printf(s, "%s%" PRIu64 "+%" PRIu64, i ? " " : "",
                               r->start, r->count);
    }
    return g_string_free(s, FALSE);
}

static void assert_ranges(RangeSet *rs, const char *want)
{
    g_autofree char *got = ranges_str(rs);

    g_assert_cmpstr(got, ==, want);
}

static void test_empty(void)
{
    g_autoptr(RangeSet) rs = range_set_new();
    uint64_t start = 7, n;

    g_assert_cmpuint(range_set_total(rs), ==, 0);
    g_assert_cmpuint(range_set_nr_ranges(rs), ==, 0);
    g_assert_false(range_set_overlaps(rs, 0, RANGE_SET_PAGE_LIMIT));
    g_assert_false(range_set_contains(rs, 0, 1));
    g_assert_cmpuint(range_set_pop(rs, 10, &start), ==, 0);
    g_assert_cmpuint(start, ==, 7);
    g_assert_true(range_set_remove(rs, 0, 100, &n));
    g_assert_cmpuint(n, ==, 0);
    assert_ranges(rs, "");
}

static void test_invalid(void)
{
    g_autoptr(RangeSet) rs = range_set_new();
    uint64_t n = 42;

    g_assert_false(range_set_valid(0, 0));
    g_assert_false(range_set_valid(RANGE_SET_PAGE_LIMIT, 1));
    g_assert_false(range_set_valid(RANGE_SET_PAGE_LIMIT - 1, 2));
    g_assert_false(range_set_valid(1, UINT64_MAX));
    g_assert_false(range_set_valid(UINT64_MAX, 2));     /* wraps */
    g_assert_true(range_set_valid(RANGE_SET_PAGE_LIMIT - 1, 1));
    g_assert_true(range_set_valid(0, RANGE_SET_PAGE_LIMIT));

    g_assert_false(range_set_insert(rs, 5, 0, &n));
    g_assert_false(range_set_insert(rs, UINT64_MAX - 1, 4, &n));
    g_assert_false(range_set_insert(rs, RANGE_SET_PAGE_LIMIT, 1, &n));
    g_assert_false(range_set_remove(rs, 1, UINT64_MAX, &n));
    g_assert_cmpuint(n, ==, 42);            /* untouched on failure */
    g_assert_cmpuint(range_set_count(rs, 0, 0), ==, 0);
    g_assert_cmpuint(range_set_total(rs), ==, 0);
}

static void test_merge_split(void)
{
    g_autoptr(RangeSet) rs = range_set_new();
    uint64_t n;

    g_assert_true(range_set_insert(rs, 10, 5, &n));
    g_assert_cmpuint(n, ==, 5);
    assert_ranges(rs, "10+5");
    /* touching on the right, then on the left: one range */
    range_set_insert(rs, 15, 5, &n);
    g_assert_cmpuint(n, ==, 5);
    range_set_insert(rs, 5, 5, &n);
    assert_ranges(rs, "5+15");
    /* a gap, then filling it, overlapping both sides */
    range_set_insert(rs, 30, 10, NULL);
    assert_ranges(rs, "5+15 30+10");
    g_assert_cmpuint(range_set_nr_ranges(rs), ==, 2);
    range_set_insert(rs, 15, 20, &n);
    g_assert_cmpuint(n, ==, 10);            /* 20..29 were missing */
    assert_ranges(rs, "5+35");
    /* duplicate insert adds nothing */
    range_set_insert(rs, 6, 3, &n);
    g_assert_cmpuint(n, ==, 0);
    /* remove from the middle splits */
    range_set_remove(rs, 10, 5, &n);
    g_assert_cmpuint(n, ==, 5);
    assert_ranges(rs, "5+5 15+25");
    /* remove across a gap counts only what was there */
    range_set_remove(rs, 8, 10, &n);
    g_assert_cmpuint(n, ==, 2 + 3);
    assert_ranges(rs, "5+3 18+22");
    g_assert_cmpuint(range_set_total(rs), ==, 25);
    /* queries at every boundary */
    g_assert_true(range_set_contains(rs, 5, 3));
    g_assert_false(range_set_contains(rs, 5, 4));
    g_assert_false(range_set_contains(rs, 4, 1));
    g_assert_true(range_set_overlaps(rs, 7, 11));
    g_assert_false(range_set_overlaps(rs, 8, 10));
    g_assert_true(range_set_overlaps(rs, 8, 11));
    g_assert_cmpuint(range_set_count(rs, 0, 100), ==, 25);
    g_assert_cmpuint(range_set_count(rs, 39, 1), ==, 1);
    g_assert_cmpuint(range_set_count(rs, 40, 1), ==, 0);
}

static void test_first_last_page(void)
{
    g_autoptr(RangeSet) rs = range_set_new();
    uint64_t last = RANGE_SET_PAGE_LIMIT - 1, n, s;

    range_set_insert(rs, 0, 1, NULL);
    range_set_insert(rs, last, 1, NULL);
    g_assert_cmpuint(range_set_total(rs), ==, 2);
    g_assert_true(range_set_contains(rs, last, 1));
    g_assert_false(range_set_contains(rs, last - 1, 2));
    assert_ranges(rs, "0+1 4503599627370495+1");
    g_assert_cmpuint(range_set_pop(rs, 5, &s), ==, 1);
    g_assert_cmpuint(s, ==, 0);
    range_set_remove(rs, 0, RANGE_SET_PAGE_LIMIT, &n);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(range_set_total(rs), ==, 0);
}

/* Popping within a span: the lowest range inside it, clipped. */
static void test_pop_in(void)
{
    g_autoptr(RangeSet) rs = range_set_new();
    uint64_t s;

    range_set_insert(rs, 10, 10, NULL);         /* 10..19 */
    range_set_insert(rs, 40000, 100, NULL);     /* across a window */
    g_assert_cmpuint(range_set_pop_in(rs, 15, 100, 3, &s), ==, 3);
    g_assert_cmpuint(s, ==, 15);
    g_assert_cmpuint(range_set_pop_in(rs, 15, 100, 10, &s), ==, 2);
    g_assert_cmpuint(s, ==, 18);
    g_assert_cmpuint(range_set_pop_in(rs, 15, 100, 10, &s), ==, 0);
    g_assert_cmpuint(range_set_pop_in(rs, 40050, 1000, 1000, &s), ==, 50);
    g_assert_cmpuint(s, ==, 40050);
    assert_ranges(rs, "10+5 40000+50");
    /* Not a valid span, or nothing asked: nothing. */
    g_assert_cmpuint(range_set_pop_in(rs, 10, 0, 5, &s), ==, 0);
    g_assert_cmpuint(range_set_pop_in(rs, 10, UINT64_MAX, 5, &s), ==, 0);
    g_assert_cmpuint(range_set_pop_in(rs, 0, 100, 0, &s), ==, 0);
    g_assert_cmpuint(range_set_total(rs), ==, 55);
}

static void test_windows(void)
{
    g_autoptr(RangeSet) rs = range_set_new();
    uint64_t n;
    g_autofree char *want = NULL;

    /* Across window boundaries: still one range. */
    range_set_insert(rs, W - 3, 6, NULL);
    want = g_strdup_printf("%" PRIu64 "+6", W - 3);
    assert_ranges(rs, want);
    /* A whole window plus bits: becomes a full span, still one range. */
    range_set_insert(rs, W - 10, W + 20, &n);
    g_assert_cmpuint(n, ==, W + 20 - 6);
    g_free(want);
    want = g_strdup_printf("%" PRIu64 "+%" PRIu64, W - 10, W + 20);
    assert_ranges(rs, want);
    /* Punch a page out of the full window and put it back. */
    range_set_remove(rs, W + 100, 1, &n);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(range_set_nr_ranges(rs), ==, 2);
    range_set_insert(rs, W + 100, 1, &n);
    g_assert_cmpuint(n, ==, 1);
    assert_ranges(rs, want);
    g_assert_cmpuint(range_set_total(rs), ==, W + 20);
}

static void test_huge_ranges(void)
{
    g_autoptr(RangeSet) rs = range_set_new();
    uint64_t big = 1ULL << 40, n, s;

    g_assert_true(range_set_insert(rs, 12345, big, &n));
    g_assert_cmpuint(n, ==, big);
    g_assert_cmpuint(range_set_nr_ranges(rs), ==, 1);
    /* A 2^40-page range costs a few entries, not one per window. */
    g_assert_cmpuint(range_set_memory(rs), <, 4096);
    g_assert_true(range_set_contains(rs, 12345, big));
    g_assert_false(range_set_contains(rs, 12344, big));
    /* Cut a hole in the middle, deep inside the full span. */
    range_set_remove(rs, 1ULL << 39, 3 * W + 5, &n);
    g_assert_cmpuint(n, ==, 3 * W + 5);
    g_assert_cmpuint(range_set_nr_ranges(rs), ==, 2);
    g_assert_cmpuint(range_set_total(rs), ==, big - 3 * W - 5);
    range_set_insert(rs, 0, RANGE_SET_PAGE_LIMIT, &n);
    g_assert_cmpuint(n, ==, RANGE_SET_PAGE_LIMIT - big + 3 * W + 5);
    g_assert_cmpuint(range_set_total(rs), ==, RANGE_SET_PAGE_LIMIT);
    g_assert_cmpuint(range_set_pop(rs, big, &s), ==, big);
    g_assert_cmpuint(s, ==, 0);
    g_assert_cmpuint(range_set_total(rs), ==, RANGE_SET_PAGE_LIMIT - big);
}

/* Every other page of 1 GiB: memory stays within the documented bound. */
static void test_checkerboard_bound(void)
{
    g_autoptr(RangeSet) rs = range_set_new();
    uint64_t pages = 1ULL << 18, p;     /* 1 GiB */

    for (p = 0; p < pages; p += 2) {
        range_set_insert(rs, p, 1, NULL);
    }
    g_assert_cmpuint(range_set_total(rs), ==, pages / 2);
    g_assert_cmpuint(range_set_nr_ranges(rs), ==, pages / 2);
    /* Bitmaps now: the bound is reached, not exceeded. */
    g_assert_cmpuint(range_set_memory(rs), <=,
                     range_set_worst_case_bytes(pages));
    g_assert_cmpuint(range_set_memory(rs), >=,
                     range_set_worst_case_bytes(pages) * 3 / 4);
    g_assert_cmpuint(range_set_worst_case_bytes(1ULL << 28), <=, 64 * MiB);
    /* Fill the holes: back to one range and little memory. */
    for (p = 1; p < pages; p += 2) {
        range_set_insert(rs, p, 1, NULL);
    }
    g_assert_cmpuint(range_set_nr_ranges(rs), ==, 1);
    g_assert_cmpuint(range_set_memory(rs), <, 1024);
}

static void test_set_operations(void)
{
    g_autoptr(RangeSet) a = range_set_new();
    g_autoptr(RangeSet) b = range_set_new();

    range_set_insert(a, 0, 100, NULL);
    range_set_insert(a, 3 * W, 10, NULL);
    range_set_insert(b, 50, 100, NULL);
    range_set_insert(b, 3 * W + 5, W, NULL);
    g_assert_cmpuint(range_set_intersection_count(a, b), ==, 50 + 5);
    range_set_union(a, b);
    g_assert_cmpuint(range_set_total(a), ==, 150 + W + 5);
    range_set_subtract(a, b);
    g_assert_cmpuint(range_set_total(a), ==, 50 + 5);
    range_set_clear(a);
    g_assert_cmpuint(range_set_total(a), ==, 0);
    g_assert_cmpuint(range_set_nr_ranges(a), ==, 0);
}

/*
 * Random operations over a 4-window space against a bitmap oracle, with
 * ranges of every scale so that runs, bitmaps and full spans all occur.
 */
static void test_random_model(void)
{
    const uint64_t space = 4 * W;
    g_autoptr(RangeSet) rs = range_set_new();
    unsigned long *oracle = bitmap_new(space);
    int i;

    for (i = 0; i < 20000; i++) {
        int op = g_test_rand_int_range(0, 10);
        int scale = g_test_rand_int_range(0, 4);
        uint64_t maxlen = scale == 0 ? 4 : scale == 1 ? 64 :
                          scale == 2 ? W / 4 : 2 * W;
        uint64_t start = g_test_rand_int_range(0, space);
        uint64_t count = g_test_rand_int_range(1, maxlen + 1);
        uint64_t n, want;

        count = MIN(count, space - start);
        want = bitmap_count_one_with_offset(oracle, start, count);
        if (op < 5) {
            g_assert_true(range_set_insert(rs, start, count, &n));
            g_assert_cmpuint(n, ==, count - want);
            bitmap_set(oracle, start, count);
        } else if (op < 9) {
            g_assert_true(range_set_remove(rs, start, count, &n));
            g_assert_cmpuint(n, ==, want);
            bitmap_clear(oracle, start, count);
        } else {
            g_assert_cmpuint(range_set_count(rs, start, count), ==, want);
            g_assert_cmpint(range_set_contains(rs, start, count), ==,
                            want == count);
        }
        g_assert_cmpuint(range_set_total(rs), ==,
                         bitmap_count_one(oracle, space));
        if (i % 1000 == 0) {
            /* The ranges the set reports are exactly the oracle's runs. */
            g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(Range));
            uint64_t expect_start = find_first_bit(oracle, space);
            guint k;

            range_set_foreach(rs, 0, RANGE_SET_PAGE_LIMIT, collect_cb, a);
            for (k = 0; k < a->len; k++) {
                Range *r = &g_array_index(a, Range, k);
                uint64_t end = find_next_zero_bit(oracle, space,
                                                  expect_start);

                g_assert_cmpuint(r->start, ==, expect_start);
                g_assert_cmpuint(r->start + r->count, ==, end);
                expect_start = find_next_bit(oracle, space, end);
            }
            g_assert_cmpuint(expect_start, ==, space);
            g_assert_cmpuint(range_set_memory(rs), <=,
                             range_set_worst_case_bytes(space));
        }
    }
    g_free(oracle);
}

/* Encode @rs, decode into a new set; the same ranges, the expected size. */
static void check_round_trip(RangeSet *rs, size_t max_bytes)
{
    g_autoptr(GByteArray) buf = range_set_encode(rs);
    g_autoptr(RangeSet) back = range_set_new();
    g_autofree char *want = ranges_str(rs);
    g_autofree char *got = NULL;

    g_assert_cmpuint(buf->len, <=, max_bytes);
    g_assert_true(range_set_decode(back, buf->data, buf->len,
                                   RANGE_SET_PAGE_LIMIT, &error_abort));
    got = ranges_str(back);
    g_assert_cmpstr(got, ==, want);
    g_assert_cmpuint(range_set_total(back), ==, range_set_total(rs));
}

static void test_encode(void)
{
    g_autoptr(RangeSet) rs = range_set_new();
    uint64_t i;

    check_round_trip(rs, 1);                    /* just the count */
    range_set_insert(rs, 0, 1, NULL);
    check_round_trip(rs, 3);
    range_set_insert(rs, RANGE_SET_PAGE_LIMIT - 5, 5, NULL);
    range_set_insert(rs, 1ULL << 40, 1ULL << 40, NULL);
    check_round_trip(rs, 1 + 2 + 2 * 10 + 2 * 10);

    /* Every other page of 64 MiB: 2 bytes per range. */
    range_set_clear(rs);
    for (i = 0; i < 16384; i += 2) {
        range_set_insert(rs, i + 1, 1, NULL);
    }
    check_round_trip(rs, 3 + 2 * 8192);
}

/* Decoding @bytes (@len of them) within @limit fails and leaves @rs empty. */
static void check_refused(const uint8_t *bytes, size_t len, uint64_t limit)
{
    g_autoptr(RangeSet) rs = range_set_new();
    Error *err = NULL;

    g_assert_false(range_set_decode(rs, bytes, len, limit, &err));
    g_assert_nonnull(err);
    error_free(err);
    g_assert_cmpuint(range_set_total(rs), ==, 0);
    g_assert_cmpuint(range_set_nr_ranges(rs), ==, 0);
}

/* What a corrupt or hostile migration stream could hold. */
static void test_decode_refused(void)
{
    static const uint8_t empty_range[] = { 1, 5, 0 };
    static const uint8_t touching[] = { 2, 5, 3, 0, 3 };
    static const uint8_t truncated[] = { 2, 5, 3, 1 };
    static const uint8_t left_over[] = { 1, 5, 3, 7 };
    static const uint8_t too_many[] = { 100, 5, 3 };
    static const uint8_t past_limit[] = { 1, 0x80, 0x08, 1 };  /* page 1024 */
    static const uint8_t wraps[] = { 2, 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0x01, 1 };
    static const uint8_t too_long[] = { 1, 0xff, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0x7f, 1 };
    static const uint8_t ok[] = { 2, 5, 3, 1, 2 };
    g_autoptr(RangeSet) rs = range_set_new();

    check_refused(NULL, 0, 1024);
    check_refused(empty_range, sizeof(empty_range), 1024);
    check_refused(touching, sizeof(touching), 1024);
    check_refused(truncated, sizeof(truncated), 1024);
    check_refused(left_over, sizeof(left_over), 1024);
    check_refused(too_many, sizeof(too_many), 1024);
    check_refused(past_limit, sizeof(past_limit), 1024);
    check_refused(wraps, sizeof(wraps), RANGE_SET_PAGE_LIMIT);
    check_refused(too_long, sizeof(too_long), RANGE_SET_PAGE_LIMIT);

    /* The same ranges as "touching", apart: pages 5-7 and 9-10. */
    g_assert_true(range_set_decode(rs, ok, sizeof(ok), 11, &error_abort));
    g_assert_cmpuint(range_set_total(rs), ==, 5);
    g_assert_true(range_set_contains(rs, 5, 3));
    g_assert_true(range_set_contains(rs, 9, 2));
    range_set_clear(rs);
    /* ...but page 10 is past a limit of 10. */
    check_refused(ok, sizeof(ok), 10);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/range-set/empty", test_empty);
    g_test_add_func("/range-set/invalid", test_invalid);
    g_test_add_func("/range-set/merge-split", test_merge_split);
    g_test_add_func("/range-set/first-last-page", test_first_last_page);
    g_test_add_func("/range-set/pop-in", test_pop_in);
    g_test_add_func("/range-set/windows", test_windows);
    g_test_add_func("/range-set/huge-ranges", test_huge_ranges);
    g_test_add_func("/range-set/checkerboard-bound", test_checkerboard_bound);
    g_test_add_func("/range-set/set-operations", test_set_operations);
    g_test_add_func("/range-set/random-model", test_random_model);
    g_test_add_func("/range-set/encode", test_encode);
    g_test_add_func("/range-set/decode-refused", test_decode_refused);
    return g_test_run();
}
