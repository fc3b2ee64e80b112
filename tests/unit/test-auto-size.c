/*
 * Unit tests of automatic sizing (frontend/auto-size.c), driven by a
 * mock clock: a sample a second, as the frontend feeds it.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "auto-size.h"

typedef struct Fixture {
    AutoSize as;
    int64_t now_ms;
    int64_t size;           /* the guest follows every target at once */
} Fixture;

static void fixture_init(Fixture *f, int64_t minimum, int64_t maximum,
                         int buffer)
{
    AutoSizeConfig cfg = {
        .enabled = true,
        .minimum = minimum,
        .maximum = maximum,
        .buffer_pct = buffer,
        .weight = AUTO_SIZE_WEIGHT_DEFAULT,
    };

    auto_size_init(&f->as, &cfg);
    f->now_ms = 0;
    f->size = 1 * GiB;
}

/* One sample a second later; returns the new target or -1. */
static int64_t step(Fixture *f, int64_t demand, int64_t pressure)
{
    AutoSizeSample s = {
        .now_ms = f->now_ms,
        .size = f->size,
        .demand = demand,
        .pressure = pressure,
    };
    int64_t target = -1;
    bool changed = auto_size_update(&f->as, &s, &target);

    g_assert_cmpint(changed, ==, target >= 0);
    if (changed) {
        g_assert_cmpint(target, >=, f->as.cfg.minimum);
        g_assert_cmpint(target, <=, f->as.cfg.maximum);
        f->size = target;
    }
    f->now_ms += 1000;
    return target;
}

static void test_off(void)
{
    Fixture f;
    AutoSizeConfig cfg;

    fixture_init(&f, 256 * MiB, 4 * GiB, 20);
    cfg = f.as.cfg;
    cfg.enabled = false;
    auto_size_configure(&f.as, &cfg);
    g_assert_cmpint(step(&f, 3 * GiB, -1), ==, -1);
    g_assert_cmpint(f.as.reason, ==, AUTO_SIZE_REASON_OFF);
}

/* Demand + buffer above the size: grown at once, rounded up. */
static void test_grow_at_once(void)
{
    Fixture f;

    fixture_init(&f, 256 * MiB, 4 * GiB, 20);
    g_assert_cmpint(step(&f, 900 * MiB, -1), ==, 1080 * MiB);
    g_assert_cmpint(f.as.reason, ==, AUTO_SIZE_REASON_GROW);
    /* the same demand again: steady */
    g_assert_cmpint(step(&f, 900 * MiB, -1), ==, -1);
    g_assert_cmpint(f.as.reason, ==, AUTO_SIZE_REASON_STEADY);
    /* 1 MiB more demand: rounded up to the next 4 MiB */
    g_assert_cmpint(step(&f, 901 * MiB, -1), ==, 1084 * MiB);
}

/* A guest that claims all it can: the maximum, never more. */
static void test_maximum(void)
{
    Fixture f;

    fixture_init(&f, 256 * MiB, 2 * GiB, 20);
    g_assert_cmpint(step(&f, INT64_MAX, -1), ==, 2 * GiB);
    g_assert_cmpint(step(&f, INT64_MAX, -1), ==, -1);
    g_assert_cmpint(f.as.reason, ==, AUTO_SIZE_REASON_MAXIMUM);
    g_assert_cmpint(step(&f, INT64_MAX, INT64_MAX), ==, -1);
    g_assert_cmpint(f.size, ==, 2 * GiB);
}

/*
 * A lasting surplus is given back after the hold, 10 % a step every
 * 2 s, down to demand + buffer exactly; never below the minimum.
 */
static void test_shrink_slowly(void)
{
    Fixture f;
    int64_t t, last;
    int i;

    fixture_init(&f, 512 * MiB, 4 * GiB, 20);
    f.size = 2 * GiB;
    for (i = 0; i < AUTO_SIZE_SHRINK_HOLD_MS / 1000; i++) {
        g_assert_cmpint(step(&f, 100 * MiB, -1), ==, -1);
        g_assert_cmpint(f.as.reason, ==, AUTO_SIZE_REASON_SURPLUS);
    }
    t = step(&f, 100 * MiB, -1);
    g_assert_cmpint(t, ==, ROUND_UP(2 * GiB - 2 * GiB / 10, 4 * MiB));
    g_assert_cmpint(step(&f, 100 * MiB, -1), ==, -1);  /* 1 s later */
    last = t;
    for (i = 0; i < 60; i++) {
        t = step(&f, 100 * MiB, -1);
        if (t >= 0) {
            g_assert_cmpint(t, <, last);
            /* a step, or (the last) one landing on demand + buffer */
            g_assert_cmpint(last - t, <=,
                            MAX(last / 10, AUTO_SIZE_SHRINK_STEP_MIN) +
                            MAX(last / 20, AUTO_SIZE_HYSTERESIS_MIN));
            last = t;
        }
    }
    g_assert_cmpint(f.size, ==, 512 * MiB);
    g_assert_cmpint(f.as.reason, ==, AUTO_SIZE_REASON_MINIMUM);
}

/* The minimum is reached exactly, though within the band. */
static void test_shrink_to_minimum(void)
{
    Fixture f;
    int i;

    fixture_init(&f, 768 * MiB, 3 * GiB, 20);
    for (i = 0; i < 40; i++) {
        step(&f, 50 * MiB, -1);
    }
    g_assert_cmpint(f.size, ==, 768 * MiB);
}

