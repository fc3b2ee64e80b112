/*
 * The hv-balloon backend against a model of hv-balloon's contract
 * (tests/unit/hv-balloon-model.c), driven by the frontend's engine, next
 * to a virtio-balloon when the case needs one.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "mock-backends.h"
#include "hv-balloon-model.h"
#include "ubf/backends/hv-balloon-backend.h"

static const HvBalloonBackendOps model_ops = {
    .get_state = hv_model_get_state,
    .set_target = hv_model_set_target,
    .base_size = hv_model_base_size,
};

typedef struct Rig {
    ResizeEngine re;
    HvModel hv;
    BalloonBackend *hvb;
    Mock vb;                /* a virtio-balloon, when registered */
} Rig;

/* A connected hv-balloon (hold already over) on a 1 GiB guest. */
static void rig_setup(Rig *r, uint64_t memdev, uint64_t align, bool with_vb)
{
    mock_setup(&r->re);
    hv_model_init(&r->hv, BASE, memdev, align);
    r->hv.driver = true;
    r->hv.hold_ms = 0;
    if (with_vb) {
        mock_virtio_balloon(&r->vb, "balloon0");
        resize_engine_add(&r->re, &r->vb.bb);
    }
    r->hvb = hv_balloon_backend_new(&model_ops, &r->hv, "hvb0");
    resize_engine_add(&r->re, r->hvb);
    hv_model_step(&r->hv, 0);
    hv_model_step(&r->hv, 0);
}

static void rig_free(Rig *r)
{
    resize_engine_remove(&r->re, r->hvb);
    balloon_backend_release(r->hvb);
}

/* Advance model, mock and engine @ticks times (stop when idle if @idle). */
static void rig_run(Rig *r, int ticks, bool until_idle)
{
    int i;

    for (i = 0; i < ticks; i++) {
        if (until_idle && !resize_engine_busy(&r->re)) {
            return;
        }
        hv_model_step(&r->hv, mock_now_ms);
        mock_step(&r->vb);
        mock_now_ms += TICK_MS;
        resize_engine_tick(&r->re, mock_now_ms);
    }
}

static int64_t rig_size(Rig *r)
{
    BalloonBackendInfo info;

    balloon_backend_get_info(r->hvb, &info);
    return info.size;
}

/* 1. Both drivers connected: hv-balloon is the balloon a plan uses. */
static void test_coexistence_choice(void)
{
    Rig r;

    rig_setup(&r, 4 * GiB, 128 * MiB, true);
    g_assert_true(resize_engine_active_balloon(&r.re) == r.hvb);
    g_assert_true(resize_engine_request(&r.re, 768 * MiB, "value", 0,
                                        &error_abort));
    rig_run(&r, 1000, true);
    g_assert_cmpint(rig_size(&r), ==, -256 * MiB);
    g_assert_cmpint(r.vb.set_calls, ==, 0);

    /* The Windows driver gone, the Linux one up: virtio-balloon. */
    r.hv.driver = false;
    hv_model_channel_reset(&r.hv);
    g_assert_true(resize_engine_active_balloon(&r.re) == &r.vb.bb);
    rig_free(&r);
}

/*
 * 1b. A Windows guest in a template with both balloons: virtio-balloon
 * (registered first) never gets a driver; a request made during
 * hv-balloon's hold goes to hv-balloon once the hold ends.
 */
static void test_template_windows(void)
{
    Rig r;

    rig_setup(&r, 4 * GiB, 128 * MiB, true);
    r.vb.info.driver_connected = false;
    hv_model_system_reset(&r.hv);
    r.hv.hold_ms = 10 * 1000;
    rig_run(&r, 2, false);                  /* connected, holding */
    g_assert_true(resize_engine_request(&r.re, BASE + 1 * GiB, "value",
                                        mock_now_ms, &error_abort));
    g_assert_cmpint(r.re.state, ==, RESIZE_STATE_NO_GUEST_DRIVER);
    rig_run(&r, 2000, true);
    g_assert_cmpint(resize_engine_actual(&r.re), ==, BASE + 1 * GiB);
    g_assert_cmpint(r.hv.hot_added, ==, 1 * GiB);
    g_assert_cmpint(r.vb.target, ==, 0);
    rig_free(&r);
}

