/*
 * Unified balloon frontend: hv-balloon backend, on the device
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/qdev-core.h"
#include "backends.h"
#include "hv-balloon-backend.h"
#include "../frontend/balloon-frontend.h"

typedef struct HvBalloonDev {
    HvBalloon *balloon;
    QEMUBalloonEvent *event_fn;
} HvBalloonDev;

static void hv_balloon_dev_get_state(void *dev, HvBalloonState *state)
{
    hv_balloon_get_state(((HvBalloonDev *)dev)->balloon, state);
}

static void hv_balloon_dev_set_target(void *dev, uint64_t target)
{
    HvBalloonDev *hd = dev;

    hd->event_fn(hd->balloon, target);
}

static int64_t hv_balloon_dev_base_size(void *dev)
{
    return balloon_frontend_base_size();
}

static const HvBalloonBackendOps hv_balloon_dev_ops = {
    .get_state = hv_balloon_dev_get_state,
    .set_target = hv_balloon_dev_set_target,
    .base_size = hv_balloon_dev_base_size,
};

BalloonBackend *hv_balloon_dev_backend_new(Object *obj,
                                           QEMUBalloonEvent *event_fn)
{
    HvBalloon *balloon = (HvBalloon *)object_dynamic_cast(obj,
                                                          TYPE_HV_BALLOON);
    g_autofree char *id = NULL;
    HvBalloonDev *hd;

    if (!balloon) {
        return NULL;
    }
    hd = g_new0(HvBalloonDev, 1);
    hd->balloon = balloon;
    hd->event_fn = event_fn;
    id = balloon_frontend_device_id(DEVICE(obj));
    return hv_balloon_backend_new(&hv_balloon_dev_ops, hd, obj, id);
}

void hv_balloon_dev_backend_free(BalloonBackend *bb)
{
    g_free(hv_balloon_backend_free(bb));
}
