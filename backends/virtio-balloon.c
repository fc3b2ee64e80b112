/*
 * Unified balloon frontend: virtio-balloon backend
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "exec/address-spaces.h"
#include "exec/cpu-common.h"
#include "exec/memory.h"
#include "hw/qdev-core.h"
#include "hw/virtio/virtio.h"
#include "standard-headers/linux/virtio_balloon.h"
#include "standard-headers/linux/virtio_config.h"
#include "migration/vmstate.h"
#include "ubf/frontend/range-set-vmstate.h"
#include "virtio-balloon.h"
#include "trace.h"

/* The virtio-balloon protocol works in 4 KiB pages, 32-bit counts. */
#define VIRTIO_BALLOON_BACKEND_PAGE (4 * KiB)
#define VIRTIO_BALLOON_BACKEND_MAX_PAGES UINT32_MAX

/* Guest misbehaviour is reported at most this often. */
#define VIRTIO_BALLOON_BACKEND_WARN_MS (10 * 1000)

typedef struct VirtioBalloonBackend VirtioBalloonBackend;

/*
 * Memory whose blocks come and go (virtio-mem: a RamDiscardManager), as
 * mapped: a block unplugged takes the pages in the balloon with it.
 */
typedef struct VirtioBalloonBackendRdl {
    RamDiscardListener rdl;
    VirtioBalloonBackend *vb;
    MemoryRegion *mr;
    hwaddr offset_within_address_space;
    QLIST_ENTRY(VirtioBalloonBackendRdl) next;
} VirtioBalloonBackendRdl;

struct VirtioBalloonBackend {
    BalloonBackend bb;
    VirtIOBalloon *dev;
    QEMUBalloonEvent *event_fn;

    RangeSet *inflated;         /* guest pages in the balloon, discarded */
    RangeSet *pending;          /* inflated by the request being handled */
    uint64_t untracked;         /* pages the device handled itself */
    uint64_t duplicates;        /* pages inflated twice (ignored) */
    uint64_t unknown_deflates;  /* deflates of pages never inflated */
    uint64_t unplugged;         /* inflates of unplugged memory (ignored) */
    int64_t last_warn_ms;
    bool set_polling;           /* we turned the statistics polling on */

    MemoryListener listener;    /* finds the memory of RDM below */
    QLIST_HEAD(, VirtioBalloonBackendRdl) rdls;
};

/* Most the balloon may hold: all of base but one page, within 32 bits. */
static int64_t virtio_balloon_backend_max_held(void)
{
    int64_t base = balloon_frontend_base_size();

    return MIN(base - VIRTIO_BALLOON_BACKEND_PAGE,
               (int64_t)VIRTIO_BALLOON_BACKEND_MAX_PAGES *
               VIRTIO_BALLOON_BACKEND_PAGE);
}

/*
 * Bytes in the balloon.  Exact from the pages tracked, unless some are
 * untracked (pages the device handled itself, on large host pages, or
 * pages held before an incoming migration that did not carry the
 * record) or the device cannot discard at all (discard disabled, e.g. by
 * VFIO): then only the guest-written 'actual' is known, which is never
 * trusted past the maximum.
 */
static int64_t virtio_balloon_backend_held(VirtioBalloonBackend *vb)
{
    int64_t max = virtio_balloon_backend_max_held();

    if (vb->untracked || ram_block_discard_is_disabled()) {
        return MIN((int64_t)vb->dev->actual * VIRTIO_BALLOON_BACKEND_PAGE,
                   max);
    }
    return MIN((int64_t)range_set_total(vb->inflated) *
               VIRTIO_BALLOON_BACKEND_PAGE, max);
}

static void virtio_balloon_backend_get_info(BalloonBackend *bb,
                                            BalloonBackendInfo *info)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);
    VirtIODevice *vdev = VIRTIO_DEVICE(vb->dev);
    int64_t held = virtio_balloon_backend_max_held();
    int64_t actual = virtio_balloon_backend_held(vb);

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

static bool virtio_balloon_backend_foreach_range(BalloonBackend *bb,
                                                 RangeSetFunc fn,
                                                 void *opaque)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);

    if (vb->untracked) {
        return false;       /* the pages are not all known */
    }
    range_set_foreach(vb->inflated, 0, RANGE_SET_PAGE_LIMIT, fn, opaque);
    return true;
}

/* A statistic the guest reported, or -1 if it did not. */
static int64_t virtio_balloon_backend_stat(VirtioBalloonBackend *vb, int tag)
{
    uint64_t v = vb->dev->stats[tag];

    return v == (uint64_t)-1 ? -1 : (int64_t)MIN(v, (uint64_t)INT64_MAX);
}

