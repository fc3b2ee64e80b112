/*
 * Host-level arbitration (see arbiter.h)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "arbiter.h"

static gint64 ubf_arbiter_clamp(const UbfArbiterVm *vm, gint64 size)
{
    return MIN(MAX(size, vm->minimum), MAX(vm->maximum, vm->minimum));
}

/*
 * Water-filling: add to each share up to @cap[i] more, @amount in all,
 * in proportion to the weights; what a capped VM does not take goes to
 * the others.  Returns what was not given (everyone capped).
 */
static gint64 ubf_arbiter_fill(UbfArbiterVm *vms, guint n, const gint64 *cap,
                               gint64 amount)
{
    g_autofree gint64 *room = g_new(gint64, n);
    guint i;

    for (i = 0; i < n; i++) {
        room[i] = MAX(cap[i], 0);
    }
    while (amount > 0) {
        gint64 weights = 0, given = 0;
        gboolean capped = FALSE;

        for (i = 0; i < n; i++) {
            weights += room[i] ? vms[i].weight : 0;
        }
        if (!weights) {
            break;
        }
        /* first the VMs whose part would pass their cap */
        for (i = 0; i < n; i++) {
            if (room[i] && (double)amount * vms[i].weight / weights >=
                           room[i]) {
                vms[i].share += room[i];
                given += room[i];
                room[i] = 0;
                capped = TRUE;
            }
        }
        if (capped) {
            amount -= given;
            continue;
        }
        for (i = 0; i < n; i++) {
            if (room[i]) {
                gint64 part = (gint64)((double)amount * vms[i].weight /
                                       weights);

                vms[i].share += part;
                given += part;
            }
        }
        amount -= given;
        break;
    }
    return amount;
}

/*
 * The levels a short host fills, one after the other (see arbiter.h):
 * for each VM, what it has once a level is met.
 */
enum {
    UBF_ARBITER_MINIMUM,
    UBF_ARBITER_DEMAND,
    UBF_ARBITER_MARGIN,
    UBF_ARBITER_WANT,
    UBF_ARBITER_LEVELS,
};

gboolean ubf_arbiter_divide(UbfArbiterVm *vms, guint n, gint64 supply,
                            gint64 hold)
{
    g_autofree gint64 *level = g_new(gint64, n * UBF_ARBITER_LEVELS);
    g_autofree gint64 *cap = g_new(gint64, n);
    gint64 sum_want = 0, left = supply;
    gboolean short_host;
    guint i, k;

    for (i = 0; i < n; i++) {
        UbfArbiterVm *vm = &vms[i];
        gint64 *l = &level[i * UBF_ARBITER_LEVELS];
        gint64 want = ubf_arbiter_clamp(vm, vm->want >= 0 ? vm->want
                                                          : vm->actual);
        gint64 demand = vm->demand >= 0 ? vm->demand : want;

        vm->weight = CLAMP(vm->weight, 1, 10000);
        l[UBF_ARBITER_MINIMUM] = vm->minimum;
        l[UBF_ARBITER_DEMAND] = MIN(ubf_arbiter_clamp(vm, demand), want);
        l[UBF_ARBITER_MARGIN] =
            MIN(ubf_arbiter_clamp(vm, demand + MAX(vm->margin, 0)), want);
        l[UBF_ARBITER_WANT] = want;
        sum_want += want;
        vm->share = vm->minimum;
        vm->limited = FALSE;
        left -= vm->minimum;
    }
    short_host = sum_want > supply || (hold > 0 && sum_want > supply - hold);
    if (!short_host) {
        /* everyone gets what it wants, and the slack goes by weight */
        for (i = 0; i < n; i++) {
            vms[i].share = level[i * UBF_ARBITER_LEVELS + UBF_ARBITER_WANT];
            cap[i] = MAX(vms[i].maximum, vms[i].minimum) - vms[i].share;
        }
        ubf_arbiter_fill(vms, n, cap, supply - sum_want);
    } else if (left > 0) {
        /*
         * Each level in turn, by weight when it does not all fit: what
         * a VM uses before any VM's margin for growth, margins before
         * buffers.
         */
        for (k = UBF_ARBITER_DEMAND; k < UBF_ARBITER_LEVELS && left > 0;
             k++) {
            gint64 more = 0;

            for (i = 0; i < n; i++) {
                cap[i] = MAX(level[i * UBF_ARBITER_LEVELS + k] -
                             vms[i].share, 0);
                more += cap[i];
            }
            if (more <= left) {
                for (i = 0; i < n; i++) {
                    vms[i].share += cap[i];
                }
                left -= more;
            } else {
                ubf_arbiter_fill(vms, n, cap, left);
                left = 0;
            }
        }
    }
    for (i = 0; i < n; i++) {
        UbfArbiterVm *vm = &vms[i];
        gint64 want = level[i * UBF_ARBITER_LEVELS + UBF_ARBITER_WANT];

        /* rounded down, but never below what it had before rounding */
        vm->share = MAX(vm->share / UBF_ARBITER_ALIGN * UBF_ARBITER_ALIGN,
                        MIN(vm->share, short_host ? vm->minimum : want));
        vm->limited = vm->share < want;
    }
    return short_host;
}

void ubf_arbiter_trend_init(UbfArbiterTrend *t)
{
    t->last_demand = -1;
    t->last_us = 0;
    t->rate = 0;
}

gint64 ubf_arbiter_margin(UbfArbiterTrend *t, gint64 demand, gint64 now_us)
{
    if (demand < 0) {
        ubf_arbiter_trend_init(t);
        return 0;
    }
    if (demand != t->last_demand) {
        gint64 rate = 0;

        /* a new report: its growth since the one before */
        if (t->last_demand >= 0 && demand > t->last_demand &&
            now_us > t->last_us) {
            rate = (demand - t->last_demand) /
                   MAX((now_us - t->last_us) / 1000, 1);
        }
        t->rate = MAX(rate, t->rate / 2);
        t->last_demand = demand;
        t->last_us = now_us;
    } else if (now_us - t->last_us > UBF_ARBITER_REPORT_MS * 1000) {
        /* no new figure for longer than a report takes: a pause */
        t->rate /= 2;
    }
    return MAX(UBF_ARBITER_MARGIN_MIN, t->rate * UBF_ARBITER_LOOKAHEAD_MS);
}
