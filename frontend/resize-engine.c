/*
 * Unified balloon frontend: backend registry, planner and resize driver
 *
 * A request is a target guest size.  The planner gives each backend a
 * contribution (its share), the driver runs the plan in phases (balloons
 * give back, virtio-mem moves, balloons take) and watches each backend:
 * one that stops short of its share (no progress for 1 s or a third of
 * the stall timeout, its driver gone, or its range no longer reaching
 * the share) is marked short, and the rest is planned again over the
 * others; a short backend is then asked only for what the others cannot
 * do, and tried again after retry_ms.  The request is reached when the
 * guest size equals the target, and stalled only when nothing moved for
 * the stall timeout.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "resize-engine-priv.h"
#include "trace.h"

/* Targets are reached to the page: the balloon's unit. */
#define RESIZE_ENGINE_PAGE (4 * KiB)

/* Default: no progress for this long means the guest is stuck. */
#define RESIZE_ENGINE_DEFAULT_STALL_MS (30 * 1000)

/*
 * A backend that made no progress for this long (or a third of the stall
 * timeout, if shorter) while others could go on is short.
 */
#define RESIZE_ENGINE_SHORT_MS 1000

/*
 * A backend that makes no progress is told its target again after
 * RESIZE_ENGINE_NUDGE_MS, then after twice that, and so on: a guest
 * driver that backed off retries at once (Linux's virtio_mem waits 50 s
 * after memory it could not unplug, unless the device's configuration
 * changes, which telling virtio-mem its size again does).
 */
#define RESIZE_ENGINE_NUDGE_MS 1000

/*
 * A virtio-mem device unplugging memory moves the guest's pages out of
 * it first, which takes a while on a busy or slow guest, and a transient
 * failure makes the driver back off: it is counted short only after
 * this long without progress (a third of the stall timeout if shorter),
 * not RESIZE_ENGINE_SHORT_MS, so that the memory comes off the node the
 * plan chose rather than out of the balloon.
 */
#define RESIZE_ENGINE_UNPLUG_SHORT_MS 8000

/* Default: a backend that fell short is asked again after this long. */
#define RESIZE_ENGINE_DEFAULT_RETRY_MS (60 * 1000)

/* Plans in a row that end short of the target before it is stalled. */
#define RESIZE_ENGINE_MAX_IDLE_REPLANS 2

static bool resize_engine_is_balloon(ResizeSlot *slot)
{
    return balloon_backend_is_balloon(slot->bb);
}

static void resize_engine_info(ResizeSlot *slot, BalloonBackendInfo *info)
{
    balloon_backend_get_info(slot->bb, info);
}

void resize_engine_init(ResizeEngine *re, const ResizeEngineOps *ops,
                        void *opaque, int64_t base)
{
    memset(re, 0, sizeof(*re));
    QTAILQ_INIT(&re->backends);
    re->ops = ops;
    re->opaque = opaque;
    re->base = base;
    re->stall_ms = RESIZE_ENGINE_DEFAULT_STALL_MS;
    re->retry_ms = RESIZE_ENGINE_DEFAULT_RETRY_MS;
    re->state = RESIZE_STATE_IDLE;
    re->phase = RESIZE_PHASE_DONE;
    re->policy = RESIZE_POLICY_PROPORTIONAL;
    re->prefer_node = -1;
    re->nb_nodes = 1;
    re->node_boot[0] = base;
}

void resize_engine_set_nodes(ResizeEngine *re, int nb_nodes,
                             const int64_t *boot)
{
    g_assert(nb_nodes >= 1 && nb_nodes <= RESIZE_ENGINE_MAX_NODES);
    re->nb_nodes = nb_nodes;
    memcpy(re->node_boot, boot, sizeof(*boot) * nb_nodes);
}

void resize_engine_finalize(ResizeEngine *re)
{
    ResizeSlot *slot, *tmp;

    QTAILQ_FOREACH_SAFE(slot, &re->backends, next, tmp) {
        QTAILQ_REMOVE(&re->backends, slot, next);
        g_free(slot);
    }
    g_clear_pointer(&re->error, g_free);
}

ResizeEngine *resize_engine_new(const ResizeEngineOps *ops, void *opaque,
                                int64_t base)
{
    ResizeEngine *re = g_new(ResizeEngine, 1);

    resize_engine_init(re, ops, opaque, base);
    return re;
}

void resize_engine_free(ResizeEngine *re)
{
    if (re) {
        resize_engine_finalize(re);
        g_free(re);
    }
}

int resize_engine_nb_nodes(ResizeEngine *re)
{
    return re->nb_nodes;
}

int64_t resize_engine_node_boot(ResizeEngine *re, int node)
{
    g_assert(node >= 0 && node < re->nb_nodes);
    return re->node_boot[node];
}

void resize_engine_set_base(ResizeEngine *re, int64_t base)
{
    re->base = base;
}

int64_t resize_engine_base(ResizeEngine *re)
{
    return re->base;
}

void resize_engine_configure(ResizeEngine *re, const ResizeEngineConfig *cfg)
{
    re->floor = cfg->floor;
    re->stall_ms = cfg->stall_ms;
    re->policy = cfg->policy;
    re->prefer_node = cfg->prefer_node;
}

int64_t resize_engine_floor(ResizeEngine *re)
{
    return re->floor;
}

ResizeSlot *resize_engine_first(ResizeEngine *re)
{
    return QTAILQ_FIRST(&re->backends);
}

ResizeSlot *resize_engine_next(ResizeSlot *slot)
{
    return QTAILQ_NEXT(slot, next);
}

BalloonBackend *resize_engine_slot_backend(ResizeSlot *slot)
{
    return slot->bb;
}

bool resize_engine_slot_short(ResizeEngine *re, ResizeSlot *slot,
                              int64_t *by, const char **reason)
{
    if (!re->in_flight || !slot->is_short) {
        return false;
    }
    *by = slot->short_by;
    *reason = slot->reason;
    return true;
}

bool resize_engine_target(ResizeEngine *re, int64_t *target)
{
    *target = re->has_target ? re->target : resize_engine_actual(re);
    return re->has_target;
}

ResizeState resize_engine_state(ResizeEngine *re)
{
    return re->state;
}

const char *resize_engine_error(ResizeEngine *re)
{
    return re->error;
}

static ResizeSlot *resize_engine_slot(ResizeEngine *re, BalloonBackend *bb)
{
    ResizeSlot *slot;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        if (slot->bb == bb) {
            return slot;
        }
    }
    return NULL;
}

void resize_engine_add(ResizeEngine *re, BalloonBackend *bb)
{
    ResizeSlot *slot = g_new0(ResizeSlot, 1), *first_plug;

    g_assert(bb->klass && bb->id && !resize_engine_slot(re, bb));
    slot->bb = bb;
    slot->asked = -1;
    if (balloon_backend_is_balloon(bb)) {
        QTAILQ_FOREACH(first_plug, &re->backends, next) {
            if (!resize_engine_is_balloon(first_plug)) {
                QTAILQ_INSERT_BEFORE(first_plug, slot, next);
                return;
            }
        }
    }
    QTAILQ_INSERT_TAIL(&re->backends, slot, next);
}

bool resize_engine_remove(ResizeEngine *re, BalloonBackend *bb)
{
    ResizeSlot *slot = resize_engine_slot(re, bb);

    if (!slot) {
        return false;
    }
    if (re->balloon == slot) {
        re->balloon = NULL;
    }
    QTAILQ_REMOVE(&re->backends, slot, next);
    g_free(slot);
    return true;
}

bool resize_engine_has(ResizeEngine *re, BalloonBackend *bb)
{
    return resize_engine_slot(re, bb) != NULL;
}

unsigned int resize_engine_count(ResizeEngine *re)
{
    ResizeSlot *slot;
    unsigned int n = 0;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        n++;
    }
    return n;
}

