/*
 * Host-level arbitration (lib/arbiter.c): shares follow the weights,
 * minima hold, demands come before buffers, and the shares never add up
 * to more than the supply.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "arbiter.h"

#define MIB (1024 * 1024LL)

static void vm_set(UbfArbiterVm *vm, gint64 min_mib, gint64 max_mib,
                   gint64 demand_mib, gint64 want_mib, guint weight)
{
    vm->minimum = min_mib * MIB;
    vm->maximum = max_mib * MIB;
    vm->demand = demand_mib < 0 ? -1 : demand_mib * MIB;
    vm->margin = 0;
    vm->want = want_mib < 0 ? -1 : want_mib * MIB;
    vm->actual = vm->minimum;
    vm->weight = weight;
}

static gint64 sum_shares(const UbfArbiterVm *vms, guint n)
{
    gint64 sum = 0;
    guint i;

    for (i = 0; i < n; i++) {
        sum += vms[i].share;
    }
    return sum;
}

/*
 * Everything fits: everyone gets what it wants, nobody is limited, and
 * the slack is headroom by weight, up to each maximum.
 */
static void test_fits(void)
{
    UbfArbiterVm vms[2];

    vm_set(&vms[0], 384, 1200, 700, 1050, 5000);
    vm_set(&vms[1], 384, 1536, 100, 384, 5000);
    g_assert_false(ubf_arbiter_divide(vms, 2, 2048 * MIB, 0));
    g_assert_false(vms[0].limited || vms[1].limited);
    /* 614 MiB of slack: 150 to the first (its maximum), 464 to the other */
    g_assert_cmpint(vms[0].share, ==, 1200 * MIB);
    g_assert_cmpint(vms[1].share, ==, 848 * MIB);
    g_assert_cmpint(sum_shares(vms, 2), <=, 2048 * MIB);
}

/* Demands fit, buffers do not: buffers by weight (3:2:1). */
static void test_buffers_by_weight(void)
{
    UbfArbiterVm vms[3];
    guint i;

    vm_set(&vms[0], 384, 1536, 700, 1050, 6000);
    vm_set(&vms[1], 384, 1536, 700, 1050, 4000);
    vm_set(&vms[2], 384, 1536, 700, 1050, 2000);
    g_assert_true(ubf_arbiter_divide(vms, 3, 2560 * MIB, 0));
    for (i = 0; i < 3; i++) {
        g_assert_cmpint(vms[i].share, >=, 700 * MIB);
        g_assert_true(vms[i].limited);
    }
    /* 460 MiB of buffers: 230, 153, 76 (rounded down to 4 MiB) */
    g_assert_cmpint(vms[0].share, ==, 928 * MIB);
    g_assert_cmpint(vms[1].share, ==, 852 * MIB);
    g_assert_cmpint(vms[2].share, ==, 776 * MIB);
    g_assert_cmpint(sum_shares(vms, 3), <=, 2560 * MIB);
}

/* Demands do not fit: above the minima by weight, capped at demand. */
static void test_demands_by_weight(void)
{
    UbfArbiterVm vms[3];

    vm_set(&vms[0], 384, 1536, 700, 1050, 6000);
    vm_set(&vms[1], 384, 1536, 700, 1050, 4000);
    vm_set(&vms[2], 384, 1536, 700, 1050, 2000);
    g_assert_true(ubf_arbiter_divide(vms, 3, 1800 * MIB, 0));
    /* 648 MiB above the minima: A capped at its demand, B:C = 2:1 */
    g_assert_cmpint(vms[0].share, ==, 700 * MIB);
    g_assert_cmpint(vms[1].share, ==, 604 * MIB);
    g_assert_cmpint(vms[2].share, ==, 492 * MIB);
    g_assert_cmpint(sum_shares(vms, 3), <=, 1800 * MIB);
}

/* The minima do not fit: each keeps its minimum, never less. */
static void test_minima(void)
{
    UbfArbiterVm vms[3];
    guint i;

    for (i = 0; i < 3; i++) {
        vm_set(&vms[i], 384, 1536, 700, 1050, 5000);
    }
    g_assert_true(ubf_arbiter_divide(vms, 3, 1000 * MIB, 0));
    for (i = 0; i < 3; i++) {
        g_assert_cmpint(vms[i].share, ==, 384 * MIB);
    }
}

