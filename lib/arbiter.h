/*
 * Host-level arbitration: how much memory each VM of a host may have
 * when the host cannot give every VM what it wants
 *
 * A pure function over numbers (no QMP, no libvirt), for ubf-autod and
 * its unit tests.  Each VM states, through its automatic sizing, its
 * demand (what it uses), what it wants (demand plus its buffer), its
 * minimum and maximum, and its weight.  When the wants fit the supply,
 * each VM may have what it wants, and what is left over (the slack) is
 * shared by weight as headroom up to each VM's maximum.  When they do
 * not:
 *
 *   1. every VM keeps its minimum;
 *   2. demands come next: if the supply cannot cover every demand, what
 *      is above the minima is shared by weight (a VM never gets more
 *      than its demand at this stage);
 *   3. then margins, what each VM may grow by before its next share
 *      reaches it (a VM never gets more than its demand plus its margin
 *      at this stage): a VM growing fast never takes from another what
 *      that one already uses;
 *   4. what is left pays for buffers, shared by weight (a VM never gets
 *      more than it wants).
 *
 * "Shared by weight" is water-filling: each VM gets a part proportional
 * to its weight, capped at what it asks for; what a capped VM leaves is
 * shared again among the others.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_ARBITER_H
#define UBF_ARBITER_H

#include <glib.h>

/* Shares are rounded down to this (automatic sizing's own unit). */
#define UBF_ARBITER_ALIGN (4 * 1024 * 1024LL)

typedef struct UbfArbiterVm {
    /* in */
    gint64 minimum;         /* bytes */
    gint64 maximum;         /* bytes, the VM's own limit */
    gint64 demand;          /* bytes it uses, -1 if unknown */
    gint64 margin;          /* bytes it may grow by soon, 0 if none */
    gint64 want;            /* demand + margin + buffer, -1 if unknown */
    gint64 actual;          /* its size now */
    guint weight;           /* 1 to 10000 */
    /* out */
    gint64 share;           /* what it may have */
    gboolean limited;       /* share is below what it wants */
} UbfArbiterVm;

/*
 * A VM's margin: what it may grow by before its next share reaches it,
 * 4 s of its growth (the guest's report, a cycle and the VM's own
 * decision each take up to a second), at least 128 MiB.  The rate is
 * measured from one new report of the guest to the next: the guest
 * reports about once a second, and the cycles that read it need not
 * match (measured from one read to the next, a 500 ms cycle saw the rate
 * doubled in a cycle with a new report and halved in the next, so the
 * margin swung by half every cycle).  It is the fastest rate seen
 * lately: halved with each new report that grew slower, and at each
 * read once no new figure came for longer than UBF_ARBITER_REPORT_MS.
 */
#define UBF_ARBITER_LOOKAHEAD_MS 4000
#define UBF_ARBITER_REPORT_MS 1500
#define UBF_ARBITER_MARGIN_MIN (128 * 1024 * 1024LL)

typedef struct UbfArbiterTrend {
    gint64 last_demand;     /* the last new figure, bytes; -1 if none */
    gint64 last_us;         /* when it came (monotonic, us) */
    gint64 rate;            /* bytes per ms, the fastest lately */
} UbfArbiterTrend;

/* No figure yet. */
void ubf_arbiter_trend_init(UbfArbiterTrend *t);

/*
 * @demand (bytes; -1: the VM reported none, which forgets the trend)
 * read at @now_us: the VM's margin in bytes (0 without a demand).
 */
gint64 ubf_arbiter_margin(UbfArbiterTrend *t, gint64 demand, gint64 now_us);

/*
 * Divide @supply bytes among the @n VMs: each VM's share, the shares
 * adding up to at most @supply.  Returns TRUE if the host is short (some
 * VM's share is below what it wants), FALSE if every VM may have what it
 * wants.  A VM whose demand is unknown is counted as wanting
 * what it has.  If even the minima do not fit, each VM gets its
 * minimum.
 *
 * @hold (bytes, 0: none) keeps a host that was short counted as short
 * until the wants fit with @hold to spare: each VM then gets what it
 * wants and no slack, so that wants hovering about the supply do not
 * hand out the slack one cycle and take it back the next.
 */
gboolean ubf_arbiter_divide(UbfArbiterVm *vms, guint n, gint64 supply,
                            gint64 hold);

#endif
