/*
 * Unified balloon frontend: calls into backends
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "balloon-backend.h"

void balloon_backend_get_info(BalloonBackend *bb, BalloonBackendInfo *info)
{
    g_assert(bb->klass->get_info);
    memset(info, 0, sizeof(*info));
    info->node = -1;
    bb->klass->get_info(bb, info);
    /* Host invariants of the hook's contract, not guest input. */
    g_assert(info->min_size <= info->max_size);
    g_assert(is_power_of_2(info->granularity) &&
             info->granularity >= 4 * KiB);
}

bool balloon_backend_set_target(BalloonBackend *bb, int64_t size,
                                Error **errp)
{
    g_assert(bb->klass->set_target);
    return bb->klass->set_target(bb, size, errp);
}

bool balloon_backend_foreach_range(BalloonBackend *bb, RangeSetFunc fn,
                                   void *opaque)
{
    return bb->klass->foreach_range &&
           bb->klass->foreach_range(bb, fn, opaque);
}

int64_t balloon_backend_node_room(BalloonBackend *bb, int node)
{
    return bb->klass->node_room ? MAX(bb->klass->node_room(bb, node), 0) : 0;
}

void balloon_backend_set_growth_node(BalloonBackend *bb, int node)
{
    if (bb->klass->set_growth_node) {
        bb->klass->set_growth_node(bb, node);
    }
}

bool balloon_backend_get_report(BalloonBackend *bb,
                                BalloonBackendReport *report)
{
    memset(report, 0, sizeof(*report));
    report->age_ms = -1;
    report->pressure = -1;
    return bb->klass->get_report && bb->klass->get_report(bb, report);
}

void balloon_backend_set_report_interval(BalloonBackend *bb,
                                         int64_t interval_ms)
{
    if (bb->klass->set_report_interval) {
        bb->klass->set_report_interval(bb, interval_ms);
    }
}

void balloon_backend_release(BalloonBackend *bb)
{
    if (bb->klass->release) {
        bb->klass->release(bb);
    }
}

bool balloon_backend_is_balloon(BalloonBackend *bb)
{
    g_assert(bb->klass->role < BALLOON_BACKEND_ROLE__MAX);
    return bb->klass->role == BALLOON_BACKEND_ROLE_BALLOON;
}