/*
 * 1c. The same template, a shrink asked before any driver is up: planned
 * on the first balloon (virtio-balloon), moved to hv-balloon when its
 * driver comes.
 */
static void test_template_before_boot(void)
{
    Rig r;

    rig_setup(&r, 4 * GiB, 128 * MiB, true);
    r.vb.info.driver_connected = false;
    hv_model_system_reset(&r.hv);
    r.hv.driver = false;
    r.hv.hold_ms = 1000;
    g_assert_true(resize_engine_request(&r.re, 768 * MiB, "value", 0,
                                        &error_abort));
    g_assert_cmpint(r.vb.set_calls, ==, 1);     /* planned on it first */
    rig_run(&r, 20, false);
    g_assert_cmpint(r.re.state, ==, RESIZE_STATE_NO_GUEST_DRIVER);
    r.hv.driver = true;                         /* Windows boots */
    rig_run(&r, 2000, true);
    g_assert_cmpint(resize_engine_actual(&r.re), ==, 768 * MiB);
    g_assert_cmpint(r.hv.ballooned, ==, 256 * MiB);
    g_assert_cmpint(r.vb.target, ==, 0);        /* its request taken back */
    g_assert_true(g_str_has_suffix(mock_events->str, "stop:reached "));
    g_assert_null(strstr(mock_events->str, "stop:replaced"));
    rig_free(&r);
}

/* 2. A request before the driver connects waits, through the hold too. */
static void test_pending_through_hold(void)
{
    Rig r;

    rig_setup(&r, 4 * GiB, 128 * MiB, false);
    hv_model_system_reset(&r.hv);
    r.hv.driver = false;
    r.hv.hold_ms = HV_MODEL_POST_INIT_WAIT_MS;
    r.re.stall_ms = 30 * 1000;

    g_assert_true(resize_engine_request(&r.re, 2 * GiB, "value", 0,
                                        &error_abort));
    g_assert_cmpint(r.re.state, ==, RESIZE_STATE_NO_GUEST_DRIVER);
    rig_run(&r, 100, false);                    /* 5 s, no driver */
    r.hv.driver = true;
    rig_run(&r, 45 * 1000 / TICK_MS, false);    /* 45 s of the 50 s hold */
    g_assert_cmpint(r.re.state, ==, RESIZE_STATE_NO_GUEST_DRIVER);
    g_assert_null(strstr(mock_events->str, "stalled"));
    rig_run(&r, 1000, true);
    g_assert_cmpint(resize_engine_actual(&r.re), ==, 2 * GiB);
    g_assert_true(g_str_has_suffix(mock_events->str, "stop:reached "));
    rig_free(&r);
}

/* 3. Driver lost mid-resize: pending again, completed on reconnect. */
static void test_disconnect_reconnect(void)
{
    Rig r;

    rig_setup(&r, 0, 0, false);
    g_assert_true(resize_engine_request(&r.re, 512 * MiB, "value", 0,
                                        &error_abort));
    rig_run(&r, 1000, true);
    g_assert_cmpint(rig_size(&r), ==, -512 * MiB);

    g_assert_true(resize_engine_request(&r.re, 256 * MiB, "value",
                                        mock_now_ms, &error_abort));
    /* The channel goes away before the guest answers: balloon dropped. */
    hv_model_channel_reset(&r.hv);
    r.hv.driver = false;
    rig_run(&r, 100, false);
    g_assert_cmpint(r.re.state, ==, RESIZE_STATE_NO_GUEST_DRIVER);
    g_assert_cmpint(rig_size(&r), ==, 0);
    r.hv.driver = true;
    rig_run(&r, 1000, true);
    g_assert_cmpint(resize_engine_actual(&r.re), ==, 256 * MiB);
    rig_free(&r);
}

