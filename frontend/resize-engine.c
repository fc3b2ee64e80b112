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
#include "trace.h"

/* Targets are reached to the page: the balloon's unit. */
#define RESIZE_ENGINE_PAGE (4 * KiB)

/* Default: no progress for this long means the guest is stuck. */
#define RESIZE_ENGINE_DEFAULT_STALL_MS (30 * 1000)

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

static ResizeSlot *resize_engine_active_slot(ResizeEngine *re)
{
    ResizeSlot *slot, *first = NULL, *connected = NULL, *pending = NULL;

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
        if (!first) {
            first = slot;
        }
    }
    return connected ? connected : pending ? pending : first;
}

BalloonBackend *resize_engine_active_balloon(ResizeEngine *re)
{
    ResizeSlot *slot = resize_engine_active_slot(re);

    return slot ? slot->bb : NULL;
}

bool resize_engine_limits(ResizeEngine *re, int64_t *min, int64_t *max)
{
    ResizeSlot *slot, *balloon = resize_engine_active_slot(re);
    int64_t lo = re->base, hi = re->base;

    if (QTAILQ_EMPTY(&re->backends)) {
        return false;
    }
    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;

        if (resize_engine_is_balloon(slot) && slot != balloon) {
            continue;       /* an idle balloon is not part of any plan */
        }
        resize_engine_info(slot, &info);
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
    ResizeSlot *slot;

    memset(np, 0, sizeof(*np) * re->nb_nodes);
    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;
        int n;

        if (resize_engine_is_balloon(slot)) {
            continue;
        }
        resize_engine_info(slot, &info);
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

/* Put @slot in the plan: from @size now to @planned. */
static void resize_engine_plan_slot(ResizeSlot *slot, int64_t size,
                                    int64_t planned)
{
    slot->in_plan = true;
    slot->start = size;
    slot->planned = planned;
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
 * share np[n].amount (nodes with amount < 0 keep their devices as they
 * are).  Returns the bytes planned in all.
 */
static int64_t resize_engine_plan_mem(ResizeEngine *re, ResizeNodePlan *np)
{
    ResizeSlot *slot;
    int64_t plugged = 0;

    QTAILQ_FOREACH(slot, &re->backends, next) {
        BalloonBackendInfo info;
        int64_t planned;
        int n;

        if (resize_engine_is_balloon(slot)) {
            continue;
        }
        resize_engine_info(slot, &info);
        n = resize_engine_node_of(re, &info);
        if (np[n].amount < 0) {
            planned = info.size;
        } else {
            planned = MIN(np[n].amount, info.max_size);
            np[n].amount -= planned;
        }
        resize_engine_plan_slot(slot, info.size, planned);
        plugged += planned;
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
    ResizeSlot *balloon = resize_engine_active_slot(re);
    g_autofree ResizeNodePlan *np = g_new0(ResizeNodePlan, re->nb_nodes);
    BalloonBackendInfo binfo;
    int64_t want = target - re->base;
    int64_t plugged, rest, planned;

    trace_resize_engine_plan(target, resize_engine_actual(re));
    resize_engine_unplan(re);
    resize_engine_node_caps(re, np);
    resize_engine_distribute(re, np, MAX(want, 0), balloon != NULL);
    plugged = resize_engine_plan_mem(re, np);
    rest = MAX(want, 0) - plugged;

    if (balloon) {
        resize_engine_info(balloon, &binfo);
        if (want <= 0) {
            planned = want;
        } else if (rest > 0) {
            planned = ROUND_UP(rest, binfo.granularity);
        } else {
            /* Give back the part of the last block beyond the target. */
            planned = want - plugged;
        }
        planned = MAX(MIN(planned, binfo.max_size), binfo.min_size);
        resize_engine_plan_slot(balloon, binfo.size, planned);
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

/* Remember why the request in flight failed, for the user. */
static void resize_engine_set_error(ResizeEngine *re, Error *err)
{
    g_free(re->error);
    re->error = g_strdup(error_get_pretty(err));
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

/* The request in flight fails with @err (freed): the user learns why. */
static void resize_engine_fail(ResizeEngine *re, Error *err)
{
    resize_engine_set_error(re, err);
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
            if (!balloon_backend_set_target(slot->bb, slot->start, &err)) {
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
 * Ask every backend of @phase for its planned contribution.  All or
 * nothing: if one refuses, roll back every backend asked so far and
 * fail with its message (and what the rollback could not undo).
 */
static bool resize_engine_issue(ResizeEngine *re, ResizePhase phase,
                                Error **errp)
{
    ResizeSlot *slot;

    trace_resize_engine_phase_start(resize_engine_phase_str(phase));
    QTAILQ_FOREACH(slot, &re->backends, next) {
        g_autoptr(GString) failures = NULL;
        Error *err = NULL;

        if (!resize_engine_in_phase(slot, phase)) {
            continue;
        }
        if (balloon_backend_set_target(slot->bb, slot->planned, &err)) {
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
            !resize_engine_issue(re, re->phase, errp)) {
            return false;
        }
    }
    return true;
}

/*
 * Start the plan the slots' in_plan/planned describe, toward @target:
 * backends already where the plan wants them stop any older move, then
 * the first phase is issued.  On error the engine is left failed, with
 * the message in re->error, and no stop is reported.
 */
static bool resize_engine_start(ResizeEngine *re, int64_t target,
                                int64_t now_ms, Error **errp)
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
        if (info.size == slot->planned &&
            !balloon_backend_set_target(slot->bb, slot->planned, &err)) {
            resize_engine_unplan(re);
            break;
        }
    }

    re->has_target = true;
    re->target = target;
    re->todo = resize_engine_remaining(re);
    re->best_remaining = re->todo;
    re->last_progress_ms = now_ms;
    re->phase = RESIZE_PHASE_DEFLATE;
    if (err || !resize_engine_issue(re, re->phase, &err) ||
        !resize_engine_advance(re, &err)) {
        re->has_target = false;
        re->phase = RESIZE_PHASE_DONE;
        resize_engine_set_error(re, err);
        error_propagate(errp, err);
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

/*
 * Plan @target again from where the backends are now (@why says what
 * made it necessary) and start it; a failure ends the request, reported.
 */
static bool resize_engine_replan(ResizeEngine *re, int64_t target,
                                 const char *why, int64_t now_ms)
{
    Error *err = NULL;

    trace_resize_engine_replan(why, target);
    resize_engine_plan(re, target);
    if (!resize_engine_start(re, target, now_ms, &err)) {
        /* Keep the target: it is still what the user asked for. */
        re->has_target = true;
        resize_engine_stop(re, RESIZE_STOP_FAILED);
        error_free(err);
        return false;
    }
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
    int64_t min, max;

    if (!re->has_target || !resize_engine_limits(re, &min, &max)) {
        return false;
    }
    if (resize_engine_busy(re)) {
        resize_engine_stop(re, RESIZE_STOP_REPLACED);
    }
    resize_engine_replan(re, MIN(MAX(re->target, min), max), "reset",
                         now_ms);
    return true;
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
    ResizeSlot *balloon;
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
    trace_resize_engine_plan(target, resize_engine_actual(re));
    resize_engine_unplan(re);
    resize_engine_plan_mem(re, np);
    balloon = resize_engine_active_slot(re);
    if (balloon) {
        /* The balloon is not node-aware: it stays where it is. */
        BalloonBackendInfo info;

        resize_engine_info(balloon, &info);
        resize_engine_plan_slot(balloon, info.size, info.size);
    }
    return resize_engine_start(re, target, now_ms, errp);
}

void resize_engine_tick(ResizeEngine *re, int64_t now_ms)
{
    Error *err = NULL;
    int64_t remaining;

    if (!resize_engine_busy(re)) {
        return;
    }
    if (!resize_engine_advance(re, &err)) {
        resize_engine_fail(re, err);
        return;
    }
    if (re->phase == RESIZE_PHASE_DONE) {
        resize_engine_finish(re, RESIZE_STOP_REACHED);
        return;
    }

    if (resize_engine_phase_waits_driver(re, re->phase)) {
        ResizeSlot *active = resize_engine_active_slot(re);

        if (active && !active->in_plan) {
            /*
             * The plan waits on a balloon whose driver never came, and
             * another balloon's driver is here now (a Windows guest's
             * hv-balloon after its hold, next to an idle virtio-balloon):
             * the same request, planned on that one.
             */
            ResizeSlot *slot;

            QTAILQ_FOREACH(slot, &re->backends, next) {
                if (slot->in_plan && resize_engine_is_balloon(slot)) {
                    /* Its stale request must not act if a driver comes. */
                    trace_resize_engine_rollback(slot->bb->id, slot->start);
                    if (!balloon_backend_set_target(slot->bb, slot->start,
                                                    &err)) {
                        trace_resize_engine_rollback_failed(
                            slot->bb->id, error_get_pretty(err));
                        error_free(err);
                        err = NULL;
                    }
                }
            }
            resize_engine_replan(re, re->target, "driver", now_ms);
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
            resize_engine_fail(re, err);
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
