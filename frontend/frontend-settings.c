/*
 * Unified balloon frontend: the per-VM settings, checked and put in force
 *
 * Every setting of the balloon-frontend object (frontend-object.c), as
 * the command line, qom-set, memory-resize-auto or a migration gives
 * it, is checked here against the machine, with an error naming the
 * property and its range, automatic sizing's included, and put in force
 * from here: the engine's (floor, stall timeout, NUMA policy) and
 * automatic sizing's (frontend_auto_apply()).
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-types-qom.h"
#include "hw/qdev-core.h"
#include "balloon-frontend-internal.h"
#include "frontend-auto.h"
#include "frontend-settings.h"
#include "auto-size.h"
#include "trace.h"

void frontend_settings_default(BalloonFrontendSettings *s)
{
    s->floor = 0;
    s->stall_ms = BALLOON_FRONTEND_DEFAULT_STALL_MS;
    s->policy = BALLOON_FRONTEND_POLICY_PROPORTIONAL;
    s->prefer_node = 0;
    s->auto_enabled = false;
    s->auto_minimum = 0;
    s->auto_maximum = 0;
    s->auto_ceiling = 0;
    s->auto_node_maximum = 0;
    s->auto_buffer = AUTO_SIZE_BUFFER_DEFAULT;
    s->auto_weight = AUTO_SIZE_WEIGHT_DEFAULT;
}

/*
 * The per-node maximum, once the machine is ready: from the largest
 * node's boot memory (only ballooning, which is not node-aware, could
 * keep a node below it) to @reach, and leaving room for the minimum.
 */
static bool frontend_settings_check_node(const BalloonFrontendSettings *s,
                                         int64_t reach, Error **errp)
{
    ResizeEngine *re = balloon_frontend_get_engine();
    int64_t least = resize_engine_node_ceiling_min(re), lo, hi;

    if (s->auto_node_maximum < least || s->auto_node_maximum > reach) {
        error_setg(errp, "Property 'auto-node-maximum' expects 0 or a size "
                   "from %" PRId64 " (the largest node's boot memory) to %"
                   PRId64 " bytes", least, reach);
        return false;
    }
    resize_engine_limits_within(re, s->auto_node_maximum, &lo, &hi);
    if (s->auto_minimum > hi) {
        error_setg(errp, "Property 'auto-node-maximum' lets the nodes reach "
                   "%" PRId64 " bytes, below 'auto-minimum' (%" PRId64
                   " bytes)", hi, s->auto_minimum);
        return false;
    }
    return true;
}

bool frontend_settings_check_auto(const BalloonFrontendSettings *s,
                                  int64_t reach, Error **errp)
{
    if (s->auto_buffer < AUTO_SIZE_BUFFER_MIN ||
        s->auto_buffer > AUTO_SIZE_BUFFER_MAX) {
        error_setg(errp, "Property 'auto-buffer' expects %d to %d (percent "
                   "of the guest's demand)", AUTO_SIZE_BUFFER_MIN,
                   AUTO_SIZE_BUFFER_MAX);
        return false;
    }
    if (s->auto_weight < AUTO_SIZE_WEIGHT_MIN ||
        s->auto_weight > AUTO_SIZE_WEIGHT_MAX) {
        error_setg(errp, "Property 'auto-weight' expects %d to %d",
                   AUTO_SIZE_WEIGHT_MIN, AUTO_SIZE_WEIGHT_MAX);
        return false;
    }
    if (s->auto_maximum && s->auto_minimum > s->auto_maximum) {
        error_setg(errp, "Property 'auto-minimum' (%" PRId64 " bytes) "
                   "expects at most 'auto-maximum' (%" PRId64 " bytes)",
                   s->auto_minimum, s->auto_maximum);
        return false;
    }
    if (s->auto_ceiling && s->auto_ceiling < s->auto_minimum) {
        error_setg(errp, "Property 'auto-ceiling' expects 0 or a size of at "
                   "least 'auto-minimum' (%" PRId64 " bytes)",
                   s->auto_minimum);
        return false;
    }
    if (reach >= 0 && s->auto_node_maximum &&
        !frontend_settings_check_node(s, reach, errp)) {
        return false;
    }
    if (reach >= 0 && (s->auto_maximum > reach || s->auto_minimum > reach)) {
        error_setg(errp, "Property '%s' expects a size from 0 to %" PRId64
                   " bytes (the largest this VM's resize backends can "
                   "reach; 0: that)", s->auto_maximum > reach ?
                   "auto-maximum" : "auto-minimum", reach);
        return false;
    }
    return true;
}

bool frontend_settings_check(const BalloonFrontendSettings *s, Error **errp)
{
    bool ready = phase_check(PHASE_MACHINE_READY);
    int64_t max = ready ? balloon_frontend_max_reach() : -1;
    int nb_nodes;

    if (s->stall_ms < BALLOON_FRONTEND_STALL_MIN_S * 1000 ||
        s->stall_ms > BALLOON_FRONTEND_STALL_MAX_S * 1000) {
        error_setg(errp, "Property 'stall-timeout' expects %d to %d "
                   "(seconds)", BALLOON_FRONTEND_STALL_MIN_S,
                   BALLOON_FRONTEND_STALL_MAX_S);
        return false;
    }
    if (s->policy < 0 || s->policy >= BALLOON_FRONTEND_POLICY__MAX) {
        error_setg(errp, "Property 'policy' expects proportional, fill or "
                   "prefer");
        return false;
    }
    if (!frontend_settings_check_auto(s, max, errp)) {
        return false;
    }
    if (!ready) {
        /* The rest is checked once the machine is. */
        if (s->prefer_node < 0 || s->prefer_node >= RESIZE_ENGINE_MAX_NODES) {
            error_setg(errp, "Property 'prefer-node' expects a node from 0 "
                       "to %d", RESIZE_ENGINE_MAX_NODES - 1);
            return false;
        }
        return true;
    }

    if (s->floor < 0 || s->floor > max) {
        error_setg(errp, "Property 'floor' expects a size from 0 to %"
                   PRId64 " bytes (the largest this VM's resize backends "
                   "can reach)", max);
        return false;
    }
    nb_nodes = resize_engine_nb_nodes(balloon_frontend_get_engine());
    if (s->prefer_node < 0 || s->prefer_node >= nb_nodes) {
        error_setg(errp, "Property 'prefer-node' expects a node from 0 to "
                   "%d (the guest has %d NUMA node%s)", nb_nodes - 1,
                   nb_nodes, nb_nodes > 1 ? "s" : "");
        return false;
    }
    return true;
}

void frontend_settings_apply(const BalloonFrontendSettings *s)
{
    ResizeEngineConfig cfg = {
        .floor = s->floor,
        .stall_ms = s->stall_ms,
        .policy = (ResizePolicy)s->policy,
        .prefer_node = s->prefer_node,
    };

    trace_balloon_frontend_setting("floor", s->floor);
    trace_balloon_frontend_setting("stall-ms", s->stall_ms);
    trace_balloon_frontend_setting("policy", s->policy);
    trace_balloon_frontend_setting("prefer-node", s->prefer_node);
    resize_engine_configure(balloon_frontend_get_engine(), &cfg);
    frontend_auto_apply(s);
}
