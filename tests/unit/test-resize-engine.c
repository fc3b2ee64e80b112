/*
 * Unit tests of the frontend's registry, planner and resize driver, with
 * mock backends of all three kinds.
 *
 * The mocks model each backend's contract: a guest driver that moves the
 * contribution toward the last target by a bounded amount per tick
 * (virtio-balloon: pages; virtio-mem: whole blocks; hv-balloon: pages
 * when ballooning, aligned chunks when hot-adding), that may be absent or
 * stuck, and a host side that may refuse a request.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "mock-backends.h"

static void test_registry(void)
{
    ResizeEngine re;
    Mock b, m0, m1;

    mock_setup(&re);
    g_assert_cmpint(resize_engine_count(&re), ==, 0);
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m0, "vmem0", 1 * GiB);
    mock_virtio_mem(&m1, "vmem1", 1 * GiB);
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m0.bb);
    resize_engine_add(&re, &m1.bb);
    g_assert_cmpint(resize_engine_count(&re), ==, 3);
    g_assert_true(resize_engine_has(&re, &m1.bb));

    /* One definition of size: base + plugged - ballooned */
    m0.info.size = 256 * MiB;
    b.info.size = -64 * MiB;
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE + 192 * MiB);

    g_assert_true(resize_engine_remove(&re, &m0.bb));
    g_assert_cmpint(resize_engine_count(&re), ==, 2);
    g_assert_false(resize_engine_has(&re, &m0.bb));
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE - 64 * MiB);
}

static void test_bad_input(void)
{
    static const int64_t bad[] = { 0, -1, -4096, 3 * GiB + 4096, INT64_MAX,
                                   INT64_MIN, 256 * MiB - 4096 };
    ResizeEngine re;
    Mock b, m;
    int64_t min, max;
    int i;

    mock_setup(&re);
    re.floor = 256 * MiB;
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 2 * GiB);
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);
    g_assert_true(resize_engine_limits(&re, &min, &max));
    g_assert_cmpint(min, ==, 256 * MiB);
    g_assert_cmpint(max, ==, 3 * GiB);

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        Error *err = NULL;

        g_assert_false(resize_engine_request(&re, bad[i], "value", 0, &err));
        g_assert_nonnull(err);
        g_assert_cmpstr(error_get_pretty(err), ==,
                        "Parameter 'value' expects a guest size from "
                        "268435456 to 3221225472 bytes");
        error_free(err);
    }
    /* Nothing changed: no backend was asked, no event, no target. */
    g_assert_cmpint(b.set_calls + m.set_calls, ==, 0);
    g_assert_cmpstr(mock_events->str, ==, "");
    g_assert_false(re.has_target);
    g_assert_false(resize_engine_busy(&re));
}

static void test_no_backend(void)
{
    ResizeEngine re;
    Error *err = NULL;
    int64_t min, max;

    mock_setup(&re);
    /* the limits are set even so: the boot size, which cannot change */
    min = max = -1;
    g_assert_false(resize_engine_limits(&re, &min, &max));
    g_assert_cmpint(min, ==, re.base);
    g_assert_cmpint(max, ==, re.base);
    min = max = -1;
    g_assert_false(resize_engine_limits_within(&re, 2 * GiB, &min, &max));
    g_assert_cmpint(min, ==, re.base);
    g_assert_cmpint(max, ==, re.base);
    g_assert_false(resize_engine_request(&re, GiB, "value", 0, &err));
    error_free_or_abort(&err);
}

/* Grow 1 GiB -> 3 GiB with 256 MiB ballooned: deflate, then plug. */
static void test_grow_sequenced(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };

    mock_setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 2 * GiB);
    b.info.size = b.target = -256 * MiB;
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);

    g_assert_true(resize_engine_request(&re, 3 * GiB, "value", 0,
                                        &error_abort));
    /* Only the balloon moves first. */
    g_assert_cmpstr(mock_events->str, ==, "set:balloon0:0 state:resizing ");
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(resize_engine_actual(&re), ==, 3 * GiB);
    g_assert_cmpint(m.info.size, ==, 2 * GiB);
    g_assert_cmpint(b.info.size, ==, 0);
    g_assert_cmpint(m.set_at_tick, >, b.set_at_tick);
    g_assert_cmpstr(mock_events->str, ==, "set:balloon0:0 state:resizing "
                    "set:vmem0:2048 state:idle stop:reached ");
}

