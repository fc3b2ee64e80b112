/*
 * Unified balloon frontend: the hv-balloon adapter on the device, as
 * hw/hyperv/hv-balloon.c calls it
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/qdev-core.h"
#include "hw/hyperv/hyperv.h"
#include "hv-balloon-dev.h"
#include "hv-balloon-backend.h"

typedef struct HvBalloonDev {
    HvBalloon *balloon;
    QEMUBalloonEvent *to_target;
} HvBalloonDev;

static void hv_balloon_dev_get_state(void *dev, HvBalloonState *state)
{
    hv_balloon_get_state(((HvBalloonDev *)dev)->balloon, state);
}

static void hv_balloon_dev_set_target(void *dev, uint64_t target)
{
    HvBalloonDev *hd = dev;

    hd->to_target(hd->balloon, target);
}

static int64_t hv_balloon_dev_base_size(void *dev)
{
    return balloon_frontend_base_size();
}

static void hv_balloon_dev_foreach_removed(void *dev, RangeSetFunc fn,
                                           void *opaque)
{
    hv_balloon_foreach_removed(((HvBalloonDev *)dev)->balloon, fn, opaque);
}

static void hv_balloon_dev_set_unballoon_preference(void *dev,
                                                    RangeSet *prefer)
{
    hv_balloon_set_unballoon_preference(((HvBalloonDev *)dev)->balloon,
                                        prefer);
}

static uint64_t hv_balloon_dev_guest_os_id(void *dev)
{
    return hyperv_guest_os_id();
}

static int hv_balloon_dev_nb_nodes(void *dev)
{
    return balloon_frontend_nb_nodes();
}

static RangeSet *hv_balloon_dev_node_pages(void *dev, int node)
{
    return balloon_frontend_node_pages(node);
}

static void hv_balloon_dev_get_hint_stats(void *dev,
                                          HvBalloonHintStats *stats)
{
    hv_balloon_get_hint_stats(((HvBalloonDev *)dev)->balloon, stats);
}

static const HvBalloonBackendOps hv_balloon_dev_ops = {
    .get_state = hv_balloon_dev_get_state,
    .set_target = hv_balloon_dev_set_target,
    .base_size = hv_balloon_dev_base_size,
    .release = g_free,
    .foreach_removed = hv_balloon_dev_foreach_removed,
    .set_unballoon_preference = hv_balloon_dev_set_unballoon_preference,
    .guest_os_id = hv_balloon_dev_guest_os_id,
    .nb_nodes = hv_balloon_dev_nb_nodes,
    .node_pages = hv_balloon_dev_node_pages,
    .get_hint_stats = hv_balloon_dev_get_hint_stats,
};

BalloonBackend *hv_balloon_dev_backend_new(HvBalloon *balloon,
                                           QEMUBalloonEvent *to_target)
{
    g_autofree char *id = balloon_frontend_device_id(DEVICE(balloon));
    HvBalloonDev *hd = g_new0(HvBalloonDev, 1);
    BalloonBackend *bb;

    hd->balloon = balloon;
    hd->to_target = to_target;
    bb = hv_balloon_backend_new(&hv_balloon_dev_ops, hd, id);
    balloon_frontend_register(bb);
    return bb;
}
