/*
 * Unified balloon frontend: backend registry, planner and resize driver
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "resize-engine.h"

/* Targets are reached to the page: the balloon's unit. */
#define RESIZE_ENGINE_PAGE (4 * KiB)

/* Default: no progress for this long means the guest is stuck. */
#define RESIZE_ENGINE_DEFAULT_STALL_MS (30 * 1000)

static bool resize_engine_is_balloon(BalloonBackend *bb)
{
    return bb->klass->kind != BALLOON_BACKEND_KIND_VIRTIO_MEM;
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

void resize_engine_add(ResizeEngine *re, BalloonBackend *bb)
{
    g_assert(bb->klass && bb->id);
    bb->in_plan = false;
    QTAILQ_INSERT_TAIL(&re->backends, bb, next);
}

void resize_engine_remove(ResizeEngine *re, BalloonBackend *bb)
{
    QTAILQ_REMOVE(&re->backends, bb, next);
    bb->in_plan = false;
}

unsigned int resize_engine_count(ResizeEngine *re)
{
    BalloonBackend *bb;
    unsigned int n = 0;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        n++;
    }
    return n;
}

BalloonBackend *resize_engine_find_opaque(ResizeEngine *re, void *opaque)
{
    BalloonBackend *bb;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        if (bb->opaque == opaque) {
            return bb;
        }
    }
    return NULL;
}

int64_t resize_engine_actual(ResizeEngine *re)
{
    BalloonBackend *bb;
    int64_t actual = re->base;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;

        balloon_backend_get_info(bb, &info);
        actual += info.size;
    }
    return actual;
}

BalloonBackend *resize_engine_active_balloon(ResizeEngine *re)
{
    BalloonBackend *bb, *first = NULL, *connected = NULL, *pending = NULL;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;

        if (!resize_engine_is_balloon(bb)) {
            continue;
        }
        balloon_backend_get_info(bb, &info);
        if (info.driver_connected &&
            bb->klass->kind == BALLOON_BACKEND_KIND_HV_BALLOON) {
            /* Windows-style hot-add wins when both drivers are there. */
            return bb;
        }
        if (info.driver_connected && !connected) {
            connected = bb;
        }
        if (info.driver_pending && !pending) {
            pending = bb;
        }
        if (!first) {
            first = bb;
        }
    }
    return connected ? connected : pending ? pending : first;
}

bool resize_engine_limits(ResizeEngine *re, int64_t *min, int64_t *max)
{
    BalloonBackend *bb, *balloon = resize_engine_active_balloon(re);
    int64_t lo = re->base, hi = re->base;

    if (QTAILQ_EMPTY(&re->backends)) {
        return false;
    }
    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;

        if (resize_engine_is_balloon(bb) && bb != balloon) {
            continue;       /* an idle balloon is not part of any plan */
        }
        balloon_backend_get_info(bb, &info);
        lo += info.min_size;
        hi += info.max_size;
    }
    *min = MAX(MAX(lo, re->floor), RESIZE_ENGINE_PAGE);
    *max = hi;
    return true;
}

/* The node a backend's memory counts to (node 0 without NUMA). */
static int resize_engine_node_of(ResizeEngine *re,
                                 const BalloonBackendInfo *info)
{
    return info->node >= 0 && info->node < re->nb_nodes ? info->node : 0;
}

/* What each node's virtio-mem devices can take. */
typedef struct ResizeNodePlan {
    int64_t cap;            /* sum of the devices' maximum */
    int64_t plugged;        /* sum of the devices' size now */
    uint64_t gran;          /* largest device block size */
    int64_t amount;         /* planned plugged bytes */
} ResizeNodePlan;

static void resize_engine_node_caps(ResizeEngine *re, ResizeNodePlan *np)
{
    BalloonBackend *bb;

    memset(np, 0, sizeof(*np) * re->nb_nodes);
    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;
        int n;

        if (resize_engine_is_balloon(bb)) {
            continue;
        }
        balloon_backend_get_info(bb, &info);
        n = resize_engine_node_of(re, &info);
        np[n].cap += info.max_size;
        np[n].plugged += info.size;
        np[n].gran = MAX(np[n].gran, info.granularity);
    }
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

/*
 * Share @total bytes of plugged memory among the nodes by the policy,
 * each node within its capacity: "fill" and "prefer" fill nodes in
 * order, "proportional" gives each node a share of its boot memory
 * (water-filling: what a full node cannot take goes to the others in the
 * same proportion).  Shares are then rounded to each node's block size,
 * the rest going, block by block, to nodes in order; with @may_exceed
 * the last block may go past @total (a balloon takes the excess back).
 */
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

/*
 * Plan the virtio-mem devices: node @n's devices, in registration order,
 * share np[n].amount (nodes with amount < 0 keep their devices as they
 * are).  Returns the bytes planned in all.
 */