int64_t resize_engine_actual(ResizeEngine *re)
{
    ResizeSlot *slot;
    int64_t actual = re->base;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;

        resize_engine_info(slot, &info);
        actual += info.size;
    }
    return actual;
}

/* The most the virtio-mem devices can plug in all. */
static int64_t resize_engine_plug_capacity(ResizeEngine *re)
{
    ResizeSlot *slot;
    int64_t cap = 0;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;

        if (!resize_engine_is_balloon(slot)) {
            resize_engine_info(slot, &info);
            cap += info.max_size;
        }
    }
    return cap;
}

/*
 * The balloon a plan for @want bytes over base is built on (see
 * resize_engine_active_balloon()).
 */
static ResizeSlot *resize_engine_pick_balloon(ResizeEngine *re, int64_t want)
{
    ResizeSlot *slot, *first = NULL, *connected = NULL, *pending = NULL;
    ResizeSlot *can_add = NULL;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;

        if (!resize_engine_is_balloon(slot)) {
            continue;
        }
        resize_engine_info(slot, &info);
        if (info.driver_connected && info.max_size > 0) {
            /* One that can also hot-add wins when both drivers are there. */
            return slot;
        }
        if (info.driver_connected && !connected) {
            connected = slot;
        }
        if (info.driver_pending && !pending) {
            pending = slot;
        }
        if (!info.driver_connected && info.max_size > 0 && !can_add) {
            can_add = slot;
        }
        if (!first) {
            first = slot;
        }
    }
    /* Only hot-add reaches it: the balloon that can, once its driver is up */
    if (can_add && want > resize_engine_plug_capacity(re)) {
        return can_add;
    }
    return connected ? connected : pending ? pending : first;
}

BalloonBackend *resize_engine_active_balloon(ResizeEngine *re)
{
    ResizeSlot *slot = resize_engine_pick_balloon(
        re, re->has_target ? re->target - re->base : 0);

    return slot ? slot->bb : NULL;
}

/* Why the range is narrower than the devices offer, or NULL (for errors). */
static char *resize_engine_limit_reasons(ResizeEngine *re)
{
    g_autoptr(GString) s = g_string_new(NULL);
    ResizeSlot *slot;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;

        resize_engine_info(slot, &info);
        if (info.limit_reason) {
            g_string_append_printf(s, "%s%s: %s", s->len ? "; " : "",
                                   slot->bb->id, info.limit_reason);
        }
    }
    return s->len ? g_string_free(g_steal_pointer(&s), FALSE) : NULL;
}

/* The node a backend's memory counts to (node 0 without NUMA). */
static int resize_engine_node_of(ResizeEngine *re,
                                 const BalloonBackendInfo *info)
{
    return info->node >= 0 && info->node < re->nb_nodes ? info->node : 0;
}

/*
 * A virtio-mem device whose guest driver is not there (not loaded yet,
 * gone, or never coming: a Windows guest without viomem, a Linux guest
 * whose virtio_mem lost the online-page callback to hv_balloon) moves
 * nothing until it comes: the plan gives it only what the others cannot
 * take, and such a request waits for the driver.
 */
static bool resize_engine_waits_driver(ResizeSlot *slot,
                                       const BalloonBackendInfo *info)
{
    return !resize_engine_is_balloon(slot) && !info->driver_connected;
}

/*
 * The contributions @slot may be planned for: its range, and, with
 * @soft, not past where it stopped short, nor away from where it is
 * while it waits for its driver.
 */
static void resize_engine_bounds(ResizeSlot *slot,
                                 const BalloonBackendInfo *info, bool soft,
                                 int64_t *lo, int64_t *hi)
{
    *lo = info->min_size;
    *hi = info->max_size;
    if (soft && resize_engine_waits_driver(slot, info)) {
        *lo = *hi = MIN(MAX(info->size, *lo), *hi);
    } else if (soft && slot->is_short) {
        if (slot->short_down) {
            *lo = MIN(MAX(*lo, slot->short_at), *hi);
        } else {
            *hi = MAX(MIN(*hi, slot->short_at), *lo);
        }
    }
}

/* What each node's virtio-mem devices can take. */
typedef struct ResizeNodePlan {
    int64_t cap;            /* sum of the devices' maximum (soft) */
    int64_t floor;          /* sum of the devices' minimum (soft) */
    int64_t plugged;        /* sum of the devices' size now */
    uint64_t gran;          /* largest device block size */
    int64_t amount;         /* planned plugged bytes */
    bool keep;              /* the node's devices stay as they are */
} ResizeNodePlan;

/* Per node: what the devices can take; with @soft, as they could go. */
static void resize_engine_node_caps(ResizeEngine *re, ResizeNodePlan *np,
                                    bool soft)
{
    ResizeSlot *slot;

    memset(np, 0, sizeof(*np) * re->nb_nodes);
    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;
        int64_t lo, hi;
        int n;

        if (resize_engine_is_balloon(slot)) {
            continue;
        }
        resize_engine_info(slot, &info);
        resize_engine_bounds(slot, &info, soft, &lo, &hi);
        n = resize_engine_node_of(re, &info);
        np[n].cap += hi;
        np[n].floor += lo;
        np[n].plugged += info.size;
        np[n].gran = MAX(np[n].gran, info.granularity);
    }
}

/*
 * Lower each node's virtio-mem capacity so that boot + plugged stays
 * within @node_ceiling (0: no limit), in whole blocks, never below what
 * its devices cannot unplug.
 */
static void resize_engine_cap_nodes(ResizeEngine *re, ResizeNodePlan *np,
                                    int64_t node_ceiling)
{
    int n;

    if (!node_ceiling) {
        return;
    }
    for (n = 0; n < re->nb_nodes; n++) {
        int64_t room = MAX(node_ceiling - re->node_boot[n], 0);

        if (np[n].gran) {
            room = QEMU_ALIGN_DOWN(room, (int64_t)np[n].gran);
        }
        np[n].cap = MAX(MIN(np[n].cap, room), np[n].floor);
    }
}

/*
 * The most a balloon (@info, its range up to @hi) may contribute when
 * its hot-add must keep its node within @node_ceiling, the node's
 * virtio-mem planned as @np[].cap: what it adds counts to its node.
 */
static int64_t resize_engine_cap_balloon(ResizeEngine *re,
                                         const ResizeNodePlan *np,
                                         const BalloonBackendInfo *info,
                                         int64_t node_ceiling, int64_t hi)
{
    int n = resize_engine_node_of(re, info);

    if (!node_ceiling || hi <= 0) {
        return hi;
    }
    return MIN(hi, MAX(node_ceiling - re->node_boot[n] - np[n].cap, 0));
}

bool resize_engine_limits(ResizeEngine *re, int64_t *min, int64_t *max)
{
    return resize_engine_limits_within(re, 0, min, max);
}

bool resize_engine_limits_within(ResizeEngine *re, int64_t node_ceiling,
                                 int64_t *min, int64_t *max)
{
    g_autofree ResizeNodePlan *np = NULL;
    ResizeSlot *slot;
    int64_t lo = re->base, hi = re->base, balloon_lo = 0, balloon_hi = 0;
    int n;

    if (QTAILQ_EMPTY(&re->backends)) {
        /* nothing can resize: the boot size is all a target can be */
        *min = *max = re->base;
        return false;
    }
    if (node_ceiling) {
        /* each node's virtio-mem up to the ceiling (the balloon's below) */
        np = g_new0(ResizeNodePlan, re->nb_nodes);
        resize_engine_node_caps(re, np, false);
        resize_engine_cap_nodes(re, np, node_ceiling);
        for (n = 0; n < re->nb_nodes; n++) {
            hi += np[n].cap;
        }
    }
    /*
     * Every virtio-mem device, and one balloon (the one that reaches
     * furthest, within the ceiling), whether or not its driver is up
     * yet: a request beyond what the drivers connected now can do waits
     * for the others.
     */
    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;

        resize_engine_info(slot, &info);
        if (resize_engine_is_balloon(slot)) {
            balloon_lo = MIN(balloon_lo, info.min_size);
            balloon_hi = MAX(balloon_hi, resize_engine_cap_balloon(
                                 re, np, &info, node_ceiling, info.max_size));
        } else {
            lo += info.min_size;
            hi += node_ceiling ? 0 : info.max_size;
        }
    }
    *min = MAX(MAX(lo + balloon_lo, re->floor), RESIZE_ENGINE_PAGE);
    *max = hi + balloon_hi;
    return true;
}