static bool virtio_balloon_backend_get_report(BalloonBackend *bb,
                                              BalloonBackendReport *report)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);
    int64_t avail = virtio_balloon_backend_stat(vb, VIRTIO_BALLOON_S_AVAIL);
    int64_t oom = virtio_balloon_backend_stat(vb, VIRTIO_BALLOON_S_OOM_KILL);
    int64_t stall = virtio_balloon_backend_stat(vb,
                                                VIRTIO_BALLOON_S_ALLOC_STALL);
    int64_t now_s = g_get_real_time() / G_USEC_PER_SEC;

    if (!vb->dev->stats_last_update) {
        return false;           /* nothing since the guest started */
    }
    if (avail < 0) {
        /* Older guests report only free memory: less, never more. */
        avail = virtio_balloon_backend_stat(vb, VIRTIO_BALLOON_S_MEMFREE);
        if (avail < 0) {
            return false;
        }
    }
    report->available = avail;
    report->total = MAX(virtio_balloon_backend_stat(vb,
                                                    VIRTIO_BALLOON_S_MEMTOT),
                        0);
    report->age_ms = MAX(now_s - vb->dev->stats_last_update, 0) * 1000;
    if (oom >= 0 || stall >= 0) {
        /* each at most INT64_MAX / 2: the sum cannot wrap */
        report->pressure = MIN(MAX(oom, 0), INT64_MAX / 2) +
                           MIN(MAX(stall, 0), INT64_MAX / 2);
    }
    return true;
}

static void virtio_balloon_backend_set_report_interval(BalloonBackend *bb,
                                                       int64_t interval_ms)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);
    Error *err = NULL;
    int64_t secs = DIV_ROUND_UP(interval_ms, 1000);

    if (interval_ms && !vb->dev->stats_poll_interval) {
        vb->set_polling = true;
    } else if (interval_ms || !vb->set_polling) {
        return;                 /* the user's polling interval stays */
    } else {
        vb->set_polling = false;
    }
    trace_virtio_balloon_backend_poll(bb->id, secs);
    if (!object_property_set_int(OBJECT(vb->dev),
                                 "guest-stats-polling-interval", secs,
                                 &err)) {
        error_prepend(&err, "%s: ", bb->id);
        warn_report_err(err);
    }
}

/*
 * The page record migrates in a section of its own, sent only when the
 * destination would miss it: for a NUMA guest (it splits the ballooned
 * memory by node) whose balloon holds pages, all of them recorded.
 * Without it nothing else is lost (the size is the device's), and a VM
 * migrates to a QEMU without the frontend.
 */
static bool virtio_balloon_backend_record_needed(void *opaque)
{
    VirtioBalloonBackend *vb = opaque;

    return balloon_frontend_nb_nodes() > 1 &&
           range_set_total(vb->inflated) && !vb->untracked;
}

/*
 * An incoming record is input: every page it names must be the guest's
 * RAM (a page outside would be counted as ballooned where no memory is),
 * and it cannot hold more than the balloon may.
 */
static int virtio_balloon_backend_record_post_load(void *opaque,
                                                   int version_id)
{
    VirtioBalloonBackend *vb = opaque;
    uint64_t total = range_set_total(vb->inflated);
    uint64_t ram = balloon_frontend_foreach_ram(vb->inflated, NULL, NULL);

    if (ram != total ||
        total * VIRTIO_BALLOON_BACKEND_PAGE >
        (uint64_t)virtio_balloon_backend_max_held()) {
        error_report("%s: the incoming page record is not valid: %" PRIu64
                     " pages, %" PRIu64 " of them the guest's RAM, at most %"
                     PRId64 " allowed", vb->bb.id, total, ram,
                     virtio_balloon_backend_max_held() /
                     VIRTIO_BALLOON_BACKEND_PAGE);
        range_set_clear(vb->inflated);
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription virtio_balloon_backend_vmsd = {
    .name = "ubf-virtio-balloon-pages",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = virtio_balloon_backend_record_needed,
    .post_load = virtio_balloon_backend_record_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_RANGE_SET(inflated, VirtioBalloonBackend),
        VMSTATE_END_OF_LIST()
    },
};

void virtio_balloon_backend_post_load(BalloonBackend *bb)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);
    uint64_t recorded = range_set_total(vb->inflated);

    /* What the guest holds beyond the record came without it. */
    vb->untracked = vb->dev->actual > recorded ? vb->dev->actual - recorded
                                               : 0;
    trace_virtio_balloon_backend_post_load(bb->id, recorded, vb->untracked);
}

static int virtio_balloon_backend_rdl_populate(RamDiscardListener *rdl,
                                               MemoryRegionSection *section)
{
    return 0;
}

