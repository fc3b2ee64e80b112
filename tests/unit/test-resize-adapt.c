/*
 * Unit tests of the planner when a backend falls short: virtio-mem that
 * cannot unplug (or plug) more, a balloon whose guest cannot free more,
 * hot-add the guest declines, a driver gone mid-plan.  Each either
 * reaches the target through the other backends, to the page, or ends
 * stalled saying which backend is short, by how much and why.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "mock-backends.h"

#define STALL_MS 3000       /* a backend is short after 1 s */

static ResizeSlot *slot_of(ResizeEngine *re, Mock *m)
{
    ResizeSlot *slot;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        if (slot->bb == &m->bb) {
            return slot;
        }
    }
    g_assert_not_reached();
}

static void setup(ResizeEngine *re)
{
    mock_setup(re);
    re->stall_ms = STALL_MS;
}

static void request(ResizeEngine *re, int64_t target)
{
    g_assert_true(resize_engine_request(re, target, "value", mock_now_ms,
                                        &error_abort));
}

/* Reached, and the guest size is the target. */
static void assert_reached(ResizeEngine *re, int64_t target)
{
    g_assert_false(resize_engine_busy(re));
    g_assert_cmpint(re->state, ==, RESIZE_STATE_IDLE);
    g_assert_cmpint(resize_engine_actual(re), ==, target);
    g_assert_true(g_str_has_suffix(mock_events->str, "stop:reached "));
}

/*
 * The case: 1 GiB boot, 3 GiB reached with virtio-mem; the guest
 * (no online_movable) cannot unplug the last 64 MiB.  512 MiB is reached
 * by inflating the balloon for what virtio-mem could not give, and
 * virtio-mem is no longer asked for the impossible.
 */
static void test_mem_stuck_balloon_takes_over(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };
    ResizeSlot *ms;

    setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 4 * GiB);
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);
    request(&re, 3 * GiB);
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, 3 * GiB);

    m.stuck_lo = 64 * MiB;
    b.set_calls = 0;
    request(&re, 512 * MiB);
    mock_run(&re, all, 2, 20);          /* unplug stops at 64 MiB */
    g_assert_cmpint(m.info.size, ==, 64 * MiB);
    g_assert_cmpint(b.set_calls, ==, 0);
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, 512 * MiB);
    g_assert_cmpint(m.info.size, ==, 64 * MiB);
    g_assert_cmpint(m.target, ==, 64 * MiB);    /* not asked for 0 now */
    g_assert_cmpint(b.info.size, ==, -(512 + 64) * MiB);
    ms = slot_of(&re, &m);
    g_assert_true(ms->is_short);
    g_assert_cmpint(ms->short_by, ==, 64 * MiB);
    g_assert_cmpstr(ms->reason, ==, "the guest did not unplug more (its "
                    "memory is in use or not movable)");
    g_assert_null(strstr(mock_events->str, "stalled"));

    /*
     * Remembered: the next shrink does not wait on virtio-mem again; it
     * goes to the balloon at once.
     */
    g_string_truncate(mock_events, 0);
    request(&re, 256 * MiB);
    g_assert_cmpstr(mock_events->str, ==, "set:balloon0:-832 "
                    "state:resizing ");
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, 256 * MiB);

    /* Later the guest can unplug: after retry_ms virtio-mem is asked. */
    m.stuck_lo = INT64_MIN;
    mock_now_ms += re.retry_ms;
    request(&re, 1 * GiB - 512 * MiB);
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, 512 * MiB);
    g_assert_cmpint(m.info.size, ==, 0);
    g_assert_cmpint(b.info.size, ==, -512 * MiB);
    resize_engine_finalize(&re);
}

/*
 * virtio-mem stops unplugging for a while, as Linux's virtio_mem does
 * after a transient failure (it backs off for 50 s): with the default
 * stall timeout the engine tells it its target again 1 s, 2 s and 4 s
 * after it stopped, and only after 8 s would it take the memory out
 * of the balloon instead.  Here the guest retries when told, and the
 * memory comes off virtio-mem as planned; the balloon is never asked.
 */