int64_t resize_engine_node_ceiling_min(ResizeEngine *re)
{
    int64_t most = 0;
    int n;

    for (n = 0; n < re->nb_nodes; n++) {
        most = MAX(most, re->node_boot[n]);
    }
    return most;
}

/* The order nodes are filled in: the preferred one first, then by id. */
static int resize_engine_node_order(ResizeEngine *re, int i)
{
    int prefer = re->policy == RESIZE_POLICY_PREFER ? re->prefer_node : -1;

    if (prefer < 0 || prefer >= re->nb_nodes) {
        return i;
    }
    return i == 0 ? prefer : (i <= prefer ? i - 1 : i);
}

static void resize_engine_distribute(ResizeEngine *re, ResizeNodePlan *np,
                                     int64_t total, bool may_exceed)
{
    g_autofree bool *full = g_new0(bool, re->nb_nodes);
    int64_t cap = 0, left, share;
    int i, n;

    for (n = 0; n < re->nb_nodes; n++) {
        cap += np[n].cap;
        full[n] = np[n].cap == 0;
    }
    left = MIN(total, cap);

    if (re->policy == RESIZE_POLICY_PROPORTIONAL) {
        while (left > 0) {
            double weight = 0;
            bool saturated = false;

            for (n = 0; n < re->nb_nodes; n++) {
                weight += full[n] ? 0 : MAX(re->node_boot[n], 1);
            }
            for (n = 0; n < re->nb_nodes; n++) {
                if (full[n]) {
                    continue;
                }
                share = left * (MAX(re->node_boot[n], 1) / weight);
                if (np[n].amount + share >= np[n].cap) {
                    left -= np[n].cap - np[n].amount;
                    np[n].amount = np[n].cap;
                    full[n] = true;
                    saturated = true;
                }
            }
            if (saturated) {
                continue;
            }
            for (n = 0; n < re->nb_nodes; n++) {
                if (!full[n]) {
                    share = left * (MAX(re->node_boot[n], 1) / weight);
                    np[n].amount += share;
                }
            }
            break;
        }
    } else {
        for (i = 0; i < re->nb_nodes && left > 0; i++) {
            n = resize_engine_node_order(re, i);
            share = MIN(left, np[n].cap);
            np[n].amount = share;
            left -= share;
        }
    }

    /* Whole blocks, and what rounding left over, node by node in order. */
    left = MIN(total, cap);
    for (n = 0; n < re->nb_nodes; n++) {
        if (np[n].gran) {
            np[n].amount = QEMU_ALIGN_DOWN(np[n].amount, np[n].gran);
        }
        left -= np[n].amount;
    }
    for (i = 0; i < re->nb_nodes && left > 0; i++) {
        n = resize_engine_node_order(re, i);
        if (!np[n].gran || np[n].amount >= np[n].cap) {
            continue;
        }
        share = may_exceed ? ROUND_UP(left, np[n].gran)
                           : QEMU_ALIGN_DOWN(left, np[n].gran);
        share = MIN(share, np[n].cap - np[n].amount);
        np[n].amount += share;
        left -= share;
    }
}

/* Put @slot in the plan: from @size now to @planned. */
static void resize_engine_plan_slot(ResizeSlot *slot, int64_t size,
                                    int64_t planned, int64_t now_ms)
{
    slot->in_plan = true;
    slot->start = size;
    slot->planned = planned;
    slot->best_dist = ABS(planned - size);
    slot->progress_ms = now_ms;
    slot->nudges = 0;
    trace_resize_engine_plan_backend(slot->bb->id, size, planned);
}

/* Take every backend out of the plan. */
static void resize_engine_unplan(ResizeEngine *re)
{
    ResizeSlot *slot;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        slot->in_plan = false;
    }
}

/*
 * Plan the virtio-mem devices: node @n's devices, in registration order,
 * share np[n].amount (the devices of a node with @keep stay as they
 * are): each first gets its minimum, then up to its maximum, within
 * where it could go if it fell short.  np[n].amount is left with what
 * they could not take.  Returns the bytes planned in all.
 */
static int64_t resize_engine_plan_mem(ResizeEngine *re, ResizeNodePlan *np,
                                      int64_t now_ms)
{
    ResizeSlot *slot;
    int64_t plugged = 0;
    int pass;

    /* Pass 0: each device its share within where it could go (soft). */
    for (pass = 0; pass < 2; pass++) {
        QTAILQ_FOREACH(slot, &re->backends, next) {
            BalloonBackendInfo info;
            int64_t lo, hi, planned;
            int n;

            if (resize_engine_is_balloon(slot)) {
                continue;
            }
            resize_engine_info(slot, &info);
            n = resize_engine_node_of(re, &info);
            if (pass == 0) {
                resize_engine_bounds(slot, &info, true, &lo, &hi);
                if (np[n].keep) {
                    planned = info.size;
                } else {
                    planned = lo;
                    np[n].amount -= lo;
                }
                resize_engine_plan_slot(slot, info.size, planned, now_ms);
                continue;
            }
            /* Pass 1: what is left of the node's amount, in order. */
            if (np[n].keep || np[n].amount <= 0) {
                continue;
            }
            resize_engine_bounds(slot, &info, true, &lo, &hi);
            planned = MIN(slot->planned + np[n].amount, hi);
            np[n].amount -= planned - slot->planned;
            slot->planned = planned;
            trace_resize_engine_plan_backend(slot->bb->id, info.size,
                                             planned);
        }
    }
    QTAILQ_FOREACH(slot, &re->backends, next) {
        if (slot->in_plan && !resize_engine_is_balloon(slot)) {
            plugged += slot->planned;
        }
    }
    return plugged;
}

/*
 * Give @residual bytes (what the plan cannot place) to the short
 * backends, within their real range: they are asked only for what
 * nobody else can do.  With @node >= 0 only that node's virtio-mem
 * devices.  Returns what is still left.
 */
static int64_t resize_engine_plan_residual(ResizeEngine *re, int64_t residual,
                                           int node)
{
    ResizeSlot *slot;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;
        int64_t lo, hi, give;

        if (!residual) {
            break;
        }
        if (!slot->in_plan) {
            continue;
        }
        resize_engine_info(slot, &info);
        if (!slot->is_short && !resize_engine_waits_driver(slot, &info)) {
            continue;
        }
        if (node >= 0 && (resize_engine_is_balloon(slot) ||
                          resize_engine_node_of(re, &info) != node)) {
            continue;
        }
        resize_engine_bounds(slot, &info, false, &lo, &hi);
        give = residual > 0 ? MIN(residual, hi - slot->planned)
                            : MAX(residual, lo - slot->planned);
        give = QEMU_ALIGN_DOWN(ABS(give), (int64_t)info.granularity) *
               (give < 0 ? -1 : 1);
        slot->planned += give;
        residual -= give;
        trace_resize_engine_plan_backend(slot->bb->id, info.size,
                                         slot->planned);
    }
    return residual;
}

/*
 * The balloons the plan is not built on give back what they hold (a
 * strict per-node plan leaves them where they are); each balloon is told
 * where it may grow.  Returns the contributions they keep.
 */