/* A demand growing fast is met ahead: 2 s at the rate it grew. */
static void test_lookahead(void)
{
    Fixture f;

    fixture_init(&f, 256 * MiB, 8 * GiB, 20);
    f.size = 700 * MiB;
    g_assert_cmpint(step(&f, 500 * MiB, -1), ==, -1);
    /* +64 MiB in 1 s: planned for 564 + 128 MiB */
    g_assert_cmpint(step(&f, 564 * MiB, -1), ==,
                    ROUND_UP((692 * MiB) * 12 / 10, 4 * MiB));
    /* steady demand: no look-ahead, and no shrink before the hold */
    g_assert_cmpint(step(&f, 564 * MiB, -1), ==, -1);
}

/* Within the hysteresis band: no change, whatever the noise. */
static void test_hysteresis(void)
{
    Fixture f;
    int i;

    fixture_init(&f, 256 * MiB, 4 * GiB, 20);
    f.size = 1200 * MiB;
    for (i = 0; i < 60; i++) {
        /* desired between 1140 and 1200 MiB */
        int64_t demand = (950 + (i % 3) * 25) * MiB;

        g_assert_cmpint(step(&f, demand, -1), ==, -1);
    }
    g_assert_cmpint(f.size, ==, 1200 * MiB);
    g_assert_false(f.as.shrinking);
}

/* A surplus broken by a peak starts its hold again. */
static void test_surplus_interrupted(void)
{
    Fixture f;
    int i;

    fixture_init(&f, 256 * MiB, 4 * GiB, 20);
    f.size = 2 * GiB;
    for (i = 0; i < 40; i++) {
        int64_t demand = i % 8 == 7 ? 1700 * MiB : 200 * MiB;

        step(&f, demand, -1);
        g_assert_cmpint(f.as.reason, !=, AUTO_SIZE_REASON_SHRINK);
    }
}

/* No report (or a stale one): hold, never shrink blind. */
static void test_no_report(void)
{
    Fixture f;
    int i;

    fixture_init(&f, 256 * MiB, 4 * GiB, 20);
    f.size = 3 * GiB;
    for (i = 0; i < 120; i++) {
        g_assert_cmpint(step(&f, -1, -1), ==, -1);
    }
    g_assert_cmpint(f.as.reason, ==, AUTO_SIZE_REASON_NO_REPORT);
    g_assert_cmpint(f.size, ==, 3 * GiB);
}

/* OOM kills or stalls between reports: grow past the estimate. */
static void test_pressure(void)
{
    Fixture f;
    int64_t t;

    fixture_init(&f, 256 * MiB, 4 * GiB, 20);
    g_assert_cmpint(step(&f, 800 * MiB, 0), ==, -1);
    t = step(&f, 800 * MiB, 3);
    g_assert_cmpint(t, >=, 1 * GiB + 1 * GiB / 5);
    g_assert_cmpint(f.as.reason, ==, AUTO_SIZE_REASON_PRESSURE);
    /* the count staying put is no new pressure */
    g_assert_cmpint(step(&f, 800 * MiB, 3), ==, -1);
}

/* New limits move a size outside them at once. */
static void test_new_limits(void)
{
    Fixture f;
    AutoSizeConfig cfg;

    fixture_init(&f, 256 * MiB, 4 * GiB, 20);
    f.size = 3 * GiB;
    g_assert_cmpint(step(&f, 2400 * MiB, -1), ==, -1);
    cfg = f.as.cfg;
    cfg.maximum = 2 * GiB;
    auto_size_configure(&f.as, &cfg);
    g_assert_cmpint(step(&f, 2400 * MiB, -1), ==, 2 * GiB);
    g_assert_cmpint(f.as.reason, ==, AUTO_SIZE_REASON_MAXIMUM);
    cfg.minimum = cfg.maximum = 2560 * MiB;
    auto_size_configure(&f.as, &cfg);
    g_assert_cmpint(step(&f, 0, -1), ==, 2560 * MiB);
    g_assert_cmpint(f.as.reason, ==, AUTO_SIZE_REASON_MINIMUM);
}

/* After forget (someone else set the size) it starts from the size. */
static void test_forget(void)
{
    Fixture f;

    fixture_init(&f, 256 * MiB, 4 * GiB, 20);
    g_assert_cmpint(step(&f, 900 * MiB, -1), ==, 1080 * MiB);
    auto_size_forget(&f.as);
    f.size = 3 * GiB;
    g_assert_cmpint(step(&f, 2600 * MiB, -1), ==, 3120 * MiB);
}

/* The buffer's extremes. */
static void test_buffer_range(void)
{
    Fixture f;

    fixture_init(&f, 256 * MiB, 64 * GiB, AUTO_SIZE_BUFFER_MAX);
    g_assert_cmpint(step(&f, 1 * GiB, -1), ==, 21 * GiB);
    fixture_init(&f, 256 * MiB, 64 * GiB, AUTO_SIZE_BUFFER_MIN);
    g_assert_cmpint(step(&f, 1000 * MiB, -1), ==, 1052 * MiB);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/auto-size/off", test_off);
    g_test_add_func("/auto-size/grow-at-once", test_grow_at_once);
    g_test_add_func("/auto-size/maximum", test_maximum);
    g_test_add_func("/auto-size/lookahead", test_lookahead);
    g_test_add_func("/auto-size/shrink-slowly", test_shrink_slowly);
    g_test_add_func("/auto-size/shrink-to-minimum", test_shrink_to_minimum);
    g_test_add_func("/auto-size/hysteresis", test_hysteresis);
    g_test_add_func("/auto-size/surplus-interrupted",
                    test_surplus_interrupted);
    g_test_add_func("/auto-size/no-report", test_no_report);
    g_test_add_func("/auto-size/pressure", test_pressure);
    g_test_add_func("/auto-size/new-limits", test_new_limits);
    g_test_add_func("/auto-size/forget", test_forget);
    g_test_add_func("/auto-size/buffer-range", test_buffer_range);
    return g_test_run();
}