/* Blocks unplugged: the pages the balloon held there are gone with them */
static void virtio_balloon_backend_rdl_discard(RamDiscardListener *rdl,
                                               MemoryRegionSection *section)
{
    VirtioBalloonBackendRdl *l = container_of(rdl, VirtioBalloonBackendRdl,
                                              rdl);
    VirtioBalloonBackend *vb = l->vb;
    uint64_t start = section->offset_within_address_space /
                     VIRTIO_BALLOON_BACKEND_PAGE;
    uint64_t count = int128_get64(section->size) /
                     VIRTIO_BALLOON_BACKEND_PAGE;
    uint64_t held = 0, pending = 0;

    if (!count) {
        return;
    }
    range_set_remove(vb->inflated, start, count, &held);
    range_set_remove(vb->pending, start, count, &pending);
    if (held || pending) {
        trace_virtio_balloon_backend_unplug(vb->bb.id,
                                            section->offset_within_address_space,
                                            held + pending);
    }
}

static void virtio_balloon_backend_region_add(MemoryListener *listener,
                                              MemoryRegionSection *section)
{
    VirtioBalloonBackend *vb = container_of(listener, VirtioBalloonBackend,
                                            listener);
    VirtioBalloonBackendRdl *l;

    if (!memory_region_has_ram_discard_manager(section->mr)) {
        return;
    }
    l = g_new0(VirtioBalloonBackendRdl, 1);
    l->vb = vb;
    l->mr = section->mr;
    l->offset_within_address_space = section->offset_within_address_space;
    ram_discard_listener_init(&l->rdl, virtio_balloon_backend_rdl_populate,
                              virtio_balloon_backend_rdl_discard, true);
    ram_discard_manager_register_listener(
        memory_region_get_ram_discard_manager(section->mr), &l->rdl,
        section);
    QLIST_INSERT_HEAD(&vb->rdls, l, next);
}

static void virtio_balloon_backend_rdl_free(VirtioBalloonBackendRdl *l)
{
    ram_discard_manager_unregister_listener(
        memory_region_get_ram_discard_manager(l->mr), &l->rdl);
    QLIST_REMOVE(l, next);
    g_free(l);
}

static void virtio_balloon_backend_region_del(MemoryListener *listener,
                                              MemoryRegionSection *section)
{
    VirtioBalloonBackend *vb = container_of(listener, VirtioBalloonBackend,
                                            listener);
    VirtioBalloonBackendRdl *l;

    QLIST_FOREACH(l, &vb->rdls, next) {
        if (l->mr == section->mr &&
            l->offset_within_address_space ==
            section->offset_within_address_space) {
            virtio_balloon_backend_rdl_free(l);
            return;
        }
    }
}

static void virtio_balloon_backend_release(BalloonBackend *bb)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);

    memory_listener_unregister(&vb->listener);
    while (!QLIST_EMPTY(&vb->rdls)) {
        virtio_balloon_backend_rdl_free(QLIST_FIRST(&vb->rdls));
    }
    vmstate_unregister(VMSTATE_IF(vb->dev), &virtio_balloon_backend_vmsd, vb);
    range_set_free(vb->inflated);
    range_set_free(vb->pending);
    g_free(vb->bb.id);
    g_free(vb);
}

static const BalloonBackendClass virtio_balloon_backend_class = {
    .type = "virtio-balloon",
    .role = BALLOON_BACKEND_ROLE_BALLOON,
    .get_info = virtio_balloon_backend_get_info,
    .set_target = virtio_balloon_backend_set_target,
    .foreach_range = virtio_balloon_backend_foreach_range,
    .get_report = virtio_balloon_backend_get_report,
    .set_report_interval = virtio_balloon_backend_set_report_interval,
    .release = virtio_balloon_backend_release,
};

/* Say what a misbehaving guest did, at most every 10 s. */
static void virtio_balloon_backend_warn(VirtioBalloonBackend *vb)
{
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);

    if (vb->last_warn_ms &&
        now - vb->last_warn_ms < VIRTIO_BALLOON_BACKEND_WARN_MS) {
        return;
    }
    vb->last_warn_ms = now;
    warn_report("%s: guest inflated %" PRIu64 " pages twice, %" PRIu64
                " pages of unplugged memory, and deflated %" PRIu64
                " pages it never inflated (ignored)", vb->bb.id,
                vb->duplicates, vb->unplugged, vb->unknown_deflates);
}