static int64_t resize_engine_plan_other_balloons(ResizeEngine *re,
                                                 ResizeSlot *balloon,
                                                 bool strict,
                                                 int64_t now_ms)
{
    ResizeSlot *slot;
    int64_t others = 0;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;
        int64_t lo, hi;

        if (!resize_engine_is_balloon(slot)) {
            continue;
        }
        /* Where a balloon grows: one node of a per-node request, or any. */
        balloon_backend_set_growth_node(slot->bb,
                                        re->by_node && slot == balloon &&
                                        re->balloon_growth ?
                                        re->growth_node : -1);
        if (slot == balloon) {
            continue;
        }
        resize_engine_info(slot, &info);
        resize_engine_bounds(slot, &info, true, &lo, &hi);
        resize_engine_plan_slot(slot, info.size,
                                info.driver_connected && !strict ?
                                MIN(MAX(0, lo), hi) : info.size, now_ms);
        others += slot->planned;
    }
    return others;
}

/*
 * A per-node request whose shortfalls stay in their node: each listed
 * node's virtio-mem for its amount, what a node's devices cannot take
 * stays in the node; the balloon stays where it is, or grows the one
 * node it was asked to.  What the nodes' own devices cannot do is
 * re->unreachable.
 */
static void resize_engine_plan_nodes(ResizeEngine *re, ResizeNodePlan *np,
                                     ResizeSlot *balloon, int64_t now_ms)
{
    int64_t unreachable = 0;
    int n;

    for (n = 0; n < re->nb_nodes; n++) {
        np[n].amount = re->node_amount[n];
        np[n].keep = re->node_amount[n] < 0;
    }
    resize_engine_plan_mem(re, np, now_ms);
    for (n = 0; n < re->nb_nodes; n++) {
        if (!np[n].keep && np[n].amount) {
            np[n].amount = resize_engine_plan_residual(re, np[n].amount, n);
        }
    }
    resize_engine_plan_other_balloons(re, balloon, true, now_ms);
    if (balloon) {
        BalloonBackendInfo binfo;
        int64_t lo, hi;

        resize_engine_info(balloon, &binfo);
        resize_engine_bounds(balloon, &binfo, true, &lo, &hi);
        resize_engine_plan_slot(balloon, binfo.size,
                                MIN(binfo.size + re->balloon_growth, hi),
                                now_ms);
    }
    for (n = 0; n < re->nb_nodes; n++) {
        if (!np[n].keep) {
            unreachable += ABS(np[n].amount);
        }
    }
    re->unreachable = unreachable;
}

/*
 * The whole guest to @want bytes above its base: virtio-mem by the
 * policy's shares (or, for a per-node request that may spill over, the
 * listed nodes' amounts), the balloon the rest within its range, and
 * what neither can take over the backends that can.  What nobody can
 * is re->unreachable.
 */
static void resize_engine_plan_guest(ResizeEngine *re, ResizeNodePlan *np,
                                     ResizeSlot *balloon, int64_t want,
                                     int64_t now_ms)
{
    int64_t plugged, others, residual;
    int n;

    if (re->by_node) {
        for (n = 0; n < re->nb_nodes; n++) {
            np[n].amount = re->node_amount[n];
            np[n].keep = re->node_amount[n] < 0;
        }
    } else {
        resize_engine_cap_nodes(re, np, re->node_ceiling);
        resize_engine_distribute(re, np, MAX(want, 0), balloon != NULL);
        for (n = 0; n < re->nb_nodes; n++) {
            np[n].amount = MAX(np[n].amount, np[n].floor);
        }
    }
    plugged = resize_engine_plan_mem(re, np, now_ms);
    others = resize_engine_plan_other_balloons(re, balloon, false, now_ms);
    residual = want - plugged - others;
    if (balloon) {
        BalloonBackendInfo binfo;
        int64_t lo, hi, planned;

        resize_engine_info(balloon, &binfo);
        resize_engine_bounds(balloon, &binfo, true, &lo, &hi);
        hi = resize_engine_cap_balloon(re, np, &binfo, re->node_ceiling, hi);
        planned = ROUND_UP(residual, (int64_t)binfo.granularity);
        planned = MAX(MIN(planned, hi), lo);
        resize_engine_plan_slot(balloon, binfo.size, planned, now_ms);
        residual -= planned;
    }
    residual = resize_engine_plan_residual(re, residual, -1);
    re->unreachable = ABS(residual);
}

/*
 * Decide every backend's planned contribution for @target.  Growth goes
 * to virtio-mem first (shared among nodes by the policy, block-aligned)
 * with the balloon taking back the sub-block excess, then to the
 * balloon's own hot-add (hv-balloon).  Shrinking unplugs virtio-mem to
 * the policy's share first, then balloons the rest.  Balloons other than
 * the one the plan is built on give back what they hold.  Per-node
 * requests (re->by_node) plan each listed node's virtio-mem for its
 * amount and leave the balloon where it is (resize_engine_plan_nodes()
 * when their shortfalls stay in their node, else as the whole guest's,
 * resize_engine_plan_guest()).  Short backends, and
 * virtio-mem devices waiting for their driver, get only what the others
 * cannot take; what nobody can is re->unreachable.
 */
static void resize_engine_plan(ResizeEngine *re, int64_t target,
                               int64_t now_ms)
{
    g_autofree ResizeNodePlan *np = g_new0(ResizeNodePlan, re->nb_nodes);
    ResizeSlot *balloon;
    int64_t want = target - re->base;

    trace_resize_engine_plan(target, resize_engine_actual(re));
    balloon = re->balloon = resize_engine_pick_balloon(re, want);
    resize_engine_unplan(re);
    resize_engine_node_caps(re, np, true);
    if (re->by_node && re->strict_nodes) {
        resize_engine_plan_nodes(re, np, balloon, now_ms);
    } else {
        resize_engine_plan_guest(re, np, balloon, want, now_ms);
    }
}

/* Which phase moves @slot from @size to its planned contribution. */
static ResizePhase resize_engine_phase_of(ResizeSlot *slot, int64_t size)
{
    if (!resize_engine_is_balloon(slot)) {
        return RESIZE_PHASE_MEM;
    }
    return slot->planned >= size ? RESIZE_PHASE_DEFLATE : RESIZE_PHASE_INFLATE;
}

/* Does @slot have a step in @phase of the plan? */
static bool resize_engine_in_phase(ResizeSlot *slot, ResizePhase phase)
{
    return slot->in_plan && resize_engine_phase_of(slot, slot->start) == phase;
}

static const char *resize_engine_phase_str(ResizePhase phase)
{
    static const char *const names[] = {
        [RESIZE_PHASE_DEFLATE] = "deflate",
        [RESIZE_PHASE_MEM] = "mem",
        [RESIZE_PHASE_INFLATE] = "inflate",
        [RESIZE_PHASE_DONE] = "done",
    };

    g_assert(phase <= RESIZE_PHASE_DONE);
    return names[phase];
}

static void resize_engine_set_state(ResizeEngine *re, ResizeState state)
{
    ResizeState old = re->state;

    if (old == state) {
        return;
    }
    re->state = state;
    trace_resize_engine_state(resize_engine_state_str(old),
                              resize_engine_state_str(state));
    if (re->ops && re->ops->state_changed) {
        re->ops->state_changed(re, old, state);
    }
}

static void resize_engine_stop(ResizeEngine *re, ResizeStopReason why)
{
    int64_t actual = resize_engine_actual(re);

    trace_resize_engine_stop(resize_engine_stop_reason_str(why), re->target,
                             actual, re->error ? re->error : "");
    if (re->ops && re->ops->stopped) {
        re->ops->stopped(re, why, re->target, actual);
    }
}

/* Remember why the request in flight failed or stalled, for the user. */
static void resize_engine_set_error(ResizeEngine *re, const char *msg)
{
    g_free(re->error);
    re->error = g_strdup(msg);
}

/* The request in flight stops: reached (idle) or failed. */
static void resize_engine_finish(ResizeEngine *re, ResizeStopReason why)
{
    g_assert(why == RESIZE_STOP_REACHED || why == RESIZE_STOP_FAILED);
    re->phase = RESIZE_PHASE_DONE;
    re->in_flight = false;
    resize_engine_set_state(re, why == RESIZE_STOP_REACHED ?
                                RESIZE_STATE_IDLE : RESIZE_STATE_FAILED);
    resize_engine_stop(re, why);
}

