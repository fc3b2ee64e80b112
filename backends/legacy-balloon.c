/*
 * Unified balloon frontend: a balloon driven only through its handler
 *
 * A device that registers a balloon handler without a backend of its
 * own (none in this tree: virtio-balloon and hv-balloon have theirs) is
 * driven through exactly that handler: a target guest size in, the guest
 * size out.  Its contribution is the guest size it reports minus the
 * frontend's base, its range runs from ballooning all but one page to
 * hot-adding its whole memdev if it has a "memdev" link.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "hw/qdev-core.h"
#include "system/hostmem.h"
#include "backends.h"
#include "../frontend/balloon-frontend.h"
#include "trace.h"

#define LEGACY_BALLOON_BACKEND_PAGE (4 * KiB)

typedef struct LegacyBalloonBackend {
    BalloonBackend bb;
    Object *dev;
    QEMUBalloonEvent *event_fn;
    QEMUBalloonStatus *stat_fn;
} LegacyBalloonBackend;

/* Memory the device can hot-add: its memdev, if it has one. */
static int64_t legacy_balloon_backend_hot_add_max(LegacyBalloonBackend *lb)
{
    Object *memdev;

    if (!object_property_find(lb->dev, "memdev")) {
        return 0;
    }
    memdev = object_property_get_link(lb->dev, "memdev", NULL);
    if (!memdev) {
        return 0;
    }
    return host_memory_backend_get_memory(MEMORY_BACKEND(memdev))->size;
}

static void legacy_balloon_backend_get_info(BalloonBackend *bb,
                                            BalloonBackendInfo *info)
{
    LegacyBalloonBackend *lb = container_of(bb, LegacyBalloonBackend, bb);
    int64_t base = balloon_frontend_base_size();
    BalloonInfo bi = { 0 };

    lb->stat_fn(lb->dev, &bi);
    info->driver_connected = true;      /* not known through the handler */
    info->min_size = -(base - LEGACY_BALLOON_BACKEND_PAGE);
    info->max_size = QEMU_ALIGN_DOWN(legacy_balloon_backend_hot_add_max(lb),
                                     LEGACY_BALLOON_BACKEND_PAGE);
    info->size = MIN(MAX(bi.actual - base, info->min_size), info->max_size);
    info->granularity = LEGACY_BALLOON_BACKEND_PAGE;
}

static bool legacy_balloon_backend_set_target(BalloonBackend *bb,
                                              int64_t size, Error **errp)
{
    LegacyBalloonBackend *lb = container_of(bb, LegacyBalloonBackend, bb);

    trace_legacy_balloon_backend_set_target(bb->id, size);
    lb->event_fn(lb->dev, balloon_frontend_base_size() + size);
    return true;
}

static const BalloonBackendClass legacy_balloon_backend_class = {
    .kind = BALLOON_BACKEND_KIND_HV_BALLOON,
    .get_info = legacy_balloon_backend_get_info,
    .set_target = legacy_balloon_backend_set_target,
};

BalloonBackend *legacy_balloon_backend_new(Object *dev,
                                           QEMUBalloonEvent *event_fn,
                                           QEMUBalloonStatus *stat_fn)
{
    LegacyBalloonBackend *lb = g_new0(LegacyBalloonBackend, 1);

    lb->dev = dev;
    lb->event_fn = event_fn;
    lb->stat_fn = stat_fn;
    lb->bb.klass = &legacy_balloon_backend_class;
    lb->bb.id = balloon_frontend_device_id(DEVICE(dev));
    lb->bb.opaque = dev;
    return &lb->bb;
}

void legacy_balloon_backend_free(BalloonBackend *bb)
{
    LegacyBalloonBackend *lb = container_of(bb, LegacyBalloonBackend, bb);

    g_free(lb->bb.id);
    g_free(lb);
}
