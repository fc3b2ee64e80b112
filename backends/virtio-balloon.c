/*
 * Unified balloon frontend: virtio-balloon backend
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "hw/qdev-core.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-balloon.h"
#include "standard-headers/linux/virtio_config.h"
#include "backends.h"
#include "../frontend/balloon-frontend.h"
#include "trace.h"

/* The virtio-balloon protocol works in 4 KiB pages, 32-bit counts. */
#define VIRTIO_BALLOON_BACKEND_PAGE (4 * KiB)
#define VIRTIO_BALLOON_BACKEND_MAX_PAGES UINT32_MAX

typedef struct VirtioBalloonBackend {
    BalloonBackend bb;
    VirtIOBalloon *dev;
    QEMUBalloonEvent *event_fn;
} VirtioBalloonBackend;

/* Most the balloon may hold: all of base but one page, within 32 bits. */
static int64_t virtio_balloon_backend_max_held(void)
{
    int64_t base = balloon_frontend_base_size();

    return MIN(base - VIRTIO_BALLOON_BACKEND_PAGE,
               (int64_t)VIRTIO_BALLOON_BACKEND_MAX_PAGES *
               VIRTIO_BALLOON_BACKEND_PAGE);
}

static void virtio_balloon_backend_get_info(BalloonBackend *bb,
                                            BalloonBackendInfo *info)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);
    VirtIODevice *vdev = VIRTIO_DEVICE(vb->dev);
    int64_t held = virtio_balloon_backend_max_held();
    /* 'actual' is written by the guest: never trust it past the maximum. */
    int64_t actual = MIN((int64_t)vb->dev->actual *
                         VIRTIO_BALLOON_BACKEND_PAGE, held);

    info->driver_connected = vdev->status & VIRTIO_CONFIG_S_DRIVER_OK;
    info->size = -actual;
    info->min_size = -held;
    info->max_size = 0;
    info->granularity = VIRTIO_BALLOON_BACKEND_PAGE;
}

static bool virtio_balloon_backend_set_target(BalloonBackend *bb,
                                              int64_t size, Error **errp)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);
    int64_t base = balloon_frontend_base_size();

    /*
     * The device's handler takes the guest size it should leave, counted
     * from the same base (boot RAM + DIMMs): base + size keeps -size
     * bytes in the balloon.
     */
    trace_virtio_balloon_backend_set_target(bb->id, size);
    vb->event_fn(vb->dev, base + size);
    return true;
}

static const BalloonBackendClass virtio_balloon_backend_class = {
    .kind = BALLOON_BACKEND_KIND_VIRTIO_BALLOON,
    .get_info = virtio_balloon_backend_get_info,
    .set_target = virtio_balloon_backend_set_target,
};

BalloonBackend *virtio_balloon_backend_new(Object *obj,
                                           QEMUBalloonEvent *event_fn)
{
    VirtIOBalloon *dev = (VirtIOBalloon *)object_dynamic_cast(
        obj, TYPE_VIRTIO_BALLOON);
    VirtioBalloonBackend *vb;

    if (!dev) {
        return NULL;
    }
    vb = g_new0(VirtioBalloonBackend, 1);
    vb->dev = dev;
    vb->event_fn = event_fn;
    vb->bb.klass = &virtio_balloon_backend_class;
    vb->bb.id = balloon_frontend_device_id(DEVICE(dev));
    vb->bb.opaque = dev;
    return &vb->bb;
}

void virtio_balloon_backend_free(BalloonBackend *bb)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);

    g_free(vb->bb.id);
    g_free(vb);
}
