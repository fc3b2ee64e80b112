/*
 * RangeSet: a set of 4 KiB page numbers kept as merged ranges, with
 * bounded memory (see range-set.h for the layout and its bounds)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/interval-tree.h"
#include "qapi/error.h"
#include "range-set.h"

#define RS_MASK (RANGE_SET_WINDOW - 1)
#define RS_BITMAP_LONGS BITS_TO_LONGS(RANGE_SET_WINDOW)

typedef enum RangeSetKind {
    RS_FULL,        /* every page of nwin windows */
    RS_RUNS,        /* sorted, disjoint, non-adjacent runs in one window */
    RS_BITMAP,      /* one bit per page of one window */
} RangeSetKind;

/* [start, end) page offsets inside a window; end may be the window size. */
typedef struct RangeSetRun {
    uint16_t start;
    uint16_t end;
} RangeSetRun;
QEMU_BUILD_BUG_ON(RANGE_SET_WINDOW > UINT16_MAX);

typedef struct RangeSetEntry {
    IntervalTreeNode node;  /* windows [first, first + nwin - 1] */
    uint64_t first;         /* first window */
    uint64_t nwin;          /* windows covered: 1 unless RS_FULL */
    RangeSetKind kind;
    uint32_t pages;         /* RS_RUNS, RS_BITMAP: pages present */
    uint32_t nruns;         /* RS_RUNS: runs in use */
    uint32_t cap;           /* RS_RUNS: runs allocated */
    RangeSetRun *runs;      /* RS_RUNS */
    unsigned long *bitmap;  /* RS_BITMAP */
} RangeSetEntry;

struct RangeSet {
    IntervalTreeRoot index; /* entries by the windows they cover */
    RangeSetEntry *cache;   /* the entry used last */
    uint64_t total;         /* pages in the set */
    size_t memory;          /* bytes of entries, runs and bitmaps */
};

bool range_set_valid(uint64_t start, uint64_t count)
{
    return count && start < RANGE_SET_PAGE_LIMIT &&
           count <= RANGE_SET_PAGE_LIMIT - start;
}

RangeSet *range_set_new(void)
{
    return g_new0(RangeSet, 1);
}

static size_t range_set_entry_bytes(RangeSetEntry *e)
{
    return sizeof(*e) + e->cap * sizeof(RangeSetRun) +
           (e->bitmap ? RS_BITMAP_LONGS * sizeof(unsigned long) : 0);
}

static void range_set_entry_free(RangeSetEntry *e)
{
    g_free(e->runs);
    g_free(e->bitmap);
    g_free(e);
}

/* Unlink @e from the index; the caller frees or reinserts it. */
static void range_set_unlink(RangeSet *rs, RangeSetEntry *e)
{
    interval_tree_remove(&e->node, &rs->index);
    rs->memory -= range_set_entry_bytes(e);
    if (rs->cache == e) {
        rs->cache = NULL;
    }
}

static void range_set_link(RangeSet *rs, RangeSetEntry *e)
{
    e->node.start = e->first;
    e->node.last = e->first + e->nwin - 1;
    interval_tree_insert(&e->node, &rs->index);
    rs->memory += range_set_entry_bytes(e);
    rs->cache = e;
}

static void range_set_drop(RangeSet *rs, RangeSetEntry *e)
{
    range_set_unlink(rs, e);
    range_set_entry_free(e);
}

/* The entry covering window @w, or NULL. */
static RangeSetEntry *range_set_lookup(RangeSet *rs, uint64_t w)
{
    RangeSetEntry *e = rs->cache;
    IntervalTreeNode *node;

    if (e && e->first <= w && w - e->first < e->nwin) {
        return e;
    }
    node = interval_tree_iter_first(&rs->index, w, w);
    if (!node) {
        return NULL;
    }
    rs->cache = container_of(node, RangeSetEntry, node);
    return rs->cache;
}

/* The first entry covering window @w or a later one, or NULL. */
static RangeSetEntry *range_set_next(RangeSet *rs, uint64_t w)
{
    IntervalTreeNode *node = interval_tree_iter_first(&rs->index, w,
                                                      UINT64_MAX);

    return node ? container_of(node, RangeSetEntry, node) : NULL;
}