static void test_mem_unplug_nudged(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };
    unsigned int sets;
    int ticks = 0;

    mock_setup(&re);        /* the default stall timeout, 30 s */
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 4 * GiB);
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);
    request(&re, 3 * GiB);
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, 3 * GiB);

    m.stuck_lo = 1536 * MiB;                /* backed off half-way */
    b.set_calls = 0;
    sets = m.set_calls;
    request(&re, 2 * GiB);
    g_assert_cmpuint(m.set_calls, ==, sets + 1);
    /* stopped: told again at 1 s, 2 s and 4 s, not short before 8 s */
    while (m.set_calls < sets + 4) {
        mock_run(&re, all, 2, 1);
        g_assert_cmpint(++ticks, <, 8000 / TICK_MS);
    }
    g_assert_cmpint(ticks * TICK_MS, >=, 4000);
    g_assert_false(slot_of(&re, &m)->is_short);
    g_assert_cmpint(b.set_calls, ==, 0);
    g_assert_nonnull(strstr(mock_events->str, "set:vmem0:1024 "));

    /* the guest retried when told: the plan goes through as it was */
    m.stuck_lo = INT64_MIN;
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, 2 * GiB);
    g_assert_cmpint(m.info.size, ==, 1 * GiB);
    g_assert_cmpint(b.info.size, ==, 0);
    g_assert_cmpint(b.set_calls, ==, 0);
    resize_engine_finalize(&re);
}

/*
 * Growing: node 0's virtio-mem does not plug more than 256 MiB (the
 * guest ran out of memory for its memmap, say); node 1's takes the rest,
 * under the policy.
 */
static void test_mem_stuck_other_node_takes_over(void)
{
    static const int64_t boot[2] = { 512 * MiB, 512 * MiB };
    ResizeEngine re;
    Mock b, m0, m1;
    Mock *all[] = { &b, &m0, &m1 };

    setup(&re);
    resize_engine_set_nodes(&re, 2, boot);
    re.policy = RESIZE_POLICY_FILL;
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m0, "vmem0", 1 * GiB);
    mock_virtio_mem(&m1, "vmem1", 1 * GiB);
    m1.info.node = 1;
    m0.info.node = 0;
    m0.stuck_hi = 256 * MiB;
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m0.bb);
    resize_engine_add(&re, &m1.bb);
    request(&re, BASE + 768 * MiB);
    mock_run(&re, all, 3, 1000);
    assert_reached(&re, BASE + 768 * MiB);
    g_assert_cmpint(m0.info.size, ==, 256 * MiB);
    g_assert_cmpint(m1.info.size, ==, 512 * MiB);
    g_assert_cmpstr(slot_of(&re, &m0)->reason, ==,
                    "the guest did not plug more");
    resize_engine_finalize(&re);
}

/*
 * The balloon's guest cannot free more than 200 MiB: with virtio-mem
 * already unplugged, nobody can take the rest.  Stalled after the stall
 * timeout, saying who is short by how much and why; still pending, and
 * reached once the guest frees memory (a retry asks again).
 */
static void test_balloon_stuck_stalled(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };
    g_autofree char *why = NULL;

    setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 1 * GiB);
    m.info.size = m.target = 512 * MiB;
    b.stuck_lo = -200 * MiB;
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);
    request(&re, 512 * MiB);
    mock_run(&re, all, 2, 2 * STALL_MS / TICK_MS);
    g_assert_true(resize_engine_busy(&re));
    g_assert_cmpint(re.state, ==, RESIZE_STATE_STALLED);
    g_assert_cmpint(m.info.size, ==, 0);
    g_assert_cmpint(b.info.size, ==, -200 * MiB);
    g_assert_true(g_str_has_suffix(mock_events->str,
                                   "state:stalled stop:stalled "));
    why = resize_engine_shortfall_str(&re);
    g_assert_cmpstr(why, ==, "balloon0 is 327155712 bytes short: the guest "
                    "cannot free more memory");
    g_assert_cmpstr(re.error, ==, why);

    b.stuck_lo = INT64_MIN;
    mock_run(&re, all, 2, (re.retry_ms + 10 * 1000) / TICK_MS);
    assert_reached(&re, 512 * MiB);
    resize_engine_finalize(&re);
}

/*
 * hv-balloon's guest declines hot-add: its range drops to what it
 * already hot-added, with the reason.  A virtio-mem device takes what it
 * can; the rest is reported, and a new request beyond it is refused with
 * the reason.  (Hot-add runs with the balloons' deflate, before
 * virtio-mem.)
 */