/*
 * A request for the size the guest has (libvirt sends one at start):
 * reached at once, reported, and nothing left in flight.
 */
static void test_already_there(void)
{
    ResizeEngine re;
    Mock b, m;

    mock_setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 2 * GiB);
    b.info.size = b.target = -256 * MiB;
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);
    g_assert_true(resize_engine_request(&re, 768 * MiB, "value", 0,
                                        &error_abort));
    g_assert_false(resize_engine_busy(&re));
    g_assert_cmpint(re.state, ==, RESIZE_STATE_IDLE);
    g_assert_true(g_str_has_suffix(mock_events->str, "stop:reached "));
    g_assert_null(strstr(mock_events->str, "resizing"));
}

/* Shrink 3 GiB -> 512 MiB: unplug first, inflate only after. */
static void test_shrink_sequenced(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };
    int64_t done, todo;

    mock_setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 2 * GiB);
    m.info.size = m.target = 2 * GiB;
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);

    g_assert_true(resize_engine_request(&re, 512 * MiB, "value", 0,
                                        &error_abort));
    g_assert_cmpstr(mock_events->str, ==, "set:vmem0:0 state:resizing ");
    resize_engine_progress(&re, &done, &todo);
    g_assert_cmpint(todo, ==, 2 * GiB + 512 * MiB);
    g_assert_cmpint(done, ==, 0);
    mock_run(&re, all, 2, 3);
    /* Mid-unplug: the balloon has not been asked yet. */
    g_assert_cmpint(b.set_calls, ==, 0);
    g_assert_cmpint(m.info.size, >, 0);
    resize_engine_progress(&re, &done, &todo);
    g_assert_cmpint(done, >, 0);
    g_assert_cmpint(done, <, todo);

    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(resize_engine_actual(&re), ==, 512 * MiB);
    g_assert_cmpint(b.info.size, ==, -512 * MiB);
    g_assert_cmpint(b.set_at_tick, >, m.set_at_tick);
    g_assert_cmpstr(mock_events->str, ==, "set:vmem0:0 state:resizing "
                    "set:balloon0:-512 state:idle stop:reached ");
}

/* A target between blocks: plug a whole block, balloon the excess. */
static void test_sub_block_exact(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };
    int64_t target = BASE + 3 * MiB + 8 * KiB;

    mock_setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 1 * GiB);
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);
    g_assert_true(resize_engine_request(&re, target, "value", 0,
                                        &error_abort));
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(m.info.size, ==, 4 * MiB);
    g_assert_cmpint(b.info.size, ==, -(1 * MiB - 8 * KiB));
    g_assert_cmpint(resize_engine_actual(&re), ==, target);

    /* Not page aligned: rounded up to the next page. */
    g_assert_true(resize_engine_request(&re, target + 1, "value", mock_now_ms,
                                        &error_abort));
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(resize_engine_actual(&re), ==, target + 4 * KiB);
}

/* Without a balloon, virtio-mem never goes past the target. */
static void test_virtio_mem_only(void)
{
    ResizeEngine re;
    Mock m0, m1;
    Mock *all[] = { &m0, &m1 };
    int64_t min, max;
    Error *err = NULL;

    mock_setup(&re);
    mock_virtio_mem(&m0, "vmem0", 512 * MiB);
    mock_virtio_mem(&m1, "vmem1", 512 * MiB);
    resize_engine_add(&re, &m0.bb);
    resize_engine_add(&re, &m1.bb);
    g_assert_true(resize_engine_limits(&re, &min, &max));
    g_assert_cmpint(min, ==, BASE);
    g_assert_cmpint(max, ==, BASE + GiB);

    g_assert_true(resize_engine_request(&re, BASE + 700 * MiB + 1 * MiB,
                                        "size", 0, &error_abort));
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(m0.info.size, ==, 512 * MiB);
    g_assert_cmpint(m1.info.size, ==, 188 * MiB);
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE + 700 * MiB);

    g_assert_false(resize_engine_request(&re, BASE - 4 * KiB, "size", 0,
                                         &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Parameter 'size' expects a guest size from 1073741824 "
                    "to 2147483648 bytes");
    error_free(err);
}

