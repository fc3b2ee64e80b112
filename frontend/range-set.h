/*
 * RangeSet: a set of 4 KiB page numbers kept as merged ranges, with
 * bounded memory
 *
 * A pure data structure: no QOM, no guest, no QEMU state.  Used by the
 * balloon frontend to track ballooned, plugged and hot-added memory.
 *
 * Page numbers are below RANGE_SET_PAGE_LIMIT (2^52: every 4 KiB page of
 * a 64-bit address space).  The set is cut into aligned windows of
 * RANGE_SET_WINDOW pages (128 MiB).  A window is either
 *   - part of a "full span": a run of whole windows all present, stored
 *     as one entry however long (a 2^40-page range costs one entry);
 *   - a sorted array of ranges inside the window, 4 bytes per range;
 *   - a bitmap of the window (4 KiB), once it holds more than
 *     RANGE_SET_MAX_RUNS ranges, so that fragmentation cannot cost more
 *     than the bitmap.
 * Entries are found through QEMU's interval tree (each entry is the
 * interval of windows it covers), with a one-entry cache for sequential
 * access.
 *
 * Memory bound: a window never costs more than its bitmap plus a fixed
 * header (about 4.2 KiB), so whatever the pattern of inserts and removes
 * (a guest releasing every other page, say) one TiB tracked costs at
 * most 8193 windows * ~4.2 KiB, about 34 MiB (see
 * range_set_worst_case_bytes()).
 *
 * Operations on a range cost O(log W + R) where W is the number of
 * entries and R the ranges of the (at most two) windows the range only
 * partly covers, bounded by RANGE_SET_MAX_RUNS; whole windows in between
 * cost one entry update each.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_RANGE_SET_H
#define UBF_RANGE_SET_H

#define RANGE_SET_PAGE_LIMIT ((uint64_t)1 << 52)
#define RANGE_SET_WINDOW_SHIFT 15
#define RANGE_SET_WINDOW ((uint64_t)1 << RANGE_SET_WINDOW_SHIFT)
/* A window with more ranges than this becomes a bitmap (see above). */
#define RANGE_SET_MAX_RUNS 1024

typedef struct RangeSet RangeSet;

/* Called for each maximal range; return false to stop. */
typedef bool (*RangeSetFunc)(uint64_t start, uint64_t count, void *opaque);

RangeSet *range_set_new(void);
void range_set_free(RangeSet *rs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RangeSet, range_set_free)

/*
 * Is [@start, @start + @count) a valid, non-empty page range?  False for
 * @count 0, an end past RANGE_SET_PAGE_LIMIT, or wrap-around.
 */
bool range_set_valid(uint64_t start, uint64_t count);

/*
 * Add the pages [@start, @start + @count); *@added (may be NULL) gets the
 * number of pages that were not in the set yet.  Returns false, changing
 * nothing, if the range is not valid.
 */
bool range_set_insert(RangeSet *rs, uint64_t start, uint64_t count,
                      uint64_t *added);

/*
 * Remove the pages [@start, @start + @count); *@removed (may be NULL)
 * gets the number of pages that were in the set.  Returns false,
 * changing nothing, if the range is not valid.
 */
bool range_set_remove(RangeSet *rs, uint64_t start, uint64_t count,
                      uint64_t *removed);

/* Pages of [@start, @start + @count) in the set (0 if not valid). */
uint64_t range_set_count(RangeSet *rs, uint64_t start, uint64_t count);

/* Every page of the (valid) range is in the set. */
bool range_set_contains(RangeSet *rs, uint64_t start, uint64_t count);

/* Some page of the (valid) range is in the set. */
bool range_set_overlaps(RangeSet *rs, uint64_t start, uint64_t count);

/* Pages in the set. */
uint64_t range_set_total(const RangeSet *rs);

/*
 * Call @fn for every maximal range of the set inside [@start, @start +
 * @count), clipped to it, in ascending order.
 */
void range_set_foreach(RangeSet *rs, uint64_t start, uint64_t count,
                       RangeSetFunc fn, void *opaque);

/* Number of maximal ranges in the set. */
uint64_t range_set_nr_ranges(RangeSet *rs);

/*
 * Remove and return the lowest range, at most @max pages of it: *@start
 * gets its first page; returns its length, 0 if the set is empty.
 */
uint64_t range_set_pop(RangeSet *rs, uint64_t max, uint64_t *start);

/*
 * The same, for the lowest range of the set inside [@from, @from +
 * @count), clipped to it; 0 if there is none (or the span is not valid).
 */
uint64_t range_set_pop_in(RangeSet *rs, uint64_t from, uint64_t count,
                          uint64_t max, uint64_t *start);

/* Add every page of @src to @dst. */
void range_set_union(RangeSet *dst, RangeSet *src);

/* Remove every page of @src from @dst. */
void range_set_subtract(RangeSet *dst, RangeSet *src);

/* Pages in both sets. */
uint64_t range_set_intersection_count(RangeSet *a, RangeSet *b);

/* Remove everything. */
void range_set_clear(RangeSet *rs);

/*
 * The set as bytes (to migrate it): the number of ranges, then for each
 * range its distance from the end of the one before (from page 0 for the
 * first) and its length, all as LEB128 varints.  At most one byte per
 * page the ranges and gaps span, a few bytes per range in general.
 */
GByteArray *range_set_encode(RangeSet *rs);

/*
 * Fill the empty set @rs from @len bytes at @buf (range_set_encode()'s
 * format).  Refuses, leaving @rs empty, bytes that are truncated or left
 * over, a range that is empty, out of order, overlapping or touching the
 * one before, or that reaches page @limit.
 */
bool range_set_decode(RangeSet *rs, const uint8_t *buf, size_t len,
                      uint64_t limit, Error **errp);

/* Bytes of host memory the set uses now, headers included. */
size_t range_set_memory(const RangeSet *rs);

/*
 * The most host memory, in bytes, a set can use whose pages all lie in
 * a span of @pages pages, whatever they are (for one TiB, @pages is
 * 2^28: about 34 MiB).
 */
size_t range_set_worst_case_bytes(uint64_t pages);

#endif
