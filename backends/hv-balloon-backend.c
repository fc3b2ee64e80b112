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

/* Linux names itself in the guest OS ID's top 16 bits. */
#define HV_BALLOON_BACKEND_LINUX_VENDOR 0x8100

typedef struct HvBalloonBackend {
    BalloonBackend bb;
    const HvBalloonBackendOps *ops;
    void *dev;
    bool os_known;              /* linux_guest is what the guest said */
    bool linux_guest;
} HvBalloonBackend;

static int hv_balloon_backend_nb_nodes(HvBalloonBackend *hb)
{
    return hb->ops->nb_nodes ? MAX(hb->ops->nb_nodes(hb->dev), 1) : 1;
}

/*
 * The node a guest puts memory hv-balloon hot-adds on.  Linux's
 * hv_balloon takes the node of its first memory block
 * (memory_add_physaddr_to_nid() ignores the SRAT's hot-plug ranges):
 * the lowest node with boot memory.  Other guests (Windows) follow the
 * SRAT: the device's 'node', else the highest node.
 */
static int hv_balloon_backend_hot_add_node(HvBalloonBackend *hb,
                                           const HvBalloonState *st)
{
    int n, nb = hv_balloon_backend_nb_nodes(hb);

    if (hb->linux_guest) {
        for (n = 0; n < nb && hb->ops->node_pages; n++) {
            RangeSet *pages = hb->ops->node_pages(hb->dev, n);

            if (pages && range_set_total(pages)) {
                return n;
            }
        }
        return 0;
    }
    return st->hot_add_node >= 0 && st->hot_add_node < nb ? st->hot_add_node
                                                           : nb - 1;
}

/* Learn what the guest is, once per connection of its driver. */
static void hv_balloon_backend_check_guest(HvBalloonBackend *hb,
                                           const HvBalloonState *st)
{
    if (!st->connected) {
        hb->os_known = false;
        return;
    }
    if (!hb->os_known && hb->ops->guest_os_id) {
        uint64_t id = hb->ops->guest_os_id(hb->dev);

        hb->os_known = true;
        hb->linux_guest = (id >> 48) == HV_BALLOON_BACKEND_LINUX_VENDOR;
        trace_hv_balloon_backend_guest(hb->bb.id, id, hb->linux_guest);
    }
}

static void hv_balloon_backend_get_info(BalloonBackend *bb,
                                        BalloonBackendInfo *info)
{
    HvBalloonBackend *hb = container_of(bb, HvBalloonBackend, bb);
    int64_t base = hb->ops->base_size(hb->dev);
    HvBalloonState st;
    int64_t added, returned;

    hb->ops->get_state(hb->dev, &st);
    hv_balloon_backend_check_guest(hb, &st);
    info->driver_connected = st.connected && !st.holding;
    info->driver_pending = st.connected && st.holding;
    /* The protocol has no nodes: where the guest puts hot-added memory. */
    info->node = st.hot_add_max ? hv_balloon_backend_hot_add_node(hb, &st)
                                : -1;
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
    if (hb->ops->get_hint_stats) {
        HvBalloonHintStats hs;

        hb->ops->get_hint_stats(hb->dev, &hs);
        info->hints = (BalloonBackendHints) {
            .offered = hs.offered,
            .bytes = hs.bytes,
            .ranges = hs.ranges,
            .discards = hs.discards,
            .refused = hs.refused,
        };
    }
}

static bool hv_balloon_backend_set_target(BalloonBackend *bb, int64_t size,
                                          Error **errp)
{
    HvBalloonBackend *hb = container_of(bb, HvBalloonBackend, bb);

    trace_hv_balloon_backend_set_target(bb->id, size);
    hb->ops->set_target(hb->dev, hb->ops->base_size(hb->dev) + size);
    return true;
}

static bool hv_balloon_backend_foreach_range(BalloonBackend *bb,
                                             RangeSetFunc fn, void *opaque)
{
    HvBalloonBackend *hb = container_of(bb, HvBalloonBackend, bb);

    if (!hb->ops->foreach_removed) {
        return false;
    }
    hb->ops->foreach_removed(hb->dev, fn, opaque);
    return true;
}

/* The guest's last status report (the device's status-report=on). */
static bool hv_balloon_backend_get_report(BalloonBackend *bb,
                                          BalloonBackendReport *report)
{
    HvBalloonBackend *hb = container_of(bb, HvBalloonBackend, bb);
    HvBalloonState st;

    hb->ops->get_state(hb->dev, &st);
    if (!st.connected || !st.status_received) {
        return false;
    }
    report->available = st.status_available;
    report->age_ms = st.status_age_ms;
    return true;
}

typedef struct HvBalloonBackendCount {
    RangeSet *pages;
    uint64_t count;
} HvBalloonBackendCount;

static bool hv_balloon_backend_count_cb(uint64_t start, uint64_t count,
                                        void *opaque)
{
    HvBalloonBackendCount *c = opaque;

    c->count += range_set_count(c->pages, start, count);
    return true;
}

static int64_t hv_balloon_backend_node_room(BalloonBackend *bb, int node)
{
    HvBalloonBackend *hb = container_of(bb, HvBalloonBackend, bb);
    HvBalloonBackendCount c = { NULL, 0 };
    BalloonBackendInfo info;
    int64_t room = 0;

    if (!hb->ops->node_pages || !hb->ops->foreach_removed ||
        !hb->ops->set_unballoon_preference) {
        return 0;
    }
    c.pages = hb->ops->node_pages(hb->dev, node);
    if (!c.pages) {
        return 0;
    }
    /* What it took from the node, and what it hot-adds there. */
    hb->ops->foreach_removed(hb->dev, hv_balloon_backend_count_cb, &c);
    room = c.count * HV_BALLOON_BACKEND_PAGE;
    balloon_backend_get_info(bb, &info);
    if (info.node == node) {
        room += info.max_size - info.hot_added;
    }
    return room;
}

static void hv_balloon_backend_set_growth_node(BalloonBackend *bb, int node)
{
    HvBalloonBackend *hb = container_of(bb, HvBalloonBackend, bb);
    RangeSet *prefer = NULL;

    if (!hb->ops->set_unballoon_preference) {
        return;
    }
    if (node >= 0 && hb->ops->node_pages) {
        prefer = hb->ops->node_pages(hb->dev, node);
    }
    hb->ops->set_unballoon_preference(hb->dev, prefer);
}

static void hv_balloon_backend_release(BalloonBackend *bb)
{
    HvBalloonBackend *hb = container_of(bb, HvBalloonBackend, bb);

    hv_balloon_backend_set_growth_node(bb, -1);
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
    .foreach_range = hv_balloon_backend_foreach_range,
    .node_room = hv_balloon_backend_node_room,
    .set_growth_node = hv_balloon_backend_set_growth_node,
    .get_report = hv_balloon_backend_get_report,
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