/* A new request replaces the one in flight and is planned from now. */
static void test_replace_in_flight(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };

    mock_setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 2 * GiB);
    m.rate = 64 * MiB;
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);

    g_assert_true(resize_engine_request(&re, 3 * GiB, "value", 0,
                                        &error_abort));
    mock_run(&re, all, 2, 4);
    g_assert_true(resize_engine_busy(&re));
    g_assert_cmpint(m.info.size, ==, 256 * MiB);

    g_string_truncate(mock_events, 0);
    g_assert_true(resize_engine_request(&re, 768 * MiB, "value", mock_now_ms,
                                        &error_abort));
    g_assert_cmpstr(mock_events->str, ==, "stop:replaced set:vmem0:0 ");
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(resize_engine_actual(&re), ==, 768 * MiB);
    g_assert_cmpint(m.info.size, ==, 0);
    g_assert_cmpint(b.info.size, ==, -256 * MiB);
    g_assert_cmpstr(mock_events->str, ==, "stop:replaced set:vmem0:0 "
                    "set:balloon0:-256 state:idle stop:reached ");
}

/* A guest that never answers: stalled after stall_ms, nothing lost. */
static void test_guest_never_answers(void)
{
    ResizeEngine re;
    Mock b;
    Mock *all[] = { &b };

    mock_setup(&re);
    re.stall_ms = 1000;
    mock_virtio_balloon(&b, "balloon0");
    b.rate = 0;                         /* stuck driver */
    resize_engine_add(&re, &b.bb);
    g_assert_true(resize_engine_request(&re, 512 * MiB, "value", 0,
                                        &error_abort));
    mock_run(&re, all, 1, 1000 / TICK_MS - 1);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_RESIZING);
    mock_run(&re, all, 1, 5);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_STALLED);
    g_assert_true(resize_engine_busy(&re));
    g_assert_true(re.has_target);
    g_assert_cmpint(re.target, ==, 512 * MiB);
    /* Reported once, not on every tick. */
    mock_run(&re, all, 1, 100);
    g_assert_cmpstr(mock_events->str, ==, "set:balloon0:-512 state:resizing "
                    "state:stalled stop:stalled ");

    /* The guest wakes up: the request completes. */
    b.rate = 128 * MiB;
    mock_run(&re, all, 1, 1000);
    g_assert_cmpint(resize_engine_actual(&re), ==, 512 * MiB);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_IDLE);
}

/* No driver yet: pending, applied when the driver connects. */
static void test_no_guest_driver(void)
{
    ResizeEngine re;
    Mock b;
    Mock *all[] = { &b };

    mock_setup(&re);
    re.stall_ms = 1000;
    mock_virtio_balloon(&b, "balloon0");
    b.info.driver_connected = false;
    resize_engine_add(&re, &b.bb);
    g_assert_true(resize_engine_request(&re, 768 * MiB, "value", 0,
                                        &error_abort));
    mock_run(&re, all, 1, 200);          /* 10 s: longer than stall_ms */
    g_assert_cmpint(re.state, ==, RESIZE_STATE_NO_GUEST_DRIVER);
    g_assert_null(strstr(mock_events->str, "stalled"));

    b.info.driver_connected = true;
    b.target = 0;                   /* a reset lost the request */
    mock_run(&re, all, 1, 1000);
    g_assert_cmpint(resize_engine_actual(&re), ==, 768 * MiB);
    g_assert_cmpstr(mock_events->str, ==, "set:balloon0:-256 "
                    "state:no-guest-driver set:balloon0:-256 state:resizing "
                    "state:idle stop:reached ");
}