/* A VM that wants little leaves the rest to the others. */
static void test_cap_redistributes(void)
{
    UbfArbiterVm vms[3];

    vm_set(&vms[0], 256, 4096, 300, 400, 9000);    /* wants little */
    vm_set(&vms[1], 256, 4096, 1000, 1500, 1000);
    vm_set(&vms[2], 256, 4096, 1000, 1500, 1000);
    g_assert_true(ubf_arbiter_divide(vms, 3, 3000 * MIB, 0));
    g_assert_cmpint(vms[0].share, ==, 400 * MIB);
    g_assert_false(vms[0].limited);
    g_assert_cmpint(vms[1].share, ==, 1300 * MIB);
    g_assert_cmpint(vms[2].share, ==, 1300 * MIB);
}

/*
 * A VM growing fast (a large margin) and one holding still, short: what
 * each uses comes before either's margin, margins before buffers, so the
 * fast one's margin never takes what the other uses.  (With demand and
 * margin one level, as before, the second VM got 567 MiB for its
 * 600 MiB in use.)
 */
static void test_margins_after_demands(void)
{
    UbfArbiterVm vms[2];

    vm_set(&vms[0], 384, 4096, 600, 2100, 6000);
    vms[0].margin = 800 * MIB;              /* 1400 MiB with the margin */
    vm_set(&vms[1], 384, 4096, 600, 1000, 2000);
    vms[1].margin = 128 * MIB;              /* 728 MiB with the margin */
    g_assert_true(ubf_arbiter_divide(vms, 2, 1500 * MIB, 0));
    /* demands (1200 MiB) fit; the 300 MiB left go to margins 3:1 */
    g_assert_cmpint(vms[1].share, >=, 600 * MIB);
    g_assert_cmpint(vms[0].share, ==, 824 * MIB);
    g_assert_cmpint(vms[1].share, ==, 672 * MIB);
    g_assert_cmpint(sum_shares(vms, 2), <=, 1500 * MIB);

    /* margins fit too: what is left pays for buffers, 3:1 */
    g_assert_true(ubf_arbiter_divide(vms, 2, 2400 * MIB, 0));
    g_assert_cmpint(vms[0].share, >=, 1400 * MIB);
    g_assert_cmpint(vms[1].share, >=, 728 * MIB);
    g_assert_cmpint(sum_shares(vms, 2), <=, 2400 * MIB);
}

/*
 * The margin of a guest that reports once a second, 64 MiB more each
 * time, read every 500 ms (each report read twice): 4 s at 64 MiB/s,
 * the same at every read.  (Measured from read to read, as before, it
 * swung between 512 and 256 MiB.)  Once the reports stop growing it
 * decays to the minimum; no report forgets the trend.
 */
static void test_margin_per_report(void)
{
    UbfArbiterTrend t;
    gint64 now_us = 1000 * 1000, demand = 500 * MIB, m;
    int i;

    ubf_arbiter_trend_init(&t);
    g_assert_cmpint(ubf_arbiter_margin(&t, demand, now_us), ==,
                    UBF_ARBITER_MARGIN_MIN);
    for (i = 1; i <= 8; i++) {
        now_us += 500 * 1000;
        if (i % 2 == 0) {
            demand += 64 * MIB;
        }
        m = ubf_arbiter_margin(&t, demand, now_us);
        if (i >= 2) {
            g_assert_cmpint(m, ==, 64 * MIB / 1000 *
                            UBF_ARBITER_LOOKAHEAD_MS);
        }
    }
    /* the same figure for a while: down to the minimum */
    for (i = 0; i < 20; i++) {
        now_us += 500 * 1000;
        m = ubf_arbiter_margin(&t, demand, now_us);
    }
    g_assert_cmpint(m, ==, UBF_ARBITER_MARGIN_MIN);
    /* no report */
    g_assert_cmpint(ubf_arbiter_margin(&t, -1, now_us), ==, 0);
    g_assert_cmpint(t.last_demand, ==, -1);
}

/* No report: it is counted as wanting what it has. */
static void test_unknown_demand(void)
{
    UbfArbiterVm vms[2];

    vm_set(&vms[0], 256, 4096, -1, -1, 5000);
    vms[0].actual = 1024 * MIB;
    vm_set(&vms[1], 256, 4096, 1000, 1200, 5000);
    g_assert_true(ubf_arbiter_divide(vms, 2, 2048 * MIB, 0));
    g_assert_cmpint(vms[0].share, <=, 1024 * MIB);
    g_assert_cmpint(vms[1].share, >=, 1000 * MIB);
    g_assert_cmpint(sum_shares(vms, 2), <=, 2048 * MIB);
}

