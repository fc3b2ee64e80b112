/*
 * Unified balloon frontend: hv-balloon backend
 *
 * hv-balloon contributes what it hot-added minus what the guest returned.
 * Its own state machine reaches a target guest size by itself:
 * unballooning first, then hot-adding in the guest's alignment, then
 * ballooning back any excess, in requests of at most 585728 pages; so a
 * contribution maps to one target, base + contribution.
 *
 * Its driver counts as connected only once the post-init wait is over:
 * until then requests are held (Windows crashes on early requests), and
 * the frontend reports the request pending, not stalled.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hv-balloon-backend.h"
#include "trace.h"

#define HV_BALLOON_BACKEND_PAGE (4 * KiB)

typedef struct HvBalloonBackend {
    BalloonBackend bb;
    const HvBalloonBackendOps *ops;
    void *dev;
} HvBalloonBackend;

static void hv_balloon_backend_get_info(BalloonBackend *bb,
                                        BalloonBackendInfo *info)
{
    HvBalloonBackend *hb = container_of(bb, HvBalloonBackend, bb);
    int64_t base = hb->ops->base_size(hb->dev);
    HvBalloonState st;
    int64_t added, returned;

    hb->ops->get_state(hb->dev, &st);
    info->driver_connected = st.connected && !st.holding;
    info->driver_pending = st.connected && st.holding;
    info->node = -1;            /* the protocol has no nodes */
    info->granularity = HV_BALLOON_BACKEND_PAGE;
    info->min_size = -(base - HV_BALLOON_BACKEND_PAGE);
    /*
     * What hot-add can reach: the memdev, unless a connected guest said
     * it cannot hot-add.  Whatever the device reports, the figures are
     * clamped: a guest can claim to have returned more than it has.
     */
    info->max_size = QEMU_ALIGN_DOWN(MIN(st.hot_add_max, INT64_MAX / 2),
                                     HV_BALLOON_BACKEND_PAGE);
    added = MIN(st.hot_added, (uint64_t)info->max_size);
    if (st.connected && !st.hot_add_align) {
        info->max_size = QEMU_ALIGN_DOWN(added, HV_BALLOON_BACKEND_PAGE);
        if (st.hot_add_max > st.hot_added) {
            info->limit_reason = "the guest reports no hot-add support "
                                 "(Linux and Windows guests need ACPI S4 "
                                 "disabled, e.g. -global "
                                 "ICH9-LPC.disable_s4=1)";
        }
    } else if (st.hot_add_refused) {
        info->limit_reason = "the guest refused a hot-add; none is tried "
                             "again until the VM is reset";
    }
    returned = MIN(st.ballooned, (uint64_t)(base - HV_BALLOON_BACKEND_PAGE) +
                   (uint64_t)added);
    info->size = MAX(added - returned, info->min_size);
    info->hot_added = added;
}

static bool hv_balloon_backend_set_target(BalloonBackend *bb, int64_t size,
                                          Error **errp)
{
    HvBalloonBackend *hb = container_of(bb, HvBalloonBackend, bb);

    trace_hv_balloon_backend_set_target(bb->id, size);
    hb->ops->set_target(hb->dev, hb->ops->base_size(hb->dev) + size);
    return true;
}

static void hv_balloon_backend_release(BalloonBackend *bb)
{
    HvBalloonBackend *hb = container_of(bb, HvBalloonBackend, bb);

    if (hb->ops->release) {
        hb->ops->release(hb->dev);
    }
    g_free(hb->bb.id);
    g_free(hb);
}

static const BalloonBackendClass hv_balloon_backend_class = {
    .type = "hv-balloon",
    .role = BALLOON_BACKEND_ROLE_BALLOON,
    .get_info = hv_balloon_backend_get_info,
    .set_target = hv_balloon_backend_set_target,
    .release = hv_balloon_backend_release,
};

BalloonBackend *hv_balloon_backend_new(const HvBalloonBackendOps *ops,
                                       void *dev, const char *id)
{
    HvBalloonBackend *hb = g_new0(HvBalloonBackend, 1);

    hb->ops = ops;
    hb->dev = dev;
    hb->bb.klass = &hv_balloon_backend_class;
    hb->bb.id = g_strdup(id);
    return &hb->bb;
}