static void test_hot_add_declined(void)
{
    static const char *no_hot_add = "the guest reports no hot-add support; "
                                    "Linux and Windows need ACPI S4 disabled";
    ResizeEngine re;
    Mock hv, m;
    Mock *all[] = { &hv, &m };
    Error *err = NULL;

    setup(&re);
    mock_hv_balloon(&hv, "hvb0", 4 * GiB);
    mock_virtio_mem(&m, "vmem0", 1 * GiB);
    resize_engine_add(&re, &hv.bb);
    resize_engine_add(&re, &m.bb);
    request(&re, BASE + 3 * GiB);
    /* The guest answers the first hot-add: no. */
    hv.stuck_hi = 0;
    hv.info.max_size = 0;
    hv.info.limit_reason = no_hot_add;
    mock_run(&re, all, 2, 2 * STALL_MS / TICK_MS);
    g_assert_cmpint(m.info.size, ==, 1 * GiB);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_STALLED);
    g_assert_cmpint(resize_engine_actual(&re), ==, BASE + 1 * GiB);
    g_assert_nonnull(strstr(re.error, no_hot_add));
    g_assert_cmpint(slot_of(&re, &hv)->short_by, ==, 2 * GiB);

    /* Beyond what they reach now: refused, and the user is told why. */
    g_assert_false(resize_engine_request(&re, BASE + 2 * GiB, "value",
                                         mock_now_ms, &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "Parameter 'value' expects a "
                    "guest size from 4096 to 2147483648 bytes (hvb0: the "
                    "guest reports no hot-add support; Linux and Windows "
                    "need ACPI S4 disabled)");
    error_free(err);
    /* Within them: fine. */
    request(&re, BASE + 512 * MiB);
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, BASE + 512 * MiB);
    resize_engine_finalize(&re);
}

/*
 * The balloon's driver goes away mid-inflate: with another balloon
 * whose driver is up, the rest goes to it; without, the request waits
 * for the driver and completes when it is back.
 */
static void test_driver_gone(void)
{
    ResizeEngine re;
    Mock vb, hv;
    Mock *all[] = { &vb, &hv };

    setup(&re);
    mock_virtio_balloon(&vb, "balloon0");
    mock_hv_balloon(&hv, "hvb0", 0);        /* ballooning only */
    vb.rate = hv.rate = 64 * MiB;
    resize_engine_add(&re, &vb.bb);
    resize_engine_add(&re, &hv.bb);
    request(&re, 512 * MiB);
    mock_run(&re, all, 2, 3);
    g_assert_true(resize_engine_active_balloon(&re) == &vb.bb);
    g_assert_cmpint(vb.info.size, ==, -192 * MiB);
    /* Linux's driver unloads: its pages come back to the guest. */
    vb.info.driver_connected = false;
    vb.info.size = 0;
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, 512 * MiB);
    g_assert_cmpint(hv.info.size, ==, -512 * MiB);

    /* Alone: it waits for the driver, and is not stalled meanwhile. */
    resize_engine_remove(&re, &vb.bb);
    request(&re, 256 * MiB);
    mock_run(&re, &all[1], 1, 2);
    hv.info.driver_connected = false;
    mock_run(&re, &all[1], 1, 4 * STALL_MS / TICK_MS);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_NO_GUEST_DRIVER);
    g_assert_null(strstr(mock_events->str, "stalled"));
    hv.info.driver_connected = true;
    mock_run(&re, &all[1], 1, 1000);
    assert_reached(&re, 256 * MiB);
    resize_engine_finalize(&re);
}

/*
 * The mixed template: both drivers up, virtio-balloon holds 1 GiB from a
 * request made during hv-balloon's hold; hv-balloon can hot-add 4 GiB.
 * 4 GiB is reached exactly: virtio-balloon gives back its 1 GiB and
 * hv-balloon hot-adds 2 GiB; reached is never said with the guest short.
 */
static void test_idle_balloon_gives_back(void)
{
    static const int64_t boot2 = 2 * GiB;
    ResizeEngine re;
    Mock vb, hv;
    Mock *all[] = { &vb, &hv };

    setup(&re);
    re.base = boot2;
    mock_virtio_balloon(&vb, "balloon0");
    mock_hv_balloon(&hv, "hvb0", 4 * GiB);
    vb.info.min_size = hv.info.min_size = -(boot2 - 4 * KiB);
    vb.info.size = vb.target = -1 * GiB;
    resize_engine_add(&re, &vb.bb);
    resize_engine_add(&re, &hv.bb);
    request(&re, 4 * GiB);
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, 4 * GiB);
    g_assert_cmpint(vb.info.size, ==, 0);
    g_assert_cmpint(hv.info.size, ==, 2 * GiB);
    resize_engine_finalize(&re);
}

/*
 * Beyond what the drivers up now can do, within what a pending one can:
 * accepted and held.  virtio-balloon is up, hv-balloon in its hold.
 */
static void test_held_until_driver(void)
{
    ResizeEngine re;
    Mock vb, hv;
    Mock *all[] = { &vb, &hv };

    setup(&re);
    mock_virtio_balloon(&vb, "balloon0");
    mock_hv_balloon(&hv, "hvb0", 4 * GiB);
    hv.info.driver_connected = false;
    hv.info.driver_pending = true;
    resize_engine_add(&re, &vb.bb);
    resize_engine_add(&re, &hv.bb);
    request(&re, BASE + 2 * GiB);
    mock_run(&re, all, 2, 4 * STALL_MS / TICK_MS);
    g_assert_cmpint(re.state, ==, RESIZE_STATE_NO_GUEST_DRIVER);
    g_assert_cmpint(vb.set_calls, ==, 0);
    hv.info.driver_pending = false;
    hv.info.driver_connected = true;
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, BASE + 2 * GiB);
    g_assert_cmpint(hv.info.size, ==, 2 * GiB);
    resize_engine_finalize(&re);
}