/* 4. Hot-add comes in the guest's alignment; the excess is ballooned back. */
static void test_hot_add_rounding(void)
{
    Rig r;

    rig_setup(&r, 4 * GiB, 128 * MiB, false);
    g_assert_true(resize_engine_request(&r.re, BASE + 100 * MiB, "value", 0,
                                        &error_abort));
    rig_run(&r, 1000, true);
    g_assert_cmpint(r.hv.hot_added, ==, 128 * MiB);
    g_assert_cmpint(r.hv.ballooned, ==, 28 * MiB);
    g_assert_cmpint(resize_engine_actual(&r.re), ==, BASE + 100 * MiB);
    rig_free(&r);
}

/* 5. Mixed: ballooned first, then past boot: unballoon, then hot-add. */
static void test_mixed_targets(void)
{
    Rig r;

    rig_setup(&r, 4 * GiB, 128 * MiB, false);
    g_assert_true(resize_engine_request(&r.re, 700 * MiB, "value", 0,
                                        &error_abort));
    rig_run(&r, 1000, true);
    g_assert_cmpint(r.hv.ballooned, ==, 324 * MiB);
    g_assert_true(resize_engine_request(&r.re, BASE + 1 * GiB, "value",
                                        mock_now_ms, &error_abort));
    rig_run(&r, 1000, true);
    g_assert_cmpint(r.hv.ballooned, ==, 0);
    g_assert_cmpint(r.hv.hot_added, ==, 1 * GiB);
    g_assert_cmpint(rig_size(&r), ==, 1 * GiB);
    rig_free(&r);
}

/* 6. Large shrinks go in requests of at most 585728 pages. */
static void test_balloon_chunks(void)
{
    Rig r;

    rig_setup(&r, 8 * GiB, 128 * MiB, false);
    r.hv.guest_can_give = BASE + 8 * GiB;
    g_assert_true(resize_engine_request(&r.re, BASE + 8 * GiB, "value", 0,
                                        &error_abort));
    rig_run(&r, 1000, true);
    r.hv.rounds = 0;
    g_assert_true(resize_engine_request(&r.re, 512 * MiB, "value",
                                        mock_now_ms, &error_abort));
    rig_run(&r, 1000, true);
    g_assert_cmpint(resize_engine_actual(&r.re), ==, 512 * MiB);
    /* 8.5 GiB in chunks of 2.23 GiB: 4 requests */
    g_assert_cmpuint(r.hv.rounds, ==, 4);
    rig_free(&r);
}

/* 7. Limits: the memdev bounds growth; a guest without hot-add, boot. */
static void test_limits(void)
{
    Rig r;
    int64_t min, max;
    Error *err = NULL;

    rig_setup(&r, 2 * GiB, 128 * MiB, false);
    g_assert_true(resize_engine_limits(&r.re, &min, &max));
    g_assert_cmpint(max, ==, BASE + 2 * GiB);
    g_assert_false(resize_engine_request(&r.re, BASE + 2 * GiB + 4 * KiB,
                                         "value", 0, &err));
    error_free_or_abort(&err);
    r.hv.align = 0;                     /* the guest cannot hot-add */
    g_assert_true(resize_engine_limits(&r.re, &min, &max));
    g_assert_cmpint(max, ==, BASE);
    g_assert_cmpint(min, ==, 4 * KiB);
    rig_free(&r);
}

/* 8. Malformed state (a guest claiming too much): clamped, no crash. */
static void test_malformed_state(void)
{
    Rig r;
    BalloonBackendInfo info;

    rig_setup(&r, 1 * GiB, 128 * MiB, false);
    r.hv.malformed = true;
    r.hv.forced = (HvBalloonState) {
        .connected = true, .ballooned = UINT64_MAX,
        .hot_added = UINT64_MAX, .hot_add_max = 1 * GiB,
        .hot_add_align = 128 * MiB,
    };
    balloon_backend_get_info(r.hvb, &info);
    g_assert_cmpint(info.size, >=, info.min_size);
    g_assert_cmpint(info.size, <=, info.max_size);
    g_assert_cmpint(info.max_size, ==, 1 * GiB);
    g_assert_cmpint(resize_engine_actual(&r.re), >, 0);

    r.hv.forced.ballooned = 0;
    r.hv.forced.hot_add_max = UINT64_MAX;
    balloon_backend_get_info(r.hvb, &info);
    g_assert_cmpint(info.max_size, >, 0);
    g_assert_cmpint(info.size, ==, info.max_size);
    rig_free(&r);
}