/* Whatever the figures (a guest may lie): minima and supply hold. */
static void test_random(void)
{
    guint iter, i;

    for (iter = 0; iter < 2000; iter++) {
        UbfArbiterVm vms[8];
        guint n = g_test_rand_int_range(1, 9);
        gint64 supply = g_test_rand_int_range(0, 65536) * MIB;
        gint64 sum_min = 0;

        for (i = 0; i < n; i++) {
            gint64 min = g_test_rand_int_range(0, 2048);
            gint64 max = min + g_test_rand_int_range(0, 16384);
            gint64 demand = g_test_rand_int_range(-1, 32768);

            vm_set(&vms[i], min, max, demand,
                   demand < 0 ? -1 : demand + g_test_rand_int_range(0, 9000),
                   g_test_rand_int_range(0, 20000));
            vms[i].actual = g_test_rand_int_range(0, 32768) * MIB;
            sum_min += vms[i].minimum;
        }
        ubf_arbiter_divide(vms, n, supply, 0);
        for (i = 0; i < n; i++) {
            g_assert_cmpint(vms[i].share, >=, vms[i].minimum);
            g_assert_cmpint(vms[i].share, <=,
                            MAX(vms[i].maximum, vms[i].minimum));
        }
        if (sum_min <= supply) {
            g_assert_cmpint(sum_shares(vms, n), <=, supply);
        }
    }
}

/*
 * Wants hovering about the supply: without a hold the host flips from
 * short to not short and back, handing out the slack one cycle and
 * taking it back the next; with one it stays short (everyone gets what
 * it wants, no slack) until the wants fit with the hold to spare.
 */
static void test_hold(void)
{
    static const gint64 want_total[] = { 2600, 2536, 2600, 2552, 2592 };
    UbfArbiterVm vms[2];
    gboolean was_short = FALSE;
    guint i, flips = 0, held_flips = 0;

    for (i = 0; i < G_N_ELEMENTS(want_total); i++) {
        gboolean now;

        vm_set(&vms[0], 256, 4096, 1000, want_total[i] / 2, 6000);
        vm_set(&vms[1], 256, 4096, 1000, want_total[i] / 2, 2000);
        now = ubf_arbiter_divide(vms, 2, 2560 * MIB, 0);
        flips += i && now != was_short;
        was_short = now;
    }
    g_assert_cmpuint(flips, ==, 4);

    was_short = FALSE;
    for (i = 0; i < G_N_ELEMENTS(want_total); i++) {
        gboolean now;

        vm_set(&vms[0], 256, 4096, 1000, want_total[i] / 2, 6000);
        vm_set(&vms[1], 256, 4096, 1000, want_total[i] / 2, 2000);
        now = ubf_arbiter_divide(vms, 2, 2560 * MIB,
                                 was_short ? 128 * MIB : 0);
        held_flips += i && now != was_short;
        if (now && want_total[i] <= 2560) {
            /* held short: what it wants, not a byte of slack more */
            g_assert_cmpint(vms[0].share, ==, want_total[i] / 2 * MIB);
            g_assert_cmpint(vms[1].share, ==, want_total[i] / 2 * MIB);
        }
        was_short = now;
    }
    g_assert_cmpuint(held_flips, ==, 0);

    /* and it is let go once the wants fit with the hold to spare */
    vm_set(&vms[0], 256, 4096, 1000, 1200, 6000);
    vm_set(&vms[1], 256, 4096, 1000, 1200, 2000);
    g_assert_false(ubf_arbiter_divide(vms, 2, 2560 * MIB, 128 * MIB));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/arbiter/fits", test_fits);
    g_test_add_func("/arbiter/buffers-by-weight", test_buffers_by_weight);
    g_test_add_func("/arbiter/demands-by-weight", test_demands_by_weight);
    g_test_add_func("/arbiter/minima", test_minima);
    g_test_add_func("/arbiter/cap-redistributes", test_cap_redistributes);
    g_test_add_func("/arbiter/margins-after-demands",
                    test_margins_after_demands);
    g_test_add_func("/arbiter/margin-per-report", test_margin_per_report);
    g_test_add_func("/arbiter/unknown-demand", test_unknown_demand);
    g_test_add_func("/arbiter/random", test_random);
    g_test_add_func("/arbiter/hold", test_hold);
    return g_test_run();
}