/*
 * A per-node shrink whose virtio-mem cannot unplug: strict, it stays in
 * the node and ends stalled (the balloon cannot tell nodes apart);
 * not strict, the balloon takes it, keeping the total.
 */
static void test_node_shrink_stuck(void)
{
    static const int64_t boot[2] = { 512 * MiB, 512 * MiB };
    static const int64_t none[2] = { 0, 0 };
    int64_t targets[2] = { 512 * MiB, -1 };
    ResizeEngine re;
    Mock b, m0, m1;
    Mock *all[] = { &b, &m0, &m1 };
    int strict;

    for (strict = 1; strict >= 0; strict--) {
        setup(&re);
        resize_engine_set_nodes(&re, 2, boot);
        mock_virtio_balloon(&b, "balloon0");
        mock_virtio_mem(&m0, "vmem0", 1 * GiB);
        mock_virtio_mem(&m1, "vmem1", 1 * GiB);
        m0.info.node = 0;
        m1.info.node = 1;
        m0.info.size = m0.target = 512 * MiB;
        m1.info.size = m1.target = 512 * MiB;
        m0.stuck_lo = 128 * MiB;
        resize_engine_add(&re, &b.bb);
        resize_engine_add(&re, &m0.bb);
        resize_engine_add(&re, &m1.bb);
        g_assert_true(resize_engine_request_nodes(&re, targets, none, strict,
                                                  "nodes", 0, &error_abort));
        mock_run(&re, all, 3, 3 * STALL_MS / TICK_MS);
        g_assert_cmpint(m0.info.size, ==, 128 * MiB);
        g_assert_cmpint(m1.info.size, ==, 512 * MiB);
        if (strict) {
            g_assert_cmpint(re.state, ==, RESIZE_STATE_STALLED);
            g_assert_cmpint(b.info.size, ==, 0);
            g_assert_nonnull(strstr(re.error, "vmem0 is 134217728 bytes "
                                    "short"));
        } else {
            assert_reached(&re, BASE + 512 * MiB);
            g_assert_cmpint(b.info.size, ==, -128 * MiB);
        }
        resize_engine_finalize(&re);
    }
}

/*
 * The phases all reached their plan, but the guest size is not the
 * target (an idle balloon moved behind the plan's back): not reached;
 * the engine plans the difference.
 */
static void test_total_checked(void)
{
    ResizeEngine re;
    Mock b, m;
    Mock *all[] = { &b, &m };

    setup(&re);
    mock_virtio_balloon(&b, "balloon0");
    mock_virtio_mem(&m, "vmem0", 1 * GiB);
    m.rate = 64 * MiB;
    resize_engine_add(&re, &b.bb);
    resize_engine_add(&re, &m.bb);
    request(&re, BASE + 512 * MiB);
    mock_run(&re, all, 2, 2);
    g_assert_true(resize_engine_busy(&re));
    /* The guest's balloon driver took 64 MiB for itself (say, a reset). */
    b.info.size = b.target = -64 * MiB;
    mock_run(&re, all, 2, 1000);
    assert_reached(&re, BASE + 512 * MiB);
    g_assert_null(strstr(mock_events->str, "stop:stalled"));
    resize_engine_finalize(&re);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/resize-adapt/mem-unplug-nudged",
                    test_mem_unplug_nudged);
    g_test_add_func("/resize-adapt/mem-stuck-balloon-takes-over",
                    test_mem_stuck_balloon_takes_over);
    g_test_add_func("/resize-adapt/mem-stuck-other-node-takes-over",
                    test_mem_stuck_other_node_takes_over);
    g_test_add_func("/resize-adapt/balloon-stuck-stalled",
                    test_balloon_stuck_stalled);
    g_test_add_func("/resize-adapt/hot-add-declined", test_hot_add_declined);
    g_test_add_func("/resize-adapt/driver-gone", test_driver_gone);
    g_test_add_func("/resize-adapt/idle-balloon-gives-back",
                    test_idle_balloon_gives_back);
    g_test_add_func("/resize-adapt/held-until-driver",
                    test_held_until_driver);
    g_test_add_func("/resize-adapt/node-shrink-stuck", test_node_shrink_stuck);
    g_test_add_func("/resize-adapt/total-checked", test_total_checked);
    return g_test_run();
}