/* hv-balloon: hot-add past boot size; preferred when its driver is up. */
static void test_hv_balloon_hot_add(void)
{
    ResizeEngine re;
    Mock vb, hv;
    Mock *all[] = { &vb, &hv };
    int64_t min, max;

    mock_setup(&re);
    mock_virtio_balloon(&vb, "balloon0");
    mock_hv_balloon(&hv, "hvb0", 4 * GiB);
    resize_engine_add(&re, &vb.bb);
    resize_engine_add(&re, &hv.bb);
    g_assert_true(resize_engine_active_balloon(&re) == &hv.bb);
    g_assert_true(resize_engine_limits(&re, &min, &max));
    g_assert_cmpint(max, ==, BASE + 4 * GiB);

    /* Mixed: grow by hot-add to 2.5 GiB + 4 KiB (not chunk aligned) */
    g_assert_true(resize_engine_request(&re, BASE + 1536 * MiB + 4 * KiB,
                                        "value", 0, &error_abort));
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(hv.info.size, ==, 1536 * MiB + 4 * KiB);
    g_assert_cmpint(vb.set_calls, ==, 0);
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE + 1536 * MiB + 4 * KiB);

    /* Then shrink below boot size through hv-balloon's ballooning. */
    g_assert_true(resize_engine_request(&re, 640 * MiB, "value", mock_now_ms,
                                        &error_abort));
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(hv.info.size, ==, 640 * MiB - BASE);
    g_assert_cmpint(vb.set_calls, ==, 0);

    /* Windows gone, Linux driver up: virtio-balloon takes over. */
    hv.info.driver_connected = false;
    g_assert_true(resize_engine_active_balloon(&re) == &vb.bb);
}

/*
 * The mixed template on a guest without virtio-mem's driver (Windows
 * without viomem; Linux whose virtio_mem failed to probe next to
 * hv_balloon): hv-balloon hot-adds it all and the request is reached;
 * nothing waits for a driver that is not there.  Only what hv-balloon
 * cannot take waits for virtio-mem's driver, and is applied when it
 * comes.
 */
static void test_virtio_mem_without_driver(void)
{
    ResizeEngine re;
    Mock vm, hv;
    Mock *all[] = { &vm, &hv };

    mock_setup(&re);
    mock_virtio_mem(&vm, "vmem0", 512 * MiB);
    mock_hv_balloon(&hv, "hvb0", GiB);
    vm.info.driver_connected = false;
    resize_engine_add(&re, &vm.bb);
    resize_engine_add(&re, &hv.bb);

    g_assert_true(resize_engine_request(&re, BASE + GiB, "value", 0,
                                        &error_abort));
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(hv.info.size, ==, GiB);
    g_assert_cmpint(vm.info.size, ==, 0);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_IDLE);
    /* virtio-mem is asked to stay where it is: unplugged */
    g_assert_cmpstr(mock_events->str, ==, "set:vmem0:0 set:hvb0:1024 "
                    "state:resizing state:idle stop:reached ");

    /* Past what hv-balloon can: the rest waits for virtio-mem's driver */
    g_string_truncate(mock_events, 0);
    g_assert_true(resize_engine_request(&re, BASE + GiB + 256 * MiB,
                                        "value", mock_now_ms, &error_abort));
    mock_run(&re, all, 2, 200);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_NO_GUEST_DRIVER);
    g_assert_cmpint(vm.info.size, ==, 0);
    vm.info.driver_connected = true;
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE + GiB + 256 * MiB);
    g_assert_cmpint(vm.info.size + hv.info.size, ==, GiB + 256 * MiB);
}

/* A backend refusing mid-plan: everything asked before is rolled back. */
static void test_rollback(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };

    mock_setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 2 * GiB);
    b.info.size = b.target = -128 * MiB;
    m.refuse = true;
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);
    g_assert_true(resize_engine_request(&re, 2 * GiB, "value", 0,
                                        &error_abort));
    mock_run(&re, all, 2, 1000);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_FAILED);
    g_assert_false(resize_engine_busy(&re));
    g_assert_cmpint(b.target, ==, -128 * MiB);
    g_assert_cmpstr(mock_events->str, ==, "set:balloon0:0 state:resizing "
                    "set:balloon0:-128 state:failed stop:failed ");

    /* Refused by the first step: an error, and the balloon is untouched. */
    g_string_truncate(mock_events, 0);
    m.info.size = m.target = 512 * MiB;
    b.set_calls = 0;
    {
        Error *err = NULL;

        g_assert_false(resize_engine_request(&re, 640 * MiB, "value",
                                             mock_now_ms, &err));
        g_assert_cmpstr(error_get_pretty(err), ==, "vmem0 refuses");
        error_free(err);
    }
    g_assert_cmpint(m.target, ==, 512 * MiB);
    g_assert_cmpint(b.set_calls, ==, 0);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_FAILED);
    g_assert_false(resize_engine_busy(&re));
}