/* 9. Reboot: back to boot size; the last target applied on reconnect. */
static void test_reboot_reapply(void)
{
    Rig r;

    rig_setup(&r, 4 * GiB, 128 * MiB, false);
    r.hv.hold_ms = 1000;
    g_assert_true(resize_engine_request(&r.re, BASE + 512 * MiB, "value", 0,
                                        &error_abort));
    rig_run(&r, 1000, true);
    hv_model_system_reset(&r.hv);
    g_assert_cmpint(resize_engine_actual(&r.re), ==, BASE);
    g_string_truncate(mock_events, 0);
    g_assert_true(resize_engine_reapply(&r.re, mock_now_ms));
    g_assert_cmpstr(mock_events->str, ==, "state:no-guest-driver ");
    g_assert_cmpint(r.hv.target, ==, BASE + 512 * MiB);
    rig_run(&r, 1000, true);
    g_assert_cmpint(resize_engine_actual(&r.re), ==, BASE + 512 * MiB);
    rig_free(&r);
}

/* 10. A channel reset keeps hot-added memory, drops the balloon. */
static void test_channel_reset(void)
{
    Rig r;

    rig_setup(&r, 4 * GiB, 128 * MiB, false);
    g_assert_true(resize_engine_request(&r.re, BASE + 256 * MiB, "value", 0,
                                        &error_abort));
    rig_run(&r, 1000, true);
    r.hv.ballooned = 64 * MiB;          /* some ballooned meanwhile */
    hv_model_channel_reset(&r.hv);
    g_assert_cmpint(rig_size(&r), ==, 256 * MiB);
    g_assert_true(resize_engine_reapply(&r.re, mock_now_ms));
    rig_run(&r, 1000, true);
    g_assert_cmpint(resize_engine_actual(&r.re), ==, BASE + 256 * MiB);
    rig_free(&r);
}

/* 11. A connected guest that never answers: stalled, still pending. */
static void test_never_answers(void)
{
    Rig r;

    rig_setup(&r, 4 * GiB, 128 * MiB, false);
    r.re.stall_ms = 2000;
    r.hv.stuck = true;
    g_assert_true(resize_engine_request(&r.re, 512 * MiB, "value", 0,
                                        &error_abort));
    rig_run(&r, 100, false);
    g_assert_cmpint(r.re.state, ==, RESIZE_STATE_STALLED);
    r.hv.stuck = false;
    rig_run(&r, 1000, true);
    g_assert_cmpint(resize_engine_actual(&r.re), ==, 512 * MiB);
    rig_free(&r);
}

/*
 * NUMA: a 2-node guest (512 MiB each) whose hv_balloon returned pages of
 * both nodes.  The node of hot-added memory follows the guest: Linux
 * (guest OS ID 0x8100...) puts it on its first node, others on the node
 * the SRAT says (the device's 'node', else the highest).  The backend
 * can grow a node by the pages taken from it, and the hot-add node by
 * what it can still hot-add; growing a node tells the device which
 * pages to give back.
 */
static RangeSet *numa_nodes[2], *numa_removed, *numa_prefer;
static uint64_t numa_os_id;

static void numa_foreach_removed(void *dev, RangeSetFunc fn, void *opaque)
{
    range_set_foreach(numa_removed, 0, RANGE_SET_PAGE_LIMIT, fn, opaque);
}

static void numa_set_prefer(void *dev, RangeSet *prefer)
{
    numa_prefer = prefer;
}

static uint64_t numa_guest_os_id(void *dev)
{
    return numa_os_id;
}