/* The entry after @e, or NULL. */
static RangeSetEntry *range_set_after(RangeSetEntry *e)
{
    IntervalTreeNode *node = interval_tree_iter_next(&e->node, e->first,
                                                     UINT64_MAX);

    return node ? container_of(node, RangeSetEntry, node) : NULL;
}

static RangeSetEntry *range_set_entry_new(RangeSetKind kind, uint64_t first,
                                          uint64_t nwin)
{
    RangeSetEntry *e = g_new0(RangeSetEntry, 1);

    e->kind = kind;
    e->first = first;
    e->nwin = nwin;
    return e;
}

/*
 * Merge the full span @e with full spans right next to it.  An entry's
 * windows are its key in the index: it is unlinked while they change.
 */
static void range_set_full_merge(RangeSet *rs, RangeSetEntry *e)
{
    RangeSetEntry *left = e->first ? range_set_lookup(rs, e->first - 1) : NULL;
    RangeSetEntry *right = range_set_lookup(rs, e->first + e->nwin);
    bool merge_left = left && left->kind == RS_FULL;
    bool merge_right = right && right->kind == RS_FULL;

    if (!merge_left && !merge_right) {
        return;
    }
    range_set_unlink(rs, e);
    if (merge_right) {
        e->nwin += right->nwin;
        range_set_drop(rs, right);
    }
    if (merge_left) {
        e->first = left->first;
        e->nwin += left->nwin;
        range_set_drop(rs, left);
    }
    range_set_link(rs, e);
}

/* Turn the window entry @e, now entirely present, into a full span. */
static void range_set_make_full(RangeSet *rs, RangeSetEntry *e)
{
    uint64_t w = e->first;

    range_set_drop(rs, e);
    e = range_set_entry_new(RS_FULL, w, 1);
    range_set_link(rs, e);
    range_set_full_merge(rs, e);
}

/* Replace @e's runs by a bitmap: fragmentation costs no more than that. */
static void range_set_make_bitmap(RangeSet *rs, RangeSetEntry *e)
{
    uint32_t i;

    rs->memory -= range_set_entry_bytes(e);
    e->bitmap = bitmap_new(RANGE_SET_WINDOW);
    for (i = 0; i < e->nruns; i++) {
        bitmap_set(e->bitmap, e->runs[i].start,
                   e->runs[i].end - e->runs[i].start);
    }
    g_clear_pointer(&e->runs, g_free);
    e->nruns = e->cap = 0;
    e->kind = RS_BITMAP;
    rs->memory += range_set_entry_bytes(e);
}

/* Make room for @n runs at @at (n may be negative: close a gap). */
static void range_set_runs_shift(RangeSet *rs, RangeSetEntry *e, uint32_t at,
                                 int n)
{
    if (n > 0 && e->nruns + n > e->cap) {
        rs->memory -= range_set_entry_bytes(e);
        /* Never more than one run past the limit: then it is a bitmap. */
        e->cap = MIN(MAX(MAX(e->cap * 2, e->nruns + n), 4),
                     RANGE_SET_MAX_RUNS + 1);
        g_assert(e->nruns + n <= e->cap);
        e->runs = g_renew(RangeSetRun, e->runs, e->cap);
        rs->memory += range_set_entry_bytes(e);
    }
    if (n > 0) {
        memmove(&e->runs[at + n], &e->runs[at],
                (e->nruns - at) * sizeof(RangeSetRun));
    } else if (n < 0) {
        memmove(&e->runs[at], &e->runs[at - n],
                (e->nruns - at + n) * sizeof(RangeSetRun));
    }
    e->nruns += n;
}