/*
 * A backend refusing mid-plan, after others already moved: the request
 * ends failed with the backend's own message, which the user sees in
 * MEMORY_RESIZE_DONE (the stopped op) and query-memory-resize
 * (re->error); every backend is back where it was.
 */
static void test_refusal_reaches_user(void)
{
    ResizeEngine re;
    Mock b, m0, m1;
    Mock *all[] = { &b, &m0, &m1 };

    mock_setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m0, "vmem0", 1 * GiB);
    mock_virtio_mem(&m1, "vmem1", 1 * GiB);
    b.info.size = b.target = -128 * MiB;
    m1.refuse = true;
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m0.bb);
    resize_engine_add(&re, &m1.bb);

    /* Deflate runs, then vmem0 is asked and vmem1 refuses. */
    g_assert_true(resize_engine_request(&re, BASE + 2 * GiB, "value", 0,
                                        &error_abort));
    mock_run(&re, all, 3, 1000);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_FAILED);
    g_assert_cmpstr(mock_stop_error, ==, "vmem1 refuses");
    g_assert_cmpstr(re.error, ==, "vmem1 refuses");
    g_assert_cmpint(b.target, ==, -128 * MiB);
    g_assert_cmpint(m0.target, ==, 0);
    g_assert_cmpint(m1.target, ==, 0);
    g_assert_cmpint(m0.set_calls, ==, 2);       /* asked, then rolled back */
    g_assert_true(g_str_has_suffix(mock_events->str,
                                   "set:vmem0:0 state:failed stop:failed "));

    /* A backend that refuses the rollback too: both messages. */
    mock_setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m0, "vmem0", 1 * GiB);
    mock_virtio_mem(&m1, "vmem1", 1 * GiB);
    b.info.size = b.target = -128 * MiB;
    m0.refuse = true;
    m0.accept_calls = 1;                        /* takes the plan only */
    m1.refuse = true;
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m0.bb);
    resize_engine_add(&re, &m1.bb);
    g_assert_true(resize_engine_request(&re, BASE + 2 * GiB, "value", 0,
                                        &error_abort));
    mock_run(&re, all, 3, 1000);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_FAILED);
    g_assert_cmpstr(mock_stop_error, ==,
                    "vmem1 refuses (and rolling back: vmem0 refuses)");
    g_assert_cmpint(m0.target, ==, 1 * GiB);    /* could not be undone */
    g_assert_cmpint(b.target, ==, -128 * MiB);
    resize_engine_finalize(&re);
    g_assert_null(re.error);
}

/* Four nodes of uneven boot size; virtio-mem on nodes 0, 1 and 3 only. */
static void setup_numa(ResizeEngine *re, Mock *m, Mock *b,
                       ResizePolicy policy, int prefer)
{
    static const int64_t boot[4] = { 512 * MiB, 256 * MiB, 128 * MiB,
                                     128 * MiB };
    static const char *ids[4] = { "vmem0", "vmem1", "vmem2", "vmem3" };
    int n;

    mock_setup(re);
    re->base = BASE;
    resize_engine_set_nodes(re, 4, boot);
    re->policy = policy;
    re->prefer_node = prefer;
    mock_virtio_balloon(b, "balloon0");
    resize_engine_add(re, &b->bb);
    for (n = 0; n < 4; n++) {
        if (n == 2) {
            continue;           /* node 2 has no virtio-mem */
        }
        mock_virtio_mem(&m[n], ids[n], 512 * MiB);
        m[n].info.node = n;
        resize_engine_add(re, &m[n].bb);
    }
}