static int numa_nb_nodes(void *dev)
{
    return 2;
}

static RangeSet *numa_node_pages(void *dev, int node)
{
    return node >= 0 && node < 2 ? numa_nodes[node] : NULL;
}

static const HvBalloonBackendOps numa_ops = {
    .get_state = hv_model_get_state,
    .set_target = hv_model_set_target,
    .base_size = hv_model_base_size,
    .foreach_removed = numa_foreach_removed,
    .set_unballoon_preference = numa_set_prefer,
    .guest_os_id = numa_guest_os_id,
    .nb_nodes = numa_nb_nodes,
    .node_pages = numa_node_pages,
};

static void test_numa(void)
{
    static const uint64_t ids[] = { 0x8100000000060c00ULL,   /* Linux */
                                    0x0001040a00004a61ULL }; /* Windows */
    int i;

    for (i = 0; i < 2; i++) {
        HvModel hv;
        BalloonBackend *bb;
        BalloonBackendInfo info;

        hv_model_init(&hv, BASE, 2 * GiB, 128 * MiB);
        hv.driver = true;
        hv.hold_ms = 0;
        hv_model_step(&hv, 0);
        hv_model_step(&hv, 0);
        numa_os_id = ids[i];
        numa_nodes[0] = range_set_new();
        numa_nodes[1] = range_set_new();
        numa_removed = range_set_new();
        range_set_insert(numa_nodes[0], 0, 131072, NULL);       /* 512 MiB */
        range_set_insert(numa_nodes[1], 131072, 131072, NULL);
        range_set_insert(numa_removed, 1000, 100, NULL);        /* node 0 */
        range_set_insert(numa_removed, 200000, 300, NULL);      /* node 1 */
        bb = hv_balloon_backend_new(&numa_ops, &hv, "hvb0");

        balloon_backend_get_info(bb, &info);
        g_assert_cmpint(info.node, ==, i == 0 ? 0 : 1);
        g_assert_cmpint(balloon_backend_node_room(bb, 1), ==,
                        300 * 4 * KiB + (i == 0 ? 0 : 2 * GiB));
        g_assert_cmpint(balloon_backend_node_room(bb, 0), ==,
                        100 * 4 * KiB + (i == 0 ? 2 * GiB : 0));
        g_assert_cmpint(balloon_backend_node_room(bb, 5), ==, 0);

        balloon_backend_set_growth_node(bb, 1);
        g_assert_true(numa_prefer == numa_nodes[1]);
        balloon_backend_set_growth_node(bb, -1);
        g_assert_null(numa_prefer);
        balloon_backend_set_growth_node(bb, 0);
        balloon_backend_release(bb);
        g_assert_null(numa_prefer);             /* cleared on release */
        range_set_free(numa_nodes[0]);
        range_set_free(numa_nodes[1]);
        range_set_free(numa_removed);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hv-balloon/coexistence-choice",
                    test_coexistence_choice);
    g_test_add_func("/hv-balloon/template-windows", test_template_windows);
    g_test_add_func("/hv-balloon/template-before-boot",
                    test_template_before_boot);
    g_test_add_func("/hv-balloon/pending-through-hold",
                    test_pending_through_hold);
    g_test_add_func("/hv-balloon/disconnect-reconnect",
                    test_disconnect_reconnect);
    g_test_add_func("/hv-balloon/hot-add-rounding", test_hot_add_rounding);
    g_test_add_func("/hv-balloon/mixed-targets", test_mixed_targets);
    g_test_add_func("/hv-balloon/balloon-chunks", test_balloon_chunks);
    g_test_add_func("/hv-balloon/limits", test_limits);
    g_test_add_func("/hv-balloon/malformed-state", test_malformed_state);
    g_test_add_func("/hv-balloon/reboot-reapply", test_reboot_reapply);
    g_test_add_func("/hv-balloon/channel-reset", test_channel_reset);
    g_test_add_func("/hv-balloon/never-answers", test_never_answers);
    g_test_add_func("/hv-balloon/numa", test_numa);
    return g_test_run();
}