/* The request in flight fails with @err (freed): the user learns why. */
static void resize_engine_fail(ResizeEngine *re, Error *err)
{
    resize_engine_set_error(re, error_get_pretty(err));
    error_free(err);
    resize_engine_finish(re, RESIZE_STOP_FAILED);
}

/* Bytes the plan still has to move. */
static int64_t resize_engine_remaining(ResizeEngine *re)
{
    ResizeSlot *slot;
    int64_t left = 0;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;

        if (!slot->in_plan) {
            continue;
        }
        resize_engine_info(slot, &info);
        left += ABS(slot->planned - info.size);
    }
    return left;
}

/*
 * Must @slot be asked for its planned contribution?  When it has to
 * move, unless it was asked for just that already (or with @force).  When
 * it is there already, only to stop an older request it had been given
 * (an idle balloon never asked for anything is left alone).
 */
static bool resize_engine_needs_ask(ResizeEngine *re, ResizeSlot *slot,
                                    int64_t size, bool force)
{
    if (size != slot->planned) {
        return force || slot->asked != slot->planned;
    }
    if (slot->asked == -1 && resize_engine_is_balloon(slot) &&
        slot != re->balloon) {
        return false;
    }
    return force || slot->asked != slot->planned;
}

/* Ask @slot for @size (and remember it was asked). */
static bool resize_engine_ask(ResizeSlot *slot, int64_t size, Error **errp)
{
    if (!balloon_backend_set_target(slot->bb, size, errp)) {
        return false;
    }
    slot->asked = size;
    return true;
}

/*
 * Put every backend already asked (those of phases up to @upto, but
 * @refused, which did not move) back to where it was when the plan
 * began, and take all out of the plan.  A backend that refuses even that
 * is left where it is; what it said is added to *@failures.
 */
static void resize_engine_rollback(ResizeEngine *re, ResizePhase upto,
                                   ResizeSlot *refused, GString *failures)
{
    ResizeSlot *slot;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        Error *err = NULL;

        if (slot->in_plan && slot != refused &&
            resize_engine_phase_of(slot, slot->start) <= upto) {
            trace_resize_engine_rollback(slot->bb->id, slot->start);
            if (!resize_engine_ask(slot, slot->start, &err)) {
                trace_resize_engine_rollback_failed(slot->bb->id,
                                                    error_get_pretty(err));
                g_string_append_printf(failures, "%s%s",
                                       failures->len ? "; " : "",
                                       error_get_pretty(err));
                error_free(err);
            }
        }
        slot->in_plan = false;
    }
}

/*
 * Ask every backend of @phase for its planned contribution (those
 * already asked for it only with @force).  All or nothing: if one
 * refuses, roll back every backend asked so far and fail with its
 * message (and what the rollback could not undo).
 */
static bool resize_engine_issue(ResizeEngine *re, ResizePhase phase,
                                bool force, Error **errp)
{
    ResizeSlot *slot;

    trace_resize_engine_phase_start(resize_engine_phase_str(phase));
    QTAILQ_FOREACH(slot, &re->backends, next) {
        g_autoptr(GString) failures = NULL;
        Error *err = NULL;

        if (!resize_engine_in_phase(slot, phase) ||
            !resize_engine_needs_ask(re, slot, slot->start,
                                     force || re->ask_again)) {
            continue;
        }
        if (resize_engine_ask(slot, slot->planned, &err)) {
            continue;
        }
        failures = g_string_new(NULL);
        resize_engine_rollback(re, phase, slot, failures);
        if (failures->len) {
            error_setg(errp, "%s (and rolling back: %s)",
                       error_get_pretty(err), failures->str);
            error_free(err);
        } else {
            error_propagate(errp, err);
        }
        return false;
    }
    return true;
}

/* Is every backend of @phase where the plan wants it? */
static bool resize_engine_phase_reached(ResizeEngine *re, ResizePhase phase)
{
    ResizeSlot *slot;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;

        if (!resize_engine_in_phase(slot, phase)) {
            continue;
        }
        resize_engine_info(slot, &info);
        if (info.size != slot->planned) {
            return false;
        }
    }
    return true;
}

/* Does a backend of @phase wait for its guest driver? */
static bool resize_engine_phase_waits_driver(ResizeEngine *re,
                                             ResizePhase phase)
{
    ResizeSlot *slot;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;

        if (!resize_engine_in_phase(slot, phase)) {
            continue;
        }
        resize_engine_info(slot, &info);
        if (!info.driver_connected && info.size != slot->planned) {
            return true;
        }
    }
    return false;
}

/*
 * Start phases from re->phase on until one has work left; returns false
 * (after rollback) if a backend refused.
 */
static bool resize_engine_advance(ResizeEngine *re, Error **errp)
{
    while (re->phase < RESIZE_PHASE_DONE &&
           resize_engine_phase_reached(re, re->phase)) {
        trace_resize_engine_phase_end(resize_engine_phase_str(re->phase));
        re->phase++;
        if (re->phase < RESIZE_PHASE_DONE &&
            !resize_engine_issue(re, re->phase, false, errp)) {
            return false;
        }
    }
    return true;
}

/* Why @slot, in the plan, stopped short of it (no progress). */
static const char *resize_engine_short_reason(ResizeSlot *slot,
                                              const BalloonBackendInfo *info)
{
    bool down = slot->planned < info->size;

    if (!resize_engine_is_balloon(slot)) {
        return down ? "the guest did not unplug more (its memory is in use "
                      "or not movable)"
                    : "the guest did not plug more";
    }
    if (down) {
        return "the guest cannot free more memory";
    }
    return info->size >= 0 ? "the guest did not take more hot-added memory"
                           : "the guest did not take memory back";
}

/* Tell @slot, which stopped moving, its target again (see NUDGE_MS). */
static void resize_engine_nudge(ResizeSlot *slot, int64_t still_ms)
{
    g_autoptr(Error) err = NULL;

    trace_resize_engine_nudge(slot->bb->id, slot->asked, still_ms);
    slot->nudges++;
    if (slot->asked >= 0 &&
        !balloon_backend_set_target(slot->bb, slot->asked, &err)) {
        trace_resize_engine_nudge_refused(slot->bb->id,
                                          error_get_pretty(err));
    }
}

/*
 * Mark the backends of the current phase that stopped short of their
 * share: their range no longer reaches it, their driver went away, or
 * they made no progress for RESIZE_ENGINE_SHORT_MS (a third of the stall
 * timeout if that is shorter; RESIZE_ENGINE_UNPLUG_SHORT_MS for virtio-mem
 * unplugging), told their target again meanwhile.  True if one did.
 */
