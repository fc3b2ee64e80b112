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
 * The destination: what the stream carries of the engine
 * (resize_engine_save_request(), see frontend-migration.c) loaded into a
 * fresh engine whose backends are where the source's were; resumed, it
 * reaches the target, and stops once.
 */
static void test_resume(void)
{
    ResizeEngine src, dst;
    ResizeEngineRequest req;
    Mock b, m, b2, m2;
    Mock *all[] = { &b2, &m2 };
    int64_t done, todo, target;

    setup(&src);
    start_shrink(&src, &b, &m);
    resize_engine_hold(&src, true, mock_now_ms);
    resize_engine_progress(&src, &done, &todo);
    resize_engine_save_request(&src, &req);
    g_assert_true(req.in_flight);
    g_assert_cmpint(req.target, ==, 640 * MiB);
    g_assert_cmpint(req.done, ==, done);

    /* The devices migrate their own state: same sizes, same targets. */
    mock_setup(&dst);
    dst.stall_ms = STALL_MS;
    b2 = b;
    m2 = m;
    QTAILQ_INIT(&dst.backends);
    resize_engine_add(&dst, &b2.bb);
    resize_engine_add(&dst, &m2.bb);
    g_assert_true(resize_engine_load_request(&dst, &req, NULL, 4 * GiB,
                                             &error_abort));
    g_assert_true(resize_engine_target(&dst, &target));
    g_assert_cmpint(target, ==, 640 * MiB);
    g_assert_true(resize_engine_busy(&dst));
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
 * A request from a stream that this engine could not have made is
 * refused with what is wrong, and changes nothing: the engine keeps its
 * own target, state and error.
 */
static void test_load_refused(void)
{
    static const struct {
        const char *what;
        const char *error;
    } cases[] = {
        { "state", "state 9" },
        { "busy-state", "in flight with state idle" },
        { "no-target", "in flight without a target" },
        { "target-high", "target 8589934592 (this VM reaches 1 to "
          "4294967296 bytes)" },
        { "target-zero", "target 0 (this VM reaches 1 to 4294967296 "
          "bytes)" },
        { "floor", "target 268435456 below the floor 536870912" },
        { "growth-node", "growth node 1" },
        { "balloon-growth", "balloon growth -1" },
        { "done", "-5 bytes moved" },
        { "node-amount", "node 0 plugged 4294967296 (it can have 0 to "
          "2147483648 bytes plugged)" },
        { "by-node", "per-node request without any node" },
    };
    ResizeEngine re;
    Mock b, m;
    size_t i;

    setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 2 * GiB);
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);
    re.floor = 512 * MiB;
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        ResizeEngineRequest r = {
            .has_target = true, .target = 2 * GiB, .in_flight = true,
            .growth_node = -1, .state = RESIZE_STATE_RESIZING,
        };
        Error *err = NULL;
        int64_t target;

        r.node_amount[0] = -1;
        if (!strcmp(cases[i].what, "state")) {
            r.state = 9;
        } else if (!strcmp(cases[i].what, "busy-state")) {
            r.state = RESIZE_STATE_IDLE;
        } else if (!strcmp(cases[i].what, "no-target")) {
            r.has_target = false;
        } else if (!strcmp(cases[i].what, "target-high")) {
            r.target = 8 * GiB;
        } else if (!strcmp(cases[i].what, "target-zero")) {
            r.target = 0;
        } else if (!strcmp(cases[i].what, "floor")) {
            r.target = 256 * MiB;
        } else if (!strcmp(cases[i].what, "growth-node")) {
            r.growth_node = 1;
        } else if (!strcmp(cases[i].what, "balloon-growth")) {
            r.balloon_growth = -1;
        } else if (!strcmp(cases[i].what, "done")) {
            r.done = -5;
        } else if (!strcmp(cases[i].what, "node-amount")) {
            r.node_amount[0] = 4 * GiB;
        } else {
            r.by_node = true;
        }
        g_assert_false(resize_engine_load_request(&re, &r, "carried", 4 * GiB,
                                                  &err));
        g_assert_cmpstr(error_get_pretty(err), ==, cases[i].error);
        error_free(err);
        g_assert_false(resize_engine_target(&re, &target));
        g_assert_false(resize_engine_busy(&re));
        g_assert_cmpint(resize_engine_state(&re), ==, RESIZE_STATE_IDLE);
        g_assert_null(resize_engine_error(&re));
    }
    resize_engine_finalize(&re);
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
    g_test_add_func("/resize-migrate/load-refused", test_load_refused);
    g_test_add_func("/resize-migrate/adopt", test_adopt);
    return g_test_run();
}