bool virtio_balloon_backend_page_inflate(BalloonBackend *bb,
                                         MemoryRegion *mr, hwaddr offset,
                                         hwaddr gpa)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);
    uint64_t page = gpa / VIRTIO_BALLOON_BACKEND_PAGE;
    ram_addr_t rb_offset;
    RAMBlock *rb;

    if (memory_region_has_ram_discard_manager(mr)) {
        MemoryRegionSection section = {
            .mr = mr,
            .offset_within_region = offset,
            .offset_within_address_space = gpa,
            .size = int128_make64(VIRTIO_BALLOON_BACKEND_PAGE),
        };

        if (!ram_discard_manager_is_populated(
                memory_region_get_ram_discard_manager(mr), &section)) {
            /* An unplugged virtio-mem block: no memory to give */
            vb->unplugged++;
            trace_virtio_balloon_backend_unplugged(bb->id, gpa);
            virtio_balloon_backend_warn(vb);
            return true;
        }
    }
    rb = qemu_ram_block_from_host(memory_region_get_ram_ptr(mr) + offset,
                                  false, &rb_offset);
    if (!rb || qemu_ram_pagesize(rb) != VIRTIO_BALLOON_BACKEND_PAGE) {
        vb->untracked++;
        return false;
    }
    if (range_set_contains(vb->inflated, page, 1) ||
        range_set_contains(vb->pending, page, 1)) {
        vb->duplicates++;
        trace_virtio_balloon_backend_duplicate(bb->id, gpa);
        virtio_balloon_backend_warn(vb);
        return true;
    }
    range_set_insert(vb->pending, page, 1, NULL);
    return true;
}

void virtio_balloon_backend_page_deflate(BalloonBackend *bb, hwaddr gpa)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);
    uint64_t page = gpa / VIRTIO_BALLOON_BACKEND_PAGE;
    uint64_t removed = 0;

    range_set_remove(vb->inflated, page, 1, &removed);
    if (!removed) {
        range_set_remove(vb->pending, page, 1, &removed);
    }
    if (!removed && vb->untracked) {
        vb->untracked--;        /* a page the device tracked itself */
    } else if (!removed) {
        vb->unknown_deflates++;
        trace_virtio_balloon_backend_unknown_deflate(bb->id, gpa);
        virtio_balloon_backend_warn(vb);
    }
}

/* Discard the pages of one run of RAM (BalloonFrontendRamFunc). */
static bool virtio_balloon_backend_discard(uint64_t page, uint64_t count,
                                           MemoryRegion *mr, hwaddr offset,
                                           void *opaque)
{
    VirtioBalloonBackend *vb = opaque;
    ram_addr_t rb_offset;
    RAMBlock *rb;

    trace_virtio_balloon_backend_discard(vb->bb.id,
                                         page * VIRTIO_BALLOON_BACKEND_PAGE,
                                         count * VIRTIO_BALLOON_BACKEND_PAGE);
    rb = qemu_ram_block_from_host(memory_region_get_ram_ptr(mr) + offset,
                                  false, &rb_offset);
    if (rb) {
        ram_block_discard_range(rb, rb_offset,
                                count * VIRTIO_BALLOON_BACKEND_PAGE);
    }
    return true;
}

void virtio_balloon_backend_pages_flush(BalloonBackend *bb)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);

    if (!range_set_total(vb->pending)) {
        return;
    }
    balloon_frontend_foreach_ram(vb->pending, virtio_balloon_backend_discard,
                                 vb);
    range_set_union(vb->inflated, vb->pending);
    range_set_clear(vb->pending);
}

void virtio_balloon_backend_pages_reset(BalloonBackend *bb)
{
    VirtioBalloonBackend *vb = container_of(bb, VirtioBalloonBackend, bb);

    trace_virtio_balloon_backend_reset(bb->id,
                                       range_set_total(vb->inflated));
    range_set_clear(vb->inflated);
    range_set_clear(vb->pending);
    vb->untracked = 0;
}

BalloonBackend *virtio_balloon_backend_new(VirtIOBalloon *dev,
                                           QEMUBalloonEvent *to_target)
{
    VirtioBalloonBackend *vb = g_new0(VirtioBalloonBackend, 1);

    vb->dev = dev;
    vb->inflated = range_set_new();
    vb->pending = range_set_new();
    vb->event_fn = to_target;
    vb->bb.klass = &virtio_balloon_backend_class;
    vb->bb.id = balloon_frontend_device_id(DEVICE(dev));
    vb->listener = (MemoryListener) {
        .name = "ubf-virtio-balloon",
        .region_add = virtio_balloon_backend_region_add,
        .region_del = virtio_balloon_backend_region_del,
    };
    QLIST_INIT(&vb->rdls);
    memory_listener_register(&vb->listener, &address_space_memory);
    vmstate_register_any(VMSTATE_IF(dev), &virtio_balloon_backend_vmsd, vb);
    balloon_frontend_register(&vb->bb);
    return &vb->bb;
}