static bool resize_engine_find_short(ResizeEngine *re, int64_t now_ms)
{
    int64_t short_ms = MAX(MIN(re->stall_ms / 3, RESIZE_ENGINE_SHORT_MS), 1);
    int64_t unplug_short_ms = MAX(MIN(re->stall_ms / 3,
                                      RESIZE_ENGINE_UNPLUG_SHORT_MS),
                                  short_ms);
    ResizeSlot *slot;
    bool found = false;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;
        const char *reason = NULL;
        int64_t dist;

        if (!resize_engine_in_phase(slot, re->phase) || slot->is_short) {
            continue;
        }
        resize_engine_info(slot, &info);
        slot->was_connected |= info.driver_connected;
        dist = ABS(slot->planned - info.size);
        if (!dist) {
            continue;
        }
        if (slot->planned > info.max_size || slot->planned < info.min_size) {
            reason = info.limit_reason ? info.limit_reason :
                     slot->planned > info.max_size ?
                     "it cannot grow that far any more" :
                     "it cannot shrink that far any more";
        } else if (!info.driver_connected) {
            if (slot->was_connected && !info.driver_pending) {
                reason = "its guest driver went away";
            }
            /* Waiting for a driver is not a lack of progress. */
            slot->best_dist = dist;
            slot->progress_ms = now_ms;
        } else if (dist < slot->best_dist) {
            slot->best_dist = dist;
            slot->progress_ms = now_ms;
            slot->nudges = 0;
        } else {
            int64_t still = now_ms - slot->progress_ms;
            bool unplug = !resize_engine_is_balloon(slot) &&
                          slot->planned < info.size;

            if (still >= (unplug ? unplug_short_ms : short_ms)) {
                reason = resize_engine_short_reason(slot, &info);
            } else if (still >= RESIZE_ENGINE_NUDGE_MS << MIN(slot->nudges,
                                                              16)) {
                resize_engine_nudge(slot, still);
            }
        }
        if (!reason) {
            continue;
        }
        slot->is_short = true;
        slot->short_at = info.size;
        slot->short_by = dist;
        slot->short_down = slot->planned < info.size;
        slot->reason = reason;
        slot->retry_at_ms = now_ms + re->retry_ms;
        trace_resize_engine_short(slot->bb->id, dist, reason);
        found = true;
    }
    return found;
}

/* Forget the shortfalls whose retry time came (all with @all). */
static bool resize_engine_expire_short(ResizeEngine *re, int64_t now_ms,
                                       bool all)
{
    ResizeSlot *slot;
    bool any = false;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        if (slot->is_short && (all || now_ms >= slot->retry_at_ms)) {
            slot->is_short = false;
            slot->reason = NULL;
            any = true;
        }
    }
    return any;
}

char *resize_engine_shortfall_str(ResizeEngine *re)
{
    g_autoptr(GString) s = g_string_new(NULL);
    ResizeSlot *slot;

    if (!re->in_flight) {
        return NULL;
    }
    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;
        int64_t dist;

        if (!slot->in_plan) {
            continue;
        }
        resize_engine_info(slot, &info);
        dist = slot->is_short ? slot->short_by
                              : ABS(slot->planned - info.size);
        if (!dist) {
            continue;
        }
        g_string_append_printf(s, "%s%s is %" PRId64 " bytes short: %s",
                               s->len ? "; " : "", slot->bb->id, dist,
                               slot->is_short ? slot->reason :
                               !info.driver_connected ?
                               "its guest driver is not there" :
                               resize_engine_short_reason(slot, &info));
    }
    if (re->unreachable) {
        g_string_append_printf(s, "%s%" PRId64 " bytes no backend can "
                               "reach now", s->len ? "; " : "",
                               re->unreachable);
    }
    return s->len ? g_string_free(g_steal_pointer(&s), FALSE) : NULL;
}

/*
 * Start the plan the slots' in_plan/planned describe, toward @target:
 * backends already where the plan wants them stop any older move, then
 * the first phase is issued.  A @fresh request starts the stall clock;
 * a replan of one in flight keeps it.  On error the engine is left
 * failed, with the message in re->error, and no stop is reported.
 */
static bool resize_engine_start(ResizeEngine *re, int64_t target,
                                bool fresh, int64_t now_ms, Error **errp)
{
    ResizeSlot *slot;
    Error *err = NULL;

    g_clear_pointer(&re->error, g_free);
    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;

        if (!slot->in_plan) {
            continue;
        }
        resize_engine_info(slot, &info);
        /* Those already there stop any older move at once. */
        if (info.size == slot->planned &&
            resize_engine_needs_ask(re, slot, info.size, false) &&
            !resize_engine_ask(slot, slot->planned, &err)) {
            resize_engine_unplan(re);
            break;
        }
    }

    re->has_target = true;
    re->target = target;
    re->in_flight = true;
    re->todo = resize_engine_remaining(re);
    re->best_remaining = re->todo;
    if (fresh) {
        re->last_progress_ms = now_ms;
        re->idle_replans = 0;
    }
    re->next_retry_ms = now_ms + re->retry_ms;
    re->phase = RESIZE_PHASE_DEFLATE;
    if (err || !resize_engine_issue(re, re->phase, false, &err) ||
        !resize_engine_advance(re, &err)) {
        re->has_target = false;
        re->in_flight = false;
        re->phase = RESIZE_PHASE_DONE;
        resize_engine_set_error(re, error_get_pretty(err));
        error_propagate(errp, err);
        resize_engine_set_state(re, RESIZE_STATE_FAILED);
        return false;
    }
    if (re->phase == RESIZE_PHASE_DONE &&
        resize_engine_actual(re) == target) {
        /* Nothing to move: the guest already has the target. */
        resize_engine_finish(re, RESIZE_STOP_REACHED);
        return true;
    }
    if (re->state != RESIZE_STATE_STALLED) {
        resize_engine_set_state(re, re->phase < RESIZE_PHASE_DONE &&
                                resize_engine_phase_waits_driver(re,
                                                                 re->phase)
                                ? RESIZE_STATE_NO_GUEST_DRIVER
                                : RESIZE_STATE_RESIZING);
    }
    resize_engine_tick(re, now_ms);
    return true;
}

/*
 * Plan the request in flight again from where the backends are now
 * (@why says what made it necessary) and start it; a failure ends the
 * request, reported.  With @ask_again, backends are asked even for what
 * they were asked before (they may have lost it: the guest size is not
 * what the plan expected, or it is a retry).
 */
static void resize_engine_replan(ResizeEngine *re, const char *why,
                                 bool ask_again, int64_t now_ms)
{
    int64_t moved = MAX(re->todo - resize_engine_remaining(re), 0);
    Error *err = NULL;

    trace_resize_engine_replan(why, re->target);
    resize_engine_plan(re, re->target, now_ms);
    re->ask_again = ask_again;
    if (!resize_engine_start(re, re->target, false, now_ms, &err)) {
        /* Keep the target: it is still what the user asked for. */
        re->has_target = true;
        resize_engine_stop(re, RESIZE_STOP_FAILED);
        error_free(err);
        return;
    }
    re->todo += moved;
}

/*
 * A new request: what the last one learnt of drivers is stale, and the
 * shortfalls whose retry time came are forgotten.
 */
static void resize_engine_new_request(ResizeEngine *re, int64_t now_ms)
{
    ResizeSlot *slot;

    if (re->in_flight) {
        resize_engine_stop(re, RESIZE_STOP_REPLACED);
    }
    QTAILQ_FOREACH(slot, &re->backends, next) {
        slot->was_connected = false;
    }
    resize_engine_expire_short(re, now_ms, false);
}

/*
 * Asking a backend may make its device act at once and report a change
 * (hv-balloon runs its state machine from set_target), which ticks the
 * engine again while it is still planning or stepping.  Such a tick is
 * deferred to when the outer call ends.
 */
static void resize_engine_enter(ResizeEngine *re)
{
    re->depth++;
}

static void resize_engine_leave(ResizeEngine *re, int64_t now_ms)
{
    g_assert(re->depth > 0);
    if (--re->depth == 0 && re->retick) {
        re->retick = false;
        resize_engine_tick(re, now_ms);
    }
}

static bool resize_engine_request_one(ResizeEngine *re, int64_t target,
                                      int64_t node_ceiling,
                                      const char *param, int64_t now_ms,
                                      Error **errp)
{
    int64_t min, max;

    if (!resize_engine_limits_within(re, node_ceiling, &min, &max)) {
        error_setg(errp, "No memory resize backend is present");
        return false;
    }
    if (target <= 0 || target < min || target > max) {
        g_autofree char *why = target > max ?
                               resize_engine_limit_reasons(re) : NULL;

        error_setg(errp, "Parameter '%s' expects a guest size from %" PRId64
                   " to %" PRId64 " bytes%s%s%s", param, min, max,
                   why ? " (" : "", why ? why : "", why ? ")" : "");
        return false;
    }
    target = ROUND_UP(target, RESIZE_ENGINE_PAGE);
    target = MIN(target, max);

    resize_engine_new_request(re, now_ms);
    re->by_node = false;
    re->node_ceiling = node_ceiling;
    if (node_ceiling) {
        trace_resize_engine_node_ceiling(node_ceiling);
    }
    resize_engine_plan(re, target, now_ms);
    re->ask_again = false;
    return resize_engine_start(re, target, true, now_ms, errp);
}

