/*
 * Unit tests of the engine around a migration: held while the migration
 * runs (nothing judged short or stalled however long virtio-mem refuses
 * to move), the request carried to a fresh engine and resumed there to
 * the page, with one stop, and the last target taken from the guest when
 * nothing was carried.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "mock-backends.h"

#define STALL_MS 1000       /* short after 333 ms, stalled after 1 s */

static void setup(ResizeEngine *re)
{
    mock_setup(re);
    re->stall_ms = STALL_MS;
}

static unsigned int count_of(const char *what)
{
    const char *p = mock_events->str;
    unsigned int n = 0;

    while ((p = strstr(p, what))) {
        n++;
        p += strlen(what);
    }
    return n;
}

/* 3 GiB (virtio-mem plugged 2 GiB), then a request for 640 MiB. */
static void start_shrink(ResizeEngine *re, Mock *b, Mock *m)
{
    Mock *all[] = { b, m };

    mock_virtio_balloon(b, "balloon0");
    mock_virtio_mem(m, "vmem0", 2 * GiB);
    resize_engine_add(re, &b->bb);
    resize_engine_add(re, &m->bb);
    g_assert_true(resize_engine_request(re, 3 * GiB, "value", mock_now_ms,
                                        &error_abort));
    mock_run(re, all, 2, 1000);
    g_assert_cmpint(resize_engine_actual(re), ==, 3 * GiB);
    g_assert_true(resize_engine_request(re, 640 * MiB, "value", mock_now_ms,
                                        &error_abort));
    g_string_truncate(mock_events, 0);      /* what happens from now on */
}

/*
 * The source: virtio-mem refuses to move for 20 s of migration.  Held,
 * the engine neither marks it short nor hands its share to the balloon,
 * nor stalls; released (the migration failed), it asks virtio-mem again
 * and reaches the target as planned.  Without the hold the same 20 s
 * stall the request.
 */
static void test_hold(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };
    int64_t rate;

    setup(&re);
    start_shrink(&re, &b, &m);
    rate = m.rate;
    m.rate = 0;
    resize_engine_hold(&re, true, mock_now_ms);
    mock_run(&re, all, 2, 400);
    g_assert_true(resize_engine_busy(&re));
    g_assert_cmpint(re.state, ==, RESIZE_STATE_RESIZING);
    g_assert_null(strstr(mock_events->str, "stop:"));
    /* The balloon waits for its phase, after virtio-mem: not asked. */
    g_assert_cmpint(b.target, ==, 0);

    m.rate = rate;
    m.set_calls = 0;
    resize_engine_hold(&re, false, mock_now_ms);
    g_assert_cmpuint(m.set_calls, >=, 1);           /* asked again */
    mock_run(&re, all, 2, 1000);
    g_assert_false(resize_engine_busy(&re));
    g_assert_cmpint(resize_engine_actual(&re), ==, 640 * MiB);
    g_assert_cmpint(m.info.size, ==, 0);
    g_assert_cmpint(b.info.size, ==, -384 * MiB);
    g_assert_cmpuint(count_of("stop:"), ==, 1);
    g_assert_cmpuint(count_of("stop:reached"), ==, 1);

    /* The control: the same without the hold stalls. */
    setup(&re);
    start_shrink(&re, &b, &m);
    m.rate = 0;
    b.stuck_lo = b.info.size - 384 * MiB;           /* it cannot take more */
    mock_run(&re, all, 2, 400);
    g_assert_true(strstr(mock_events->str, "stop:stalled") != NULL);
}

/*
 * The destination: what the stream carries of the engine (see
 * frontend-migration.c) copied into a fresh engine whose backends are
 * where the source's were; resumed, it reaches the target, and stops
 * once.
 */
static void test_resume(void)
{
    ResizeEngine src, dst;
    Mock b, m, b2, m2;
    Mock *all[] = { &b2, &m2 };
    int64_t done, todo;

    setup(&src);
    start_shrink(&src, &b, &m);
    resize_engine_hold(&src, true, mock_now_ms);
    resize_engine_progress(&src, &done, &todo);

    /* The devices migrate their own state: same sizes, same targets. */
    mock_setup(&dst);
    dst.stall_ms = STALL_MS;
    b2 = b;
    m2 = m;
    QTAILQ_INIT(&dst.backends);
    resize_engine_add(&dst, &b2.bb);
    resize_engine_add(&dst, &m2.bb);
    dst.has_target = src.has_target;
    dst.target = src.target;
    dst.in_flight = src.in_flight;
    dst.by_node = src.by_node;
    dst.strict_nodes = src.strict_nodes;
    dst.growth_node = src.growth_node;
    dst.balloon_growth = src.balloon_growth;
    dst.state = src.state;
    dst.todo = done;
    m2.set_calls = 0;

    resize_engine_resume(&dst, mock_now_ms);
    g_assert_cmpuint(m2.set_calls, ==, 1);
    mock_run(&dst, all, 2, 1000);
    g_assert_false(resize_engine_busy(&dst));
    g_assert_cmpint(resize_engine_actual(&dst), ==, 640 * MiB);
    g_assert_cmpuint(count_of("stop:"), ==, 1);
    g_assert_cmpuint(count_of("stop:reached"), ==, 1);
    resize_engine_progress(&dst, &done, &todo);
    g_assert_cmpint(done, ==, todo);
    g_assert_cmpint(todo, ==, 2 * GiB + 384 * MiB);
    resize_engine_finalize(&src);
    resize_engine_finalize(&dst);
}

/*
 * Nothing carried (from a QEMU without the frontend): the size found is
 * the last target, which a reset then plans again.
 */
static void test_adopt(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };

    setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 2 * GiB);
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);
    b.info.size = b.target = -256 * MiB;
    m.info.size = m.target = 512 * MiB;
    g_assert_false(resize_engine_reapply(&re, mock_now_ms));

    resize_engine_adopt(&re);
    g_assert_true(re.has_target);
    g_assert_cmpint(re.target, ==, BASE + 256 * MiB);
    g_assert_null(strstr(mock_events->str, "stop:"));

    /* A reset: the devices at their boot state. */
    b.info.size = b.target = 0;
    m.info.size = m.target = 0;
    g_assert_true(resize_engine_reapply(&re, mock_now_ms));
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE + 256 * MiB);

    /* Adopting again changes nothing: there is a target. */
    m.info.size = m.target = 0;
    resize_engine_adopt(&re);
    g_assert_cmpint(re.target, ==, BASE + 256 * MiB);
    resize_engine_finalize(&re);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/resize-migrate/hold", test_hold);
    g_test_add_func("/resize-migrate/resume", test_resume);
    g_test_add_func("/resize-migrate/adopt", test_adopt);
    return g_test_run();
}
