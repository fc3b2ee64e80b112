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

gboolean ubf_arbiter_divide(UbfArbiterVm *vms, guint n, gint64 supply,
                            gint64 hold)
{
    g_autofree gint64 *want = g_new(gint64, n);
    g_autofree gint64 *need = g_new(gint64, n);
    g_autofree gint64 *cap = g_new(gint64, n);
    gint64 sum_min = 0, sum_need = 0, sum_want = 0;
    gboolean short_host;
    guint i;

    for (i = 0; i < n; i++) {
        UbfArbiterVm *vm = &vms[i];

        vm->weight = CLAMP(vm->weight, 1, 10000);
        want[i] = ubf_arbiter_clamp(vm, vm->want >= 0 ? vm->want
                                                      : vm->actual);
        need[i] = MIN(ubf_arbiter_clamp(vm, vm->demand >= 0 ? vm->demand
                                                            : want[i]),
                      want[i]);
        sum_min += vm->minimum;
        sum_need += need[i];
        sum_want += want[i];
        vm->share = vm->minimum;
        vm->limited = FALSE;
    }
    short_host = sum_want > supply || (hold > 0 && sum_want > supply - hold);
    if (!short_host) {
        /* everyone gets what it wants, and the slack goes by weight */
        for (i = 0; i < n; i++) {
            vms[i].share = want[i];
            cap[i] = MAX(vms[i].maximum, vms[i].minimum) - want[i];
        }
        ubf_arbiter_fill(vms, n, cap, supply - sum_want);
    } else if (sum_min < supply) {
        /* demands first, by weight if they do not all fit */
        for (i = 0; i < n; i++) {
            cap[i] = need[i] - vms[i].minimum;
        }
        if (sum_need >= supply) {
            ubf_arbiter_fill(vms, n, cap, supply - sum_min);
        } else {
            for (i = 0; i < n; i++) {
                vms[i].share = need[i];
                cap[i] = want[i] - need[i];
            }
            ubf_arbiter_fill(vms, n, cap, supply - sum_need);
        }
    }
    for (i = 0; i < n; i++) {
        UbfArbiterVm *vm = &vms[i];

        /* rounded down, but never below what it had before rounding */
        vm->share = MAX(vm->share / UBF_ARBITER_ALIGN * UBF_ARBITER_ALIGN,
                        MIN(vm->share, short_host ? vm->minimum : want[i]));
        vm->limited = vm->share < want[i];
    }
    return short_host;
}