bool resize_engine_request(ResizeEngine *re, int64_t target,
                           const char *param, int64_t now_ms, Error **errp)
{
    bool ok;

    resize_engine_enter(re);
    ok = resize_engine_request_one(re, target, 0, param, now_ms, errp);
    resize_engine_leave(re, now_ms);
    return ok;
}

bool resize_engine_request_within(ResizeEngine *re, int64_t target,
                                  int64_t node_ceiling, const char *param,
                                  int64_t now_ms, Error **errp)
{
    bool ok;

    resize_engine_enter(re);
    ok = resize_engine_request_one(re, target, node_ceiling, param, now_ms,
                                   errp);
    resize_engine_leave(re, now_ms);
    return ok;
}

bool resize_engine_reapply(ResizeEngine *re, int64_t now_ms)
{
    int64_t min, max;
    ResizeSlot *slot;

    if (!re->has_target || !resize_engine_limits(re, &min, &max)) {
        return false;
    }
    resize_engine_enter(re);
    resize_engine_new_request(re, now_ms);
    /* A new boot: whatever the guest could not do before, nor asked. */
    resize_engine_expire_short(re, now_ms, true);
    QTAILQ_FOREACH(slot, &re->backends, next) {
        slot->asked = -1;
    }
    re->target = MIN(MAX(re->target, min), max);
    re->by_node = false;
    re->last_progress_ms = now_ms;
    re->idle_replans = 0;
    resize_engine_replan(re, "reset", true, now_ms);
    resize_engine_leave(re, now_ms);
    return true;
}

void resize_engine_node_limits(ResizeEngine *re, int node,
                               int64_t ballooned, int64_t *min,
                               int64_t *max, uint64_t *step)
{
    g_autofree ResizeNodePlan *np = g_new0(ResizeNodePlan, re->nb_nodes);

    ResizeSlot *balloon = resize_engine_pick_balloon(re, 0);

    g_assert(node >= 0 && node < re->nb_nodes);
    resize_engine_node_caps(re, np, false);
    *min = re->node_boot[node] - ballooned;
    *max = *min + np[node].cap +
           (balloon ? balloon_backend_node_room(balloon->bb, node) : 0);
    *step = np[node].gran ? np[node].gran : RESIZE_ENGINE_PAGE;
}

static bool resize_engine_request_nodes_one(ResizeEngine *re,
                                            const int64_t *targets,
                                            const int64_t *ballooned,
                                            bool strict, const char *param,
                                            int64_t now_ms, Error **errp)
{
    g_autofree ResizeNodePlan *np = g_new0(ResizeNodePlan, re->nb_nodes);
    int64_t amount[RESIZE_ENGINE_MAX_NODES];
    int64_t target = resize_engine_actual(re), growth = 0;
    int n, growth_node = -1;

    if (QTAILQ_EMPTY(&re->backends)) {
        error_setg(errp, "No memory resize backend is present");
        return false;
    }
    resize_engine_node_caps(re, np, false);
    for (n = 0; n < re->nb_nodes; n++) {
        int64_t min, max, plug;
        uint64_t step;

        amount[n] = -1;
        if (targets[n] < 0) {
            continue;
        }
        resize_engine_node_limits(re, n, ballooned[n], &min, &max, &step);
        plug = targets[n] - min;
        /* Past its virtio-mem: the balloon grows the node, in pages. */
        if (targets[n] < min || targets[n] > max ||
            (plug <= np[n].cap ? plug % step :
                                 (plug - np[n].cap) % RESIZE_ENGINE_PAGE)) {
            error_setg(errp, "Parameter '%s' gives node %d size %" PRId64
                       "; node %d can be from %" PRId64 " to %" PRId64
                       " bytes in steps of %" PRIu64, param, n, targets[n],
                       n, min, max, step);
            return false;
        }
        if (plug > np[n].cap) {
            if (growth_node >= 0) {
                error_setg(errp, "Parameter '%s' needs the balloon to grow "
                           "nodes %d and %d; it grows one node per request",
                           param, growth_node, n);
                return false;
            }
            growth_node = n;
            growth = plug - np[n].cap;
            plug = np[n].cap;
        }
        amount[n] = plug;
        target += plug - np[n].plugged;
    }
    target += growth;

    resize_engine_new_request(re, now_ms);
    re->by_node = true;
    re->node_ceiling = 0;
    re->strict_nodes = strict;
    re->growth_node = growth_node;
    re->balloon_growth = growth;
    memcpy(re->node_amount, amount, sizeof(*amount) * re->nb_nodes);
    resize_engine_plan(re, target, now_ms);
    re->ask_again = false;
    return resize_engine_start(re, target, true, now_ms, errp);
}

bool resize_engine_request_nodes(ResizeEngine *re, const int64_t *targets,
                                 const int64_t *ballooned, bool strict,
                                 const char *param, int64_t now_ms,
                                 Error **errp)
{
    bool ok;

    resize_engine_enter(re);
    ok = resize_engine_request_nodes_one(re, targets, ballooned, strict,
                                         param, now_ms, errp);
    resize_engine_leave(re, now_ms);
    return ok;
}

static void resize_engine_tick_once(ResizeEngine *re, int64_t now_ms);

void resize_engine_tick(ResizeEngine *re, int64_t now_ms)
{
    if (re->depth) {
        re->retick = true;      /* see resize_engine_enter() */
        return;
    }
    resize_engine_enter(re);
    resize_engine_tick_once(re, now_ms);
    resize_engine_leave(re, now_ms);
}

static void resize_engine_tick_once(ResizeEngine *re, int64_t now_ms)
{
    Error *err = NULL;
    int64_t remaining;

    if (!re->in_flight) {
        return;
    }
    if (re->phase < RESIZE_PHASE_DONE && !re->held &&
        resize_engine_find_short(re, now_ms)) {
        /* The rest over the backends that can still move. */
        resize_engine_replan(re, "shortfall", false, now_ms);
        return;
    }
    if (!resize_engine_advance(re, &err)) {
        resize_engine_fail(re, err);
        return;
    }
    if (re->phase == RESIZE_PHASE_DONE) {
        /* Reached means the guest has the target, whatever the plan said. */
        if (resize_engine_actual(re) == re->target) {
            resize_engine_finish(re, RESIZE_STOP_REACHED);
            return;
        }
        if (re->idle_replans < RESIZE_ENGINE_MAX_IDLE_REPLANS) {
            re->idle_replans++;
            resize_engine_replan(re, "total", true, now_ms);
            return;
        }
    } else if (resize_engine_phase_waits_driver(re, re->phase)) {
        if (resize_engine_pick_balloon(re, re->target - re->base) !=
            re->balloon) {
            /*
             * The plan waits on a balloon whose driver never came, and
             * another balloon's driver is here now (a Windows guest's
             * hv-balloon after its hold, next to an idle virtio-balloon):
             * the same request, planned on that one.
             */
            resize_engine_replan(re, "driver", false, now_ms);
            return;
        }
        /* Waiting for a driver is not a stall: keep the clock fresh. */
        re->last_progress_ms = now_ms;
        resize_engine_set_state(re, RESIZE_STATE_NO_GUEST_DRIVER);
        return;
    } else if (re->state == RESIZE_STATE_NO_GUEST_DRIVER) {
        /* The driver is back: ask again, a reset may have lost the target. */
        if (!resize_engine_issue(re, re->phase, true, &err)) {
            resize_engine_fail(re, err);
            return;
        }
        resize_engine_set_state(re, RESIZE_STATE_RESIZING);
    }

    remaining = resize_engine_remaining(re);
    if (remaining < re->best_remaining) {
        re->best_remaining = remaining;
        re->last_progress_ms = now_ms;
        re->idle_replans = 0;
        resize_engine_set_state(re, RESIZE_STATE_RESIZING);
    } else if (re->held) {
        /* Held time is not the guest's: it does not count as no progress. */
        re->last_progress_ms = now_ms;
    } else if (now_ms - re->last_progress_ms >= re->stall_ms &&
               re->state != RESIZE_STATE_STALLED) {
        /* Nothing moved for the stall timeout: say who is short, and why. */
        g_autofree char *why = resize_engine_shortfall_str(re);

        g_free(re->error);
        re->error = g_steal_pointer(&why);
        re->next_retry_ms = now_ms + re->retry_ms;
        resize_engine_set_state(re, RESIZE_STATE_STALLED);
        resize_engine_stop(re, RESIZE_STOP_STALLED);
    } else if (re->state == RESIZE_STATE_STALLED &&
               now_ms >= re->next_retry_ms) {
        /* The guest may have freed memory: ask those short once more. */
        re->next_retry_ms = now_ms + re->retry_ms;
        resize_engine_expire_short(re, now_ms, false);
        re->idle_replans = 0;
        resize_engine_replan(re, "retry", true, now_ms);
    }
}