static void run_numa(ResizeEngine *re, Mock *m, Mock *b)
{
    Mock *all[] = { b, &m[0], &m[1], &m[3] };

    mock_run(re, all, 4, 2000);
    g_assert_false(resize_engine_busy(re));
}

/* proportional: growth follows boot shares; full nodes overflow. */
static void test_policy_proportional(void)
{
    ResizeEngine re;
    Mock m[4], b;

    setup_numa(&re, m, &b, RESIZE_POLICY_PROPORTIONAL, -1);
    /* +700 MiB over nodes 0, 1, 3 (boot 512:256:128; node 2 has none) */
    g_assert_true(resize_engine_request(&re, BASE + 700 * MiB, "value", 0,
                                        &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE + 700 * MiB);
    /* 700 * 4/7 = 400, * 2/7 = 200, * 1/7 = 100: all block aligned */
    g_assert_cmpint(m[0].info.size, ==, 400 * MiB);
    g_assert_cmpint(m[1].info.size, ==, 200 * MiB);
    g_assert_cmpint(m[3].info.size, ==, 100 * MiB);

    /* +1400 MiB: node 0 would want 800 but holds 512; the rest spreads */
    g_assert_true(resize_engine_request(&re, BASE + 1400 * MiB, "value",
                                        mock_now_ms, &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(m[0].info.size, ==, 512 * MiB);
    g_assert_cmpint(m[1].info.size + m[3].info.size, ==, 888 * MiB);
    g_assert_cmpint(m[1].info.size, ==, 512 * MiB);   /* 592 > cap */
    g_assert_cmpint(m[3].info.size, ==, 376 * MiB);
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE + 1400 * MiB);

    /* Shrinking by unplug keeps the proportions. */
    g_assert_true(resize_engine_request(&re, BASE + 350 * MiB, "value",
                                        mock_now_ms, &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(m[0].info.size, ==, 200 * MiB);
    g_assert_cmpint(m[1].info.size, ==, 100 * MiB);
    g_assert_cmpint(m[3].info.size, ==, 50 * MiB);
    g_assert_cmpint(b.info.size, ==, 0);
}

/* fill: lowest node first, skipping nodes without virtio-mem. */
static void test_policy_fill(void)
{
    ResizeEngine re;
    Mock m[4], b;

    setup_numa(&re, m, &b, RESIZE_POLICY_FILL, -1);
    g_assert_true(resize_engine_request(&re, BASE + 800 * MiB + 4 * KiB,
                                        "value", 0, &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(m[0].info.size, ==, 512 * MiB);
    g_assert_cmpint(m[1].info.size, ==, 290 * MiB);   /* rounded up a block */
    g_assert_cmpint(m[3].info.size, ==, 0);
    g_assert_cmpint(b.info.size, ==, -(2 * MiB - 4 * KiB));
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE + 800 * MiB + 4 * KiB);

    /* Shrink: node 1 gives up first (the reverse of filling). */
    g_assert_true(resize_engine_request(&re, BASE + 600 * MiB, "value",
                                        mock_now_ms, &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(m[0].info.size, ==, 512 * MiB);
    g_assert_cmpint(m[1].info.size, ==, 88 * MiB);
    g_assert_cmpint(b.info.size, ==, 0);
}

/* prefer: the named node first, then the others from the lowest. */
static void test_policy_prefer(void)
{
    ResizeEngine re;
    Mock m[4], b;
    int64_t min, max;
    uint64_t step;

    setup_numa(&re, m, &b, RESIZE_POLICY_PREFER, 3);
    g_assert_true(resize_engine_request(&re, BASE + 768 * MiB, "value", 0,
                                        &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(m[3].info.size, ==, 512 * MiB);
    g_assert_cmpint(m[0].info.size, ==, 256 * MiB);
    g_assert_cmpint(m[1].info.size, ==, 0);

    /* A node without virtio-mem as the preferred one: the others fill. */
    re.prefer_node = 2;
    g_assert_true(resize_engine_request(&re, BASE + 768 * MiB, "value",
                                        mock_now_ms, &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(m[0].info.size, ==, 512 * MiB);
    g_assert_cmpint(m[1].info.size, ==, 256 * MiB);
    g_assert_cmpint(m[3].info.size, ==, 0);

    resize_engine_node_limits(&re, 2, 0, &min, &max, &step);
    g_assert_cmpint(min, ==, 128 * MiB);
    g_assert_cmpint(max, ==, 128 * MiB);
    resize_engine_node_limits(&re, 1, 64 * MiB, &min, &max, &step);
    g_assert_cmpint(min, ==, 192 * MiB);
    g_assert_cmpint(max, ==, 704 * MiB);
    g_assert_cmpint(step, ==, BLOCK);
}

/* Per-node targets: listed nodes move, the rest and the balloon stay. */
static void test_node_targets(void)
{
    static const int64_t none[4] = { 0, 0, 0, 0 };
    ResizeEngine re;
    Mock m[4], b;
    int64_t targets[4] = { -1, 256 * MiB + 100 * MiB, -1,
                           128 * MiB + 64 * MiB };
    Error *err = NULL;

    setup_numa(&re, m, &b, RESIZE_POLICY_PROPORTIONAL, -1);
    m[0].info.size = m[0].target = 32 * MiB;
    g_assert_true(resize_engine_request_nodes(&re, targets, none, true, "nodes", 0,
                                              &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(m[0].info.size, ==, 32 * MiB);
    g_assert_cmpint(m[1].info.size, ==, 100 * MiB);
    g_assert_cmpint(m[3].info.size, ==, 64 * MiB);
    g_assert_cmpint(b.target, ==, 0);           /* told to stay put */
    g_assert_cmpint(re.target, ==, BASE + 196 * MiB);

    /* Out of range, or not whole blocks: refused, nothing moves. */
    g_string_truncate(mock_events, 0);
    targets[1] = 256 * MiB + 513 * MiB;
    g_assert_false(resize_engine_request_nodes(&re, targets, none, true, "nodes",
                                               mock_now_ms, &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "Parameter 'nodes' gives node "
                    "1 size 806354944; node 1 can be from 268435456 to "
                    "805306368 bytes in steps of 2097152");
    g_clear_pointer(&err, error_free);
    targets[1] = 256 * MiB + MiB;
    g_assert_false(resize_engine_request_nodes(&re, targets, none, true, "nodes",
                                               mock_now_ms, &err));
    g_clear_pointer(&err, error_free);
    targets[1] = -1;
    targets[2] = 129 * MiB;     /* node 2: no virtio-mem, 128 MiB only */
    g_assert_false(resize_engine_request_nodes(&re, targets, none, true, "nodes",
                                               mock_now_ms, &err));
    g_clear_pointer(&err, error_free);
    g_assert_cmpstr(mock_events->str, ==, "");
    g_assert_cmpint(m[1].info.size, ==, 100 * MiB);
}

/*
 * A node ceiling: no node grows past it, whatever the policy wants;
 * lowered, a node above it is unplugged down to it; hot-add counts to
 * the balloon's node.
 */
static void test_node_ceiling(void)
{
    static const int64_t boot[2] = { 512 * MiB, 512 * MiB };
    ResizeEngine re;
    Mock m[4], b, hv;
    Mock *two[] = { &hv };
    int64_t min, max;
    Error *err = NULL;

    setup_numa(&re, m, &b, RESIZE_POLICY_PREFER, 0);
    g_assert_cmpint(resize_engine_node_ceiling_min(&re), ==, 512 * MiB);
    g_assert_true(resize_engine_limits_within(&re, 768 * MiB, &min, &max));
    /* node 0: 256 MiB more; nodes 1 and 3: their 512 MiB */
    g_assert_cmpint(max, ==, BASE + 1280 * MiB);

    /* prefer node 0: it stops at the ceiling, node 1 takes the rest */
    g_assert_true(resize_engine_request_within(&re, BASE + 768 * MiB,
                                               768 * MiB, "auto", 0,
                                               &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(m[0].info.size, ==, 256 * MiB);
    g_assert_cmpint(m[1].info.size, ==, 512 * MiB);
    g_assert_cmpint(m[3].info.size, ==, 0);

    /* Beyond what the nodes reach within it: refused with the range */
    g_assert_false(resize_engine_request_within(&re, BASE + 1400 * MiB,
                                                768 * MiB, "auto",
                                                mock_now_ms, &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "Parameter 'auto' expects "
                    "a guest size from 4096 to 2415919104 bytes");
    g_clear_pointer(&err, error_free);

    /* Lowered: nodes 0 and 1 give back what is above it, node 3 grows */
    g_assert_true(resize_engine_request_within(&re, BASE + 768 * MiB,
                                               640 * MiB, "auto",
                                               mock_now_ms, &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(m[0].info.size, ==, 128 * MiB);     /* 512 + 128 */
    g_assert_cmpint(m[1].info.size, ==, 384 * MiB);     /* 256 + 384 */
    g_assert_cmpint(m[3].info.size, ==, 256 * MiB);
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE + 768 * MiB);

    /* A plain request: no ceiling */
    g_assert_true(resize_engine_request(&re, BASE + 1536 * MiB, "value",
                                        mock_now_ms, &error_abort));
    run_numa(&re, m, &b);
    g_assert_cmpint(m[0].info.size, ==, 512 * MiB);
    resize_engine_finalize(&re);

    /* hv-balloon hot-adding on node 1: up to the ceiling there */
    mock_setup(&re);
    re.base = BASE;
    resize_engine_set_nodes(&re, 2, boot);
    mock_hv_balloon(&hv, "hvb0", 4 * GiB);
    hv.info.node = 1;
    resize_engine_add(&re, &hv.bb);
    g_assert_true(resize_engine_limits_within(&re, GiB, &min, &max));
    g_assert_cmpint(max, ==, BASE + 512 * MiB);
    g_assert_true(resize_engine_request_within(&re, BASE + 512 * MiB, GiB,
                                               "auto", 0, &error_abort));
    mock_run(&re, two, 1, 1000);
    g_assert_cmpint(hv.info.size, ==, 512 * MiB);
    g_assert_false(resize_engine_request_within(&re, BASE + 640 * MiB, GiB,
                                                "auto", mock_now_ms, &err));
    g_clear_pointer(&err, error_free);
    resize_engine_finalize(&re);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/resize-engine/registry", test_registry);
    g_test_add_func("/resize-engine/bad-input", test_bad_input);
    g_test_add_func("/resize-engine/no-backend", test_no_backend);
    g_test_add_func("/resize-engine/grow-sequenced", test_grow_sequenced);
    g_test_add_func("/resize-engine/shrink-sequenced", test_shrink_sequenced);
    g_test_add_func("/resize-engine/already-there", test_already_there);
    g_test_add_func("/resize-engine/sub-block-exact", test_sub_block_exact);
    g_test_add_func("/resize-engine/virtio-mem-only", test_virtio_mem_only);
    g_test_add_func("/resize-engine/replace-in-flight",
                    test_replace_in_flight);
    g_test_add_func("/resize-engine/guest-never-answers",
                    test_guest_never_answers);
    g_test_add_func("/resize-engine/no-guest-driver", test_no_guest_driver);
    g_test_add_func("/resize-engine/hv-balloon-hot-add",
                    test_hv_balloon_hot_add);
    g_test_add_func("/resize-engine/virtio-mem-without-driver",
                    test_virtio_mem_without_driver);
    g_test_add_func("/resize-engine/rollback", test_rollback);
    g_test_add_func("/resize-engine/refusal-reaches-user",
                    test_refusal_reaches_user);
    g_test_add_func("/resize-engine/policy-proportional",
                    test_policy_proportional);
    g_test_add_func("/resize-engine/policy-fill", test_policy_fill);
    g_test_add_func("/resize-engine/policy-prefer", test_policy_prefer);
    g_test_add_func("/resize-engine/node-targets", test_node_targets);
    g_test_add_func("/resize-engine/node-ceiling", test_node_ceiling);
    return g_test_run();
}