/* First run whose end is >= @off (or > @off if @strict). */
static uint32_t range_set_runs_find_end(RangeSetEntry *e, uint32_t off,
                                        bool strict)
{
    uint32_t lo = 0, hi = e->nruns;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;

        if (e->runs[mid].end < off || (strict && e->runs[mid].end == off)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* First run whose start is > @off (or >= @off if @strict). */
static uint32_t range_set_runs_find_start(RangeSetEntry *e, uint32_t off,
                                          bool strict)
{
    uint32_t lo = 0, hi = e->nruns;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;

        if (e->runs[mid].start < off ||
            (!strict && e->runs[mid].start == off)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static uint32_t range_set_runs_overlap(RangeSetEntry *e, uint32_t i,
                                       uint32_t j, uint32_t a, uint32_t b)
{
    uint32_t k, n = 0;

    for (k = i; k < j; k++) {
        uint32_t s = MAX(e->runs[k].start, a), t = MIN(e->runs[k].end, b);

        n += t > s ? t - s : 0;
    }
    return n;
}

/* Add offsets [a, b) of window @w; returns the pages added. */
static uint64_t range_set_window_insert(RangeSet *rs, uint64_t w, uint32_t a,
                                        uint32_t b)
{
    RangeSetEntry *e = range_set_lookup(rs, w);
    uint32_t i, j, added;

    if (!e) {
        if (a == 0 && b == RANGE_SET_WINDOW) {
            e = range_set_entry_new(RS_FULL, w, 1);
            range_set_link(rs, e);
            range_set_full_merge(rs, e);
            return b - a;
        }
        e = range_set_entry_new(RS_RUNS, w, 1);
        range_set_link(rs, e);
    }
    switch (e->kind) {
    case RS_FULL:
        return 0;
    case RS_BITMAP:
        added = (b - a) - bitmap_count_one_with_offset(e->bitmap, a, b - a);
        bitmap_set(e->bitmap, a, b - a);
        break;
    case RS_RUNS:
        /* Runs i..j-1 overlap or touch [a, b): they merge with it. */
        i = range_set_runs_find_end(e, a, false);
        j = range_set_runs_find_start(e, b, false);
        added = (b - a) - range_set_runs_overlap(e, i, j, a, b);
        if (i == j) {
            range_set_runs_shift(rs, e, i, 1);
            e->runs[i].start = a;
            e->runs[i].end = b;
        } else {
            e->runs[i].start = MIN(a, e->runs[i].start);
            e->runs[i].end = MAX(b, e->runs[j - 1].end);
            range_set_runs_shift(rs, e, i + 1, -(int)(j - i - 1));
        }
        break;
    default:
        g_assert_not_reached();
    }
    e->pages += added;
    if (e->pages == RANGE_SET_WINDOW) {
        range_set_make_full(rs, e);
    } else if (e->kind == RS_RUNS && e->nruns > RANGE_SET_MAX_RUNS) {
        range_set_make_bitmap(rs, e);
    }
    return added;
}

/*
 * Window @w of the full span @e loses offsets [a, b): cut the span around
 * it and give the window the runs that remain.
 */
static void range_set_full_split(RangeSet *rs, RangeSetEntry *e, uint64_t w,
                                  uint32_t a, uint32_t b)
{
    uint64_t first = e->first, end = e->first + e->nwin;
    RangeSetEntry *win;

    range_set_drop(rs, e);
    if (first < w) {
        range_set_link(rs, range_set_entry_new(RS_FULL, first, w - first));
    }
    if (w + 1 < end) {
        range_set_link(rs, range_set_entry_new(RS_FULL, w + 1, end - w - 1));
    }
    if (a == 0 && b == RANGE_SET_WINDOW) {
        return;
    }
    win = range_set_entry_new(RS_RUNS, w, 1);
    range_set_link(rs, win);
    range_set_runs_shift(rs, win, 0, (a > 0) + (b < RANGE_SET_WINDOW));
    if (a > 0) {
        win->runs[0].start = 0;
        win->runs[0].end = a;
    }
    if (b < RANGE_SET_WINDOW) {
        win->runs[win->nruns - 1].start = b;
        win->runs[win->nruns - 1].end = RANGE_SET_WINDOW;
    }
    win->pages = RANGE_SET_WINDOW - (b - a);
}

/* Remove offsets [a, b) of window @w; returns the pages removed. */
static uint64_t range_set_window_remove(RangeSet *rs, uint64_t w, uint32_t a,
                                        uint32_t b)
{
    RangeSetEntry *e = range_set_lookup(rs, w);
    uint32_t i, j, removed, n;
    RangeSetRun left, right;

    if (!e) {
        return 0;
    }
    switch (e->kind) {
    case RS_FULL:
        range_set_full_split(rs, e, w, a, b);
        return b - a;
    case RS_BITMAP:
        removed = bitmap_count_one_with_offset(e->bitmap, a, b - a);
        bitmap_clear(e->bitmap, a, b - a);
        break;
    case RS_RUNS:
        /* Runs i..j-1 overlap [a, b). */
        i = range_set_runs_find_end(e, a, true);
        j = range_set_runs_find_start(e, b, true);
        if (i >= j) {
            return 0;
        }
        removed = range_set_runs_overlap(e, i, j, a, b);
        left = (RangeSetRun) { e->runs[i].start, a };
        right = (RangeSetRun) { b, e->runs[j - 1].end };
        n = (left.start < left.end) + (right.start < right.end);
        range_set_runs_shift(rs, e, i, (int)n - (int)(j - i));
        if (left.start < left.end) {
            e->runs[i++] = left;
        }
        if (right.start < right.end) {
            e->runs[i] = right;
        }
        break;
    default:
        g_assert_not_reached();
    }
    e->pages -= removed;
    if (e->pages == 0) {
        range_set_drop(rs, e);
    } else if (e->kind == RS_RUNS && e->nruns > RANGE_SET_MAX_RUNS) {
        range_set_make_bitmap(rs, e);
    }
    return removed;
}

static uint64_t range_set_window_count(RangeSet *rs, uint64_t w, uint32_t a,
                                       uint32_t b)
{
    RangeSetEntry *e = range_set_lookup(rs, w);
    uint32_t i, j;

    if (!e) {
        return 0;
    }
    switch (e->kind) {
    case RS_FULL:
        return b - a;
    case RS_BITMAP:
        return bitmap_count_one_with_offset(e->bitmap, a, b - a);
    case RS_RUNS:
        i = range_set_runs_find_end(e, a, true);
        j = range_set_runs_find_start(e, b, true);
        return range_set_runs_overlap(e, i, j, a, b);
    default:
        g_assert_not_reached();
    }
}

/*
 * Apply @op to the part of [@start, @start + @count) inside each window:
 * head and tail windows get their partial range, the whole windows in
 * between are handed to @mid at once.
 */
typedef uint64_t (*RangeSetWindowOp)(RangeSet *rs, uint64_t w, uint32_t a,
                                     uint32_t b);
typedef uint64_t (*RangeSetMidOp)(RangeSet *rs, uint64_t w, uint64_t nwin);

static uint64_t range_set_apply(RangeSet *rs, uint64_t start, uint64_t count,
                                RangeSetWindowOp op, RangeSetMidOp mid)
{
    uint64_t last = start + count - 1;
    uint64_t ws = start >> RANGE_SET_WINDOW_SHIFT;
    uint64_t we = last >> RANGE_SET_WINDOW_SHIFT;
    uint64_t n = 0;

    if (ws == we) {
        return op(rs, ws, start & RS_MASK, (last & RS_MASK) + 1);
    }
    if (we - ws > 1) {
        n += mid(rs, ws + 1, we - ws - 1);
    }
    n += op(rs, ws, start & RS_MASK, RANGE_SET_WINDOW);
    n += op(rs, we, 0, (last & RS_MASK) + 1);
    return n;
}

/* Pages present in whole windows [w, w + nwin). */
static uint64_t range_set_mid_count(RangeSet *rs, uint64_t w, uint64_t nwin)
{
    RangeSetEntry *e = range_set_lookup(rs, w);
    uint64_t end = w + nwin, n = 0;

    if (!e) {
        e = range_set_next(rs, w);
    }
    while (e && e->first < end) {
        uint64_t s = MAX(e->first, w), t = MIN(e->first + e->nwin, end);

        n += e->kind == RS_FULL ? (t - s) * RANGE_SET_WINDOW : e->pages;
        e = range_set_after(e);
    }
    return n;
}

/* Remove every page of whole windows [w, w + nwin); returns how many. */
static uint64_t range_set_mid_remove(RangeSet *rs, uint64_t w, uint64_t nwin)
{
    uint64_t end = w + nwin, n = 0;
    RangeSetEntry *e;

    e = range_set_lookup(rs, w);
    if (e && e->kind == RS_FULL && e->first < w) {
        /* A span reaching in from the left: keep its left part. */
        uint64_t first = e->first, stop = e->first + e->nwin;

        range_set_drop(rs, e);
        range_set_link(rs, range_set_entry_new(RS_FULL, first, w - first));
        if (stop > w) {
            range_set_link(rs, range_set_entry_new(RS_FULL, w, stop - w));
        }
    }
    while ((e = range_set_next(rs, w)) && e->first < end) {
        if (e->kind == RS_FULL && e->first + e->nwin > end) {
            /* A span reaching out to the right: keep its right part. */
            uint64_t stop = e->first + e->nwin;

            n += (end - e->first) * RANGE_SET_WINDOW;
            range_set_drop(rs, e);
            range_set_link(rs, range_set_entry_new(RS_FULL, end, stop - end));
            break;
        }
        n += e->kind == RS_FULL ? e->nwin * RANGE_SET_WINDOW : e->pages;
        range_set_drop(rs, e);
    }
    return n;
}

/* Make whole windows [w, w + nwin) present; returns pages added. */
static uint64_t range_set_mid_insert(RangeSet *rs, uint64_t w, uint64_t nwin)
{
    uint64_t present = range_set_mid_count(rs, w, nwin);
    RangeSetEntry *e;

    range_set_mid_remove(rs, w, nwin);
    e = range_set_entry_new(RS_FULL, w, nwin);
    range_set_link(rs, e);
    range_set_full_merge(rs, e);
    return nwin * RANGE_SET_WINDOW - present;
}

bool range_set_insert(RangeSet *rs, uint64_t start, uint64_t count,
                      uint64_t *added)
{
    uint64_t n;

    if (!range_set_valid(start, count)) {
        return false;
    }
    n = range_set_apply(rs, start, count, range_set_window_insert,
                        range_set_mid_insert);
    rs->total += n;
    if (added) {
        *added = n;
    }
    return true;
}

bool range_set_remove(RangeSet *rs, uint64_t start, uint64_t count,
                      uint64_t *removed)
{
    uint64_t n;

    if (!range_set_valid(start, count)) {
        return false;
    }
    n = range_set_apply(rs, start, count, range_set_window_remove,
                        range_set_mid_remove);
    g_assert(n <= rs->total);
    rs->total -= n;
    if (removed) {
        *removed = n;
    }
    return true;
}

uint64_t range_set_count(RangeSet *rs, uint64_t start, uint64_t count)
{
    if (!range_set_valid(start, count)) {
        return 0;
    }
    return range_set_apply(rs, start, count, range_set_window_count,
                           range_set_mid_count);
}

bool range_set_contains(RangeSet *rs, uint64_t start, uint64_t count)
{
    return range_set_valid(start, count) &&
           range_set_count(rs, start, count) == count;
}

bool range_set_overlaps(RangeSet *rs, uint64_t start, uint64_t count)
{
    return range_set_count(rs, start, count) > 0;
}

uint64_t range_set_total(const RangeSet *rs)
{
    return rs->total;
}

/* Collects pieces into maximal ranges before handing them on. */
typedef struct RangeSetWalk {
    uint64_t lo, hi;        /* clip */
    uint64_t start, count;  /* pending range */
    RangeSetFunc fn;
    void *opaque;
    bool stop;
} RangeSetWalk;

static void range_set_walk_piece(RangeSetWalk *walk, uint64_t s, uint64_t t)
{
    s = MAX(s, walk->lo);
    t = MIN(t, walk->hi);
    if (walk->stop || s >= t) {
        return;
    }
    if (walk->count && walk->start + walk->count == s) {
        walk->count += t - s;
        return;
    }
    if (walk->count && !walk->fn(walk->start, walk->count, walk->opaque)) {
        walk->stop = true;
        return;
    }
    walk->start = s;
    walk->count = t - s;
}

static void range_set_walk_entry(RangeSetWalk *walk, RangeSetEntry *e)
{
    uint64_t base = e->first << RANGE_SET_WINDOW_SHIFT;
    uint32_t i;
    unsigned long s, t;

    switch (e->kind) {
    case RS_FULL:
        range_set_walk_piece(walk, base,
                             base + (e->nwin << RANGE_SET_WINDOW_SHIFT));
        break;
    case RS_RUNS:
        for (i = 0; i < e->nruns && !walk->stop; i++) {
            range_set_walk_piece(walk, base + e->runs[i].start,
                                 base + e->runs[i].end);
        }
        break;
    case RS_BITMAP:
        s = find_first_bit(e->bitmap, RANGE_SET_WINDOW);
        while (s < RANGE_SET_WINDOW && !walk->stop) {
            t = find_next_zero_bit(e->bitmap, RANGE_SET_WINDOW, s);
            range_set_walk_piece(walk, base + s, base + t);
            s = find_next_bit(e->bitmap, RANGE_SET_WINDOW, t);
        }
        break;
    default:
        g_assert_not_reached();
    }
}

void range_set_foreach(RangeSet *rs, uint64_t start, uint64_t count,
                       RangeSetFunc fn, void *opaque)
{
    RangeSetWalk walk = { .lo = start, .hi = start + count, .fn = fn,
                          .opaque = opaque };
    uint64_t w = start >> RANGE_SET_WINDOW_SHIFT;
    RangeSetEntry *e;

    if (!range_set_valid(start, count)) {
        return;
    }
    for (e = range_set_next(rs, w); e && !walk.stop; e = range_set_after(e)) {
        if ((e->first << RANGE_SET_WINDOW_SHIFT) >= walk.hi) {
            break;
        }
        range_set_walk_entry(&walk, e);
    }
    if (!walk.stop && walk.count) {
        fn(walk.start, walk.count, opaque);
    }
}

static bool range_set_count_cb(uint64_t start, uint64_t count, void *opaque)
{
    (*(uint64_t *)opaque)++;
    return true;
}

uint64_t range_set_nr_ranges(RangeSet *rs)
{
    uint64_t n = 0;

    range_set_foreach(rs, 0, RANGE_SET_PAGE_LIMIT, range_set_count_cb, &n);
    return n;
}

typedef struct RangeSetFirst {
    uint64_t start, count;
} RangeSetFirst;

static bool range_set_first_cb(uint64_t start, uint64_t count, void *opaque)
{
    RangeSetFirst *first = opaque;

    first->start = start;
    first->count = count;
    return false;
}

uint64_t range_set_pop(RangeSet *rs, uint64_t max, uint64_t *start)
{
    return range_set_pop_in(rs, 0, RANGE_SET_PAGE_LIMIT, max, start);
}

uint64_t range_set_pop_in(RangeSet *rs, uint64_t from, uint64_t count,
                          uint64_t max, uint64_t *start)
{
    RangeSetFirst first = { 0, 0 };

    if (!max || !range_set_valid(from, count)) {
        return 0;
    }
    range_set_foreach(rs, from, count, range_set_first_cb, &first);
    if (!first.count) {
        return 0;
    }
    first.count = MIN(first.count, max);
    range_set_remove(rs, first.start, first.count, NULL);
    *start = first.start;
    return first.count;
}

static bool range_set_union_cb(uint64_t start, uint64_t count, void *opaque)
{
    range_set_insert(opaque, start, count, NULL);
    return true;
}

void range_set_union(RangeSet *dst, RangeSet *src)
{
    range_set_foreach(src, 0, RANGE_SET_PAGE_LIMIT, range_set_union_cb, dst);
}

static bool range_set_subtract_cb(uint64_t start, uint64_t count,
                                  void *opaque)
{
    range_set_remove(opaque, start, count, NULL);
    return true;
}

void range_set_subtract(RangeSet *dst, RangeSet *src)
{
    range_set_foreach(src, 0, RANGE_SET_PAGE_LIMIT, range_set_subtract_cb,
                      dst);
}

typedef struct RangeSetIntersect {
    RangeSet *other;
    uint64_t count;
} RangeSetIntersect;

static bool range_set_intersect_cb(uint64_t start, uint64_t count,
                                   void *opaque)
{
    RangeSetIntersect *in = opaque;

    in->count += range_set_count(in->other, start, count);
    return true;
}

uint64_t range_set_intersection_count(RangeSet *a, RangeSet *b)
{
    RangeSetIntersect in = { .other = b };

    range_set_foreach(a, 0, RANGE_SET_PAGE_LIMIT, range_set_intersect_cb,
                      &in);
    return in.count;
}

void range_set_clear(RangeSet *rs)
{
    RangeSetEntry *e;

    while ((e = range_set_next(rs, 0))) {
        range_set_drop(rs, e);
    }
    rs->cache = NULL;
    rs->total = 0;
    rs->memory = 0;
}

void range_set_free(RangeSet *rs)
{
    if (!rs) {
        return;
    }
    range_set_clear(rs);
    g_free(rs);
}

static void range_set_put_varint(GByteArray *buf, uint64_t value)
{
    do {
        uint8_t byte = value & 0x7f;

        value >>= 7;
        byte |= value ? 0x80 : 0;
        g_byte_array_append(buf, &byte, 1);
    } while (value);
}

/* Read one varint at *@p (not past @end); false if it is not one. */
static bool range_set_get_varint(const uint8_t **p, const uint8_t *end,
                                 uint64_t *value)
{
    uint64_t v = 0;
    unsigned int shift;

    for (shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t byte = *(*p)++;

        if (shift == 63 && byte > 1) {
            return false;           /* more than 64 bits */
        }
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *value = v;
            return true;
        }
    }
    return false;
}

typedef struct RangeSetEncoder {
    GByteArray *buf;
    uint64_t end;               /* end of the range before */
} RangeSetEncoder;

static bool range_set_encode_cb(uint64_t start, uint64_t count, void *opaque)
{
    RangeSetEncoder *enc = opaque;

    range_set_put_varint(enc->buf, start - enc->end);
    range_set_put_varint(enc->buf, count);
    enc->end = start + count;
    return true;
}

GByteArray *range_set_encode(RangeSet *rs)
{
    RangeSetEncoder enc = { .buf = g_byte_array_new() };

    range_set_put_varint(enc.buf, range_set_nr_ranges(rs));
    range_set_foreach(rs, 0, RANGE_SET_PAGE_LIMIT, range_set_encode_cb, &enc);
    return enc.buf;
}

bool range_set_decode(RangeSet *rs, const uint8_t *buf, size_t len,
                      uint64_t limit, Error **errp)
{
    const uint8_t *p = buf, *end = buf + len;
    uint64_t n, i, gap, count, last = 0;

    g_assert(!range_set_total(rs));
    limit = MIN(limit, RANGE_SET_PAGE_LIMIT);
    /* Each range takes at least two bytes. */
    if (!range_set_get_varint(&p, end, &n) || n > len / 2) {
        error_setg(errp, "bad range count");
        return false;
    }
    for (i = 0; i < n; i++) {
        if (!range_set_get_varint(&p, end, &gap) ||
            !range_set_get_varint(&p, end, &count)) {
            error_setg(errp, "range %" PRIu64 " of %" PRIu64 " truncated",
                       i, n);
            goto fail;
        }
        /* Ranges are maximal: apart from the first, a gap before each. */
        if ((i && !gap) || !count || gap > limit - last ||
            count > limit - last - gap) {
            error_setg(errp, "range %" PRIu64 " (%" PRIu64 " pages, %"
                       PRIu64 " after the one before) is empty, touches "
                       "the one before or reaches page %" PRIu64,
                       i, count, gap, limit);
            goto fail;
        }
        range_set_insert(rs, last + gap, count, NULL);
        last += gap + count;
    }
    if (p != end) {
        error_setg(errp, "%td bytes after the last range", end - p);
        goto fail;
    }
    return true;

fail:
    range_set_clear(rs);
    return false;
}

size_t range_set_memory(const RangeSet *rs)
{
    return sizeof(*rs) + rs->memory;
}

size_t range_set_worst_case_bytes(uint64_t pages)
{
    /*
     * A window costs an entry plus either its bitmap or at most
     * RANGE_SET_MAX_RUNS + 1 runs (one past the limit, just before it
     * turns into a bitmap); whichever is larger bounds every window.  A
     * span of pages not aligned to windows touches one window more.
     */
    uint64_t windows = DIV_ROUND_UP(pages, RANGE_SET_WINDOW) + 1;
    size_t runs = (RANGE_SET_MAX_RUNS + 1) * sizeof(RangeSetRun);
    size_t bitmap = RS_BITMAP_LONGS * sizeof(unsigned long);

    return sizeof(RangeSet) +
           windows * (sizeof(RangeSetEntry) + MAX(runs, bitmap));
}