void resize_engine_resume(ResizeEngine *re, int64_t now_ms)
{
    if (!re->in_flight) {
        return;
    }
    resize_engine_enter(re);
    re->last_progress_ms = now_ms;
    re->idle_replans = 0;
    re->next_retry_ms = now_ms + re->retry_ms;
    resize_engine_replan(re, "resume", true, now_ms);
    resize_engine_leave(re, now_ms);
}

void resize_engine_hold(ResizeEngine *re, bool hold, int64_t now_ms)
{
    if (re->held == hold) {
        return;
    }
    trace_resize_engine_hold(hold, re->in_flight);
    re->held = hold;
    if (!hold) {
        resize_engine_resume(re, now_ms);
    }
}

void resize_engine_adopt(ResizeEngine *re)
{
    if (re->has_target) {
        return;
    }
    re->has_target = true;
    re->target = resize_engine_actual(re);
    trace_resize_engine_adopt(re->target);
}

bool resize_engine_busy(ResizeEngine *re)
{
    return re->in_flight;
}

void resize_engine_progress(ResizeEngine *re, int64_t *done, int64_t *todo)
{
    int64_t left = resize_engine_busy(re) ? resize_engine_remaining(re) : 0;

    *todo = re->todo;
    *done = MAX(re->todo - left, 0);
}

void resize_engine_save_request(ResizeEngine *re, ResizeEngineRequest *r)
{
    int64_t todo;

    memset(r, 0, sizeof(*r));
    r->has_target = re->has_target;
    r->target = re->target;
    r->in_flight = re->in_flight;
    r->by_node = re->by_node;
    r->strict_nodes = re->strict_nodes;
    r->growth_node = re->growth_node;
    r->balloon_growth = re->balloon_growth;
    memcpy(r->node_amount, re->node_amount,
           sizeof(re->node_amount[0]) * re->nb_nodes);
    r->state = re->state;
    resize_engine_progress(re, &r->done, &todo);
}

/*
 * Is @r a request this engine could have made: a target within what
 * its backends could ever reach (@reach) and not below the floor,
 * per-node targets within each node's virtio-mem, a state that goes
 * with being in flight or not?
 */
static bool resize_engine_request_ok(ResizeEngine *re,
                                     const ResizeEngineRequest *r,
                                     int64_t reach, Error **errp)
{
    bool busy_state = r->state == RESIZE_STATE_RESIZING ||
                      r->state == RESIZE_STATE_STALLED ||
                      r->state == RESIZE_STATE_NO_GUEST_DRIVER;
    int n, nodes = 0;

    if (r->state >= RESIZE_STATE__MAX) {
        error_setg(errp, "state %" PRIu32, r->state);
        return false;
    }
    if (r->in_flight != busy_state) {
        error_setg(errp, "%s with state %s",
                   r->in_flight ? "in flight" : "not in flight",
                   resize_engine_state_str(r->state));
        return false;
    }
    if (r->in_flight && !r->has_target) {
        error_setg(errp, "in flight without a target");
        return false;
    }
    if (r->has_target && (r->target <= 0 || r->target > reach)) {
        error_setg(errp, "target %" PRId64 " (this VM reaches 1 to %"
                   PRId64 " bytes)", r->target, reach);
        return false;
    }
    if (r->in_flight && r->target < re->floor) {
        error_setg(errp, "target %" PRId64 " below the floor %" PRId64,
                   r->target, re->floor);
        return false;
    }
    if (r->growth_node < -1 || r->growth_node >= re->nb_nodes) {
        error_setg(errp, "growth node %" PRId32, r->growth_node);
        return false;
    }
    if (r->balloon_growth < 0 || r->balloon_growth > reach) {
        error_setg(errp, "balloon growth %" PRId64, r->balloon_growth);
        return false;
    }
    if (r->done < 0 || r->done > 2 * reach) {
        error_setg(errp, "%" PRId64 " bytes moved", r->done);
        return false;
    }
    for (n = 0; n < re->nb_nodes; n++) {
        int64_t lo, hi;
        uint64_t step;

        if (r->node_amount[n] == -1) {
            continue;
        }
        resize_engine_node_limits(re, n, 0, &lo, &hi, &step);
        if (r->node_amount[n] < 0 ||
            r->node_amount[n] > hi - re->node_boot[n]) {
            error_setg(errp, "node %d plugged %" PRId64 " (it can have 0 to %"
                       PRId64 " bytes plugged)", n, r->node_amount[n],
                       hi - re->node_boot[n]);
            return false;
        }
        nodes++;
    }
    if (r->by_node && r->in_flight && !nodes) {
        error_setg(errp, "per-node request without any node");
        return false;
    }
    return true;
}

bool resize_engine_load_request(ResizeEngine *re,
                                const ResizeEngineRequest *r,
                                const char *error, int64_t reach,
                                Error **errp)
{
    if (!resize_engine_request_ok(re, r, reach, errp)) {
        return false;
    }
    re->has_target = r->has_target;
    re->target = r->target;
    re->in_flight = r->in_flight;
    re->by_node = r->by_node;
    re->strict_nodes = r->strict_nodes;
    re->growth_node = r->growth_node;
    re->balloon_growth = r->balloon_growth;
    memcpy(re->node_amount, r->node_amount,
           sizeof(re->node_amount[0]) * re->nb_nodes);
    re->state = r->state;
    re->phase = RESIZE_PHASE_DONE;
    re->todo = r->done;             /* resuming adds what is left */
    g_free(re->error);
    re->error = g_strdup(error);
    return true;
}

const char *resize_engine_state_str(ResizeState state)
{
    static const char *const names[RESIZE_STATE__MAX] = {
        [RESIZE_STATE_IDLE] = "idle",
        [RESIZE_STATE_RESIZING] = "resizing",
        [RESIZE_STATE_STALLED] = "stalled",
        [RESIZE_STATE_NO_GUEST_DRIVER] = "no-guest-driver",
        [RESIZE_STATE_FAILED] = "failed",
    };

    g_assert(state < RESIZE_STATE__MAX);
    return names[state];
}

const char *resize_engine_stop_reason_str(ResizeStopReason why)
{
    static const char *const names[RESIZE_STOP__MAX] = {
        [RESIZE_STOP_REACHED] = "reached",
        [RESIZE_STOP_REPLACED] = "replaced",
        [RESIZE_STOP_STALLED] = "stalled",
        [RESIZE_STOP_FAILED] = "failed",
    };

    g_assert(why < RESIZE_STOP__MAX);
    return names[why];
}