static int64_t resize_engine_plan_mem(ResizeEngine *re, ResizeNodePlan *np)
{
    BalloonBackend *bb;
    int64_t plugged = 0;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;
        int n;

        if (resize_engine_is_balloon(bb)) {
            continue;
        }
        balloon_backend_get_info(bb, &info);
        n = resize_engine_node_of(re, &info);
        bb->in_plan = true;
        bb->start = info.size;
        if (np[n].amount < 0) {
            bb->planned = info.size;
        } else {
            bb->planned = MIN(np[n].amount, info.max_size);
            np[n].amount -= bb->planned;
        }
        plugged += bb->planned;
    }
    return plugged;
}

/*
 * Decide every backend's planned contribution for @target.  Growth goes
 * to virtio-mem first (shared among nodes by the policy, block-aligned)
 * with the balloon taking back the sub-block excess, then to the
 * balloon's own hot-add (hv-balloon).  Shrinking unplugs virtio-mem to
 * the policy's share first, then balloons the rest.
 */
static void resize_engine_plan(ResizeEngine *re, int64_t target)
{
    BalloonBackend *bb, *balloon = resize_engine_active_balloon(re);
    g_autofree ResizeNodePlan *np = g_new0(ResizeNodePlan, re->nb_nodes);
    BalloonBackendInfo binfo = { 0 };
    int64_t want = target - re->base;
    int64_t plugged, rest;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        bb->in_plan = false;
    }
    resize_engine_node_caps(re, np);
    resize_engine_distribute(re, np, MAX(want, 0), balloon != NULL);
    plugged = resize_engine_plan_mem(re, np);
    rest = MAX(want, 0) - plugged;

    if (balloon) {
        balloon_backend_get_info(balloon, &binfo);
        balloon->in_plan = true;
        balloon->start = binfo.size;
        if (want <= 0) {
            balloon->planned = want;
        } else if (rest > 0) {
            balloon->planned = ROUND_UP(rest, binfo.granularity);
        } else {
            /* Give back the part of the last block beyond the target. */
            balloon->planned = want - plugged;
        }
        balloon->planned = MAX(MIN(balloon->planned, binfo.max_size),
                               binfo.min_size);
    }
}

/* Which phase moves @bb from @size to its planned contribution. */
static ResizePhase resize_engine_phase_of(BalloonBackend *bb, int64_t size)
{
    if (!resize_engine_is_balloon(bb)) {
        return RESIZE_PHASE_MEM;
    }
    return bb->planned >= size ? RESIZE_PHASE_DEFLATE : RESIZE_PHASE_INFLATE;
}

static void resize_engine_set_state(ResizeEngine *re, ResizeState state)
{
    ResizeState old = re->state;

    if (old == state) {
        return;
    }
    re->state = state;
    if (re->ops && re->ops->state_changed) {
        re->ops->state_changed(re, old, state);
    }
}

static void resize_engine_stop(ResizeEngine *re, ResizeStopReason why)
{
    if (re->ops && re->ops->stopped) {
        re->ops->stopped(re, why, re->target, resize_engine_actual(re));
    }
}

/* The request in flight stops: reached (idle) or failed. */
static void resize_engine_finish(ResizeEngine *re, ResizeStopReason why)
{
    g_assert(why == RESIZE_STOP_REACHED || why == RESIZE_STOP_FAILED);
    re->phase = RESIZE_PHASE_DONE;
    resize_engine_set_state(re, why == RESIZE_STOP_REACHED ?
                                RESIZE_STATE_IDLE : RESIZE_STATE_FAILED);
    resize_engine_stop(re, why);
}

/* Bytes the plan still has to move. */
static int64_t resize_engine_remaining(ResizeEngine *re)
{
    BalloonBackend *bb;
    int64_t left = 0;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;

        if (!bb->in_plan) {
            continue;
        }
        balloon_backend_get_info(bb, &info);
        left += ABS(bb->planned - info.size);
    }
    return left;
}

/*
 * Put every backend already asked back to where it was when the plan
 * began.  Best effort: a backend that refuses even that is left alone.
 */
static void resize_engine_rollback(ResizeEngine *re, ResizePhase upto)
{
    BalloonBackend *bb;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        if (bb->in_plan &&
            resize_engine_phase_of(bb, bb->start) <= upto) {
            balloon_backend_set_target(bb, bb->start, NULL);
        }
        bb->in_plan = false;
    }
}

/*
 * Ask every backend of @phase (and those already where the plan wants
 * them, so that a replaced request stops moving them) for its planned
 * contribution.  All or nothing: on failure, roll back.
 */
