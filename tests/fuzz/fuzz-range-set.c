/*
 * libFuzzer target: sequences of RangeSet operations against a bitmap
 * oracle.
 *
 * Each operation takes 7 bytes: an opcode, a 3-byte start and a 3-byte
 * length, scaled so that single pages, runs, bitmaps, full windows and
 * invalid (overflowing) ranges all occur.  Pages inside ORACLE_PAGES are
 * checked exactly against the oracle after every operation.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "range-set.h"

#define ORACLE_PAGES (4 * RANGE_SET_WINDOW)

static uint64_t fuzz_u24(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | ((uint64_t)p[2] << 16);
}

static bool fuzz_check_cb(uint64_t start, uint64_t count, void *opaque)
{
    unsigned long *oracle = opaque;

    /* Every reported range is present, and maximal. */
    assert(start + count <= ORACLE_PAGES);
    assert(bitmap_count_one_with_offset(oracle, start, count) == count);
    assert(start == 0 || !test_bit(start - 1, oracle));
    assert(start + count == ORACLE_PAGES || !test_bit(start + count, oracle));
    return true;
}

/* libFuzzer's entry point (built without QEMU's warning flags) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(RangeSet) rs = range_set_new();
    unsigned long *oracle = bitmap_new(ORACLE_PAGES);

    for (; size >= 7; data += 7, size -= 7) {
        uint8_t op = data[0];
        uint64_t start = fuzz_u24(data + 1) % ORACLE_PAGES;
        uint64_t count = fuzz_u24(data + 4);
        bool valid;
        uint64_t n = 0, want;

        switch ((op >> 4) & 3) {
        case 0:
            count &= 7;                 /* pages, and 0 */
            break;
        case 1:
            count &= 2047;              /* runs */
            break;
        case 2:
            break;                      /* up to 2^24: full windows */
        case 3:
            /* Far away or overflowing: only validity is checked. */
            start = UINT64_MAX - fuzz_u24(data + 1);
            count = (count << 32) | count;
            assert(!range_set_insert(rs, start, count, &n));
            assert(!range_set_remove(rs, start, count, &n));
            assert(range_set_count(rs, start, count) == 0);
            continue;
        }
        valid = range_set_valid(start, count);
        assert(valid == (count != 0));
        if (!valid) {
            assert(!range_set_insert(rs, start, count, &n));
            continue;
        }
        count = MIN(count, ORACLE_PAGES - start);
        want = bitmap_count_one_with_offset(oracle, start, count);
        switch (op & 3) {
        case 0:
        case 1:
            assert(range_set_insert(rs, start, count, &n));
            assert(n == count - want);
            bitmap_set(oracle, start, count);
            break;
        case 2:
            assert(range_set_remove(rs, start, count, &n));
            assert(n == want);
            bitmap_clear(oracle, start, count);
            break;
        case 3:
            assert(range_set_count(rs, start, count) == want);
            if (op & 4) {
                uint64_t s, got = range_set_pop(rs, count, &s);

                if (got) {
                    assert(bitmap_count_one_with_offset(oracle, s, got) ==
                           got);
                    bitmap_clear(oracle, s, got);
                }
            }
            break;
        }
        assert(range_set_total(rs) == bitmap_count_one(oracle, ORACLE_PAGES));
        assert(range_set_memory(rs) <=
               range_set_worst_case_bytes(ORACLE_PAGES));
    }
    range_set_foreach(rs, 0, RANGE_SET_PAGE_LIMIT, fuzz_check_cb, oracle);
    g_free(oracle);
    return 0;
}
