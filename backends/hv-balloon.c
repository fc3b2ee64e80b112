/*
 * Unified balloon frontend: hv-balloon backend, on the device
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/qdev-core.h"
#include "hv-balloon.h"
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

static const HvBalloonBackendOps hv_balloon_dev_ops = {
    .get_state = hv_balloon_dev_get_state,
    .set_target = hv_balloon_dev_set_target,
    .base_size = hv_balloon_dev_base_size,
    .release = g_free,
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