static bool resize_engine_issue(ResizeEngine *re, ResizePhase phase,
                                Error **errp)
{
    BalloonBackend *bb;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        if (!bb->in_plan || resize_engine_phase_of(bb, bb->start) != phase) {
            continue;
        }
        if (!balloon_backend_set_target(bb, bb->planned, errp)) {
            resize_engine_rollback(re, phase);
            return false;
        }
    }
    return true;
}

/* Is every backend of @phase where the plan wants it? */
static bool resize_engine_phase_reached(ResizeEngine *re, ResizePhase phase)
{
    BalloonBackend *bb;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;

        if (!bb->in_plan || resize_engine_phase_of(bb, bb->start) != phase) {
            continue;
        }
        balloon_backend_get_info(bb, &info);
        if (info.size != bb->planned) {
            return false;
        }
    }
    return true;
}

/* Does a backend of @phase wait for its guest driver? */
static bool resize_engine_phase_waits_driver(ResizeEngine *re,
                                             ResizePhase phase)
{
    BalloonBackend *bb;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;

        if (!bb->in_plan || resize_engine_phase_of(bb, bb->start) != phase) {
            continue;
        }
        balloon_backend_get_info(bb, &info);
        if (!info.driver_connected && info.size != bb->planned) {
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
        re->phase++;
        if (re->phase < RESIZE_PHASE_DONE &&
            !resize_engine_issue(re, re->phase, errp)) {
            return false;
        }
    }
    return true;
}

/*
 * Start the plan the backends' in_plan/planned describe, toward @target:
 * backends already where the plan wants them stop any older move, then
 * the first phase is issued.
 */
static bool resize_engine_start(ResizeEngine *re, int64_t target,
                                int64_t now_ms, Error **errp)
{
    BalloonBackend *bb;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;

        if (!bb->in_plan) {
            continue;
        }
        balloon_backend_get_info(bb, &info);
        if (info.size == bb->planned &&
            !balloon_backend_set_target(bb, bb->planned, errp)) {
            QTAILQ_FOREACH(bb, &re->backends, next) {
                bb->in_plan = false;
            }
            return false;
        }
    }

    re->has_target = true;
    re->target = target;
    re->todo = resize_engine_remaining(re);
    re->best_remaining = re->todo;
    re->last_progress_ms = now_ms;
    re->phase = RESIZE_PHASE_DEFLATE;
    if (!resize_engine_issue(re, re->phase, errp) ||
        !resize_engine_advance(re, errp)) {
        re->has_target = false;
        re->phase = RESIZE_PHASE_DONE;
        resize_engine_set_state(re, RESIZE_STATE_FAILED);
        return false;
    }
    if (re->phase == RESIZE_PHASE_DONE) {
        /* Nothing to move: the guest already has the target. */
        resize_engine_finish(re, RESIZE_STOP_REACHED);
        return true;
    }
    resize_engine_set_state(re, resize_engine_phase_waits_driver(re, re->phase)
                                ? RESIZE_STATE_NO_GUEST_DRIVER
                                : RESIZE_STATE_RESIZING);
    resize_engine_tick(re, now_ms);
    return true;
}

bool resize_engine_request(ResizeEngine *re, int64_t target,
                           const char *param, int64_t now_ms, Error **errp)
{
    int64_t min, max;

    if (!resize_engine_limits(re, &min, &max)) {
        error_setg(errp, "No memory resize backend is present");
        return false;
    }
    if (target <= 0 || target < min || target > max) {
        error_setg(errp, "Parameter '%s' expects a guest size from %" PRId64
                   " to %" PRId64 " bytes", param, min, max);
        return false;
    }
    target = ROUND_UP(target, RESIZE_ENGINE_PAGE);
    target = MIN(target, max);

    if (resize_engine_busy(re)) {
        resize_engine_stop(re, RESIZE_STOP_REPLACED);
    }
    resize_engine_plan(re, target);
    return resize_engine_start(re, target, now_ms, errp);
}

bool resize_engine_reapply(ResizeEngine *re, int64_t now_ms)
{
    int64_t min, max, target;

    if (!re->has_target || !resize_engine_limits(re, &min, &max)) {
        return false;
    }
    target = MIN(MAX(re->target, min), max);
    if (resize_engine_busy(re)) {
        resize_engine_stop(re, RESIZE_STOP_REPLACED);
    }
    resize_engine_plan(re, target);
    return resize_engine_start(re, target, now_ms, NULL);
}

void resize_engine_node_limits(ResizeEngine *re, int node,
                               int64_t ballooned, int64_t *min,
                               int64_t *max, uint64_t *step)
{
    g_autofree ResizeNodePlan *np = g_new0(ResizeNodePlan, re->nb_nodes);

    g_assert(node >= 0 && node < re->nb_nodes);
    resize_engine_node_caps(re, np);
    *min = re->node_boot[node] - ballooned;
    *max = *min + np[node].cap;
    *step = np[node].gran ? np[node].gran : RESIZE_ENGINE_PAGE;
}

bool resize_engine_request_nodes(ResizeEngine *re, const int64_t *targets,
                                 const int64_t *ballooned,
                                 const char *param, int64_t now_ms,
                                 Error **errp)
{
    g_autofree ResizeNodePlan *np = g_new0(ResizeNodePlan, re->nb_nodes);
    BalloonBackend *bb;
    int64_t target = resize_engine_actual(re);
    int n;

    if (QTAILQ_EMPTY(&re->backends)) {
        error_setg(errp, "No memory resize backend is present");
        return false;
    }
    resize_engine_node_caps(re, np);
    for (n = 0; n < re->nb_nodes; n++) {
        int64_t min, max, plug;
        uint64_t step;

        np[n].amount = -1;
        if (targets[n] < 0) {
            continue;
        }
        resize_engine_node_limits(re, n, ballooned[n], &min, &max, &step);
        plug = targets[n] - min;
        if (targets[n] < min || targets[n] > max || plug % step) {
            error_setg(errp, "Parameter '%s' gives node %d size %" PRId64
                       "; node %d can be from %" PRId64 " to %" PRId64
                       " bytes in steps of %" PRIu64, param, n, targets[n],
                       n, min, max, step);
            return false;
        }
        np[n].amount = plug;
        target += plug - np[n].plugged;
    }

    if (resize_engine_busy(re)) {
        resize_engine_stop(re, RESIZE_STOP_REPLACED);
    }
    QTAILQ_FOREACH(bb, &re->backends, next) {
        bb->in_plan = false;
    }
    resize_engine_plan_mem(re, np);
    bb = resize_engine_active_balloon(re);
    if (bb) {
        /* The balloon is not node-aware: it stays where it is. */
        BalloonBackendInfo info;

        balloon_backend_get_info(bb, &info);
        bb->in_plan = true;
        bb->start = bb->planned = info.size;
    }
    return resize_engine_start(re, target, now_ms, errp);
}

void resize_engine_tick(ResizeEngine *re, int64_t now_ms)
{
    g_autoptr(Error) err = NULL;
    int64_t remaining;

    if (!resize_engine_busy(re)) {
        return;
    }
    if (!resize_engine_advance(re, &err)) {
        resize_engine_finish(re, RESIZE_STOP_FAILED);
        return;
    }
    if (re->phase == RESIZE_PHASE_DONE) {
        resize_engine_finish(re, RESIZE_STOP_REACHED);
        return;
    }

    if (resize_engine_phase_waits_driver(re, re->phase)) {
        BalloonBackend *active = resize_engine_active_balloon(re);

        if (active && !active->in_plan) {
            /*
             * The plan waits on a balloon whose driver never came, and
             * another balloon's driver is here now (a Windows guest's
             * hv-balloon after its hold, next to an idle virtio-balloon):
             * the same request, planned on that one.
             */
            BalloonBackend *bb;

            QTAILQ_FOREACH(bb, &re->backends, next) {
                if (bb->in_plan && resize_engine_is_balloon(bb)) {
                    /* Its stale request must not act if a driver comes. */
                    balloon_backend_set_target(bb, bb->start, NULL);
                }
            }
            resize_engine_plan(re, re->target);
            resize_engine_start(re, re->target, now_ms, NULL);
            return;
        }
        /* Waiting for a driver is not a stall: keep the clock fresh. */
        re->last_progress_ms = now_ms;
        resize_engine_set_state(re, RESIZE_STATE_NO_GUEST_DRIVER);
        return;
    }
    if (re->state == RESIZE_STATE_NO_GUEST_DRIVER) {
        /* The driver is back: ask again, a reset may have lost the target. */
        if (!resize_engine_issue(re, re->phase, &err)) {
            resize_engine_finish(re, RESIZE_STOP_FAILED);
            return;
        }
        resize_engine_set_state(re, RESIZE_STATE_RESIZING);
    }

    remaining = resize_engine_remaining(re);
    if (remaining < re->best_remaining) {
        re->best_remaining = remaining;
        re->last_progress_ms = now_ms;
        resize_engine_set_state(re, RESIZE_STATE_RESIZING);
    } else if (now_ms - re->last_progress_ms >= re->stall_ms &&
               re->state != RESIZE_STATE_STALLED) {
        resize_engine_set_state(re, RESIZE_STATE_STALLED);
        resize_engine_stop(re, RESIZE_STOP_STALLED);
    }
}

bool resize_engine_busy(ResizeEngine *re)
{
    return re->phase != RESIZE_PHASE_DONE;
}

void resize_engine_progress(ResizeEngine *re, int64_t *done, int64_t *todo)
{
    int64_t left = resize_engine_busy(re) ? resize_engine_remaining(re) : 0;

    *todo = re->todo;
    *done = MAX(re->todo - left, 0);
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
