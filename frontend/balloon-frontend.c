/*
 * Unified balloon frontend: the core, the engine with its events, timers
 * and what the machine is (see balloon-frontend-internal.h)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "hw/boards.h"
#include "hw/virtio/virtio.h"
#include "system/kvm.h"
#include "system/reset.h"
#include "system/runstate.h"
#include "system/numa.h"
#include "system/hostmem.h"
#include "system/system.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "qapi/error.h"
#include "qapi/qapi-events-machine.h"
#include "qapi/qapi-events-memory-resize.h"
#include "qapi/qapi-types-qom.h"
#include "balloon-frontend.h"
#include "balloon-frontend-internal.h"
#include "resize-engine.h"
#include "trace.h"

/* How often a resize in flight is checked. */
#define BALLOON_FRONTEND_TICK_MS 50

/* After a reset, devices settle before the last target is planned again. */
#define BALLOON_FRONTEND_REAPPLY_MS 500

/*
 * A guest that moved away from a target it had reached (deflate-on-oom,
 * a driver giving memory back on its own) is asked for it again after
 * this long, and again as long as it keeps moving away.
 */
#define BALLOON_FRONTEND_DRIFT_MS (10 * 1000)

/*
 * The engine's time, for stall detection and every timer here, is the
 * virtual clock: it stands still while the VM is stopped (paused,
 * migrating, saving), when no guest can make progress.
 */
#define BALLOON_FRONTEND_CLOCK QEMU_CLOCK_VIRTUAL

typedef struct BalloonFrontend {
    ResizeEngine *engine;
    QEMUTimer *timer;
    QEMUTimer *reapply_timer;
    QEMUTimer *drift_timer;
    int64_t last_reported;      /* guest size in the last BALLOON_CHANGE */
    bool node_pages_built;
    RangeSet *node_pages[RESIZE_ENGINE_MAX_NODES]; /* boot memory pages */
} BalloonFrontend;

static BalloonFrontend *balloon_frontend_get(void);

static NotifierList balloon_frontend_listeners =
    NOTIFIER_LIST_INITIALIZER(balloon_frontend_listeners);

void balloon_frontend_add_listener(Notifier *n)
{
    notifier_list_add(&balloon_frontend_listeners, n);
}

static void balloon_frontend_notify(BalloonFrontendEvent *ev)
{
    notifier_list_notify(&balloon_frontend_listeners, ev);
}

int64_t balloon_frontend_base_size(void)
{
    MachineState *ms = current_machine;

    return ms->ram_size +
           (ms->device_memory ? ms->device_memory->dimm_size : 0);
}

char *balloon_frontend_device_id(DeviceState *dev)
{
    DeviceState *proxy = dev->parent_bus ? dev->parent_bus->parent : NULL;

    if (dev->id) {
        return g_strdup(dev->id);
    }
    /* A virtio device has no id of its own; its PCI proxy does. */
    if (proxy && proxy->id &&
        object_dynamic_cast(OBJECT(dev), TYPE_VIRTIO_DEVICE)) {
        return g_strdup(proxy->id);
    }
    return object_get_canonical_path(OBJECT(dev));
}

/* NUMA nodes of the machine (1 without a NUMA configuration). */
static int balloon_frontend_node_count(MachineState *ms)
{
    if (ms->numa_state && ms->numa_state->num_nodes > 0) {
        return MIN(ms->numa_state->num_nodes, RESIZE_ENGINE_MAX_NODES);
    }
    return 1;
}

/* Boot memory of @node (node 0 is all of it without a NUMA config). */
static int64_t balloon_frontend_node_boot(MachineState *ms, int node)
{
    if (ms->numa_state && ms->numa_state->num_nodes > 0) {
        return ms->numa_state->nodes[node].node_mem;
    }
    return ms->ram_size;
}

/* The NUMA configuration is known, and fixed, once the machine is. */
static void balloon_frontend_init_nodes(ResizeEngine *re)
{
    MachineState *ms = current_machine;
    int64_t boot[RESIZE_ENGINE_MAX_NODES];
    int n, nb = balloon_frontend_node_count(ms);

    for (n = 0; n < nb; n++) {
        boot[n] = balloon_frontend_node_boot(ms, n);
    }
    resize_engine_set_nodes(re, nb, boot);
}

static int balloon_frontend_mr_node(MachineState *ms, MemoryRegion *mr);

int balloon_frontend_nb_nodes(void)
{
    return balloon_frontend_node_count(current_machine);
}

/* Add a range of the memory map to its node's pages, if it is boot RAM. */
static bool balloon_frontend_node_pages_cb(Int128 start, Int128 len,
                                           const MemoryRegion *mr,
                                           hwaddr offset_in_region,
                                           void *opaque)
{
    BalloonFrontend *bf = opaque;
    MachineState *ms = current_machine;
    uint64_t gpa = int128_get64(start), size = int128_get64(len);
    int node;

    if (ms->device_memory && gpa >= ms->device_memory->base &&
        gpa < ms->device_memory->base +
              memory_region_size(&ms->device_memory->mr)) {
        return false;           /* hot-plugged, not boot, memory */
    }
    if (!memory_region_is_ram((MemoryRegion *)mr) ||
        memory_region_is_rom((MemoryRegion *)mr)) {
        return false;
    }
    node = balloon_frontend_mr_node(ms, (MemoryRegion *)mr);
    if (node >= 0 && node < RESIZE_ENGINE_MAX_NODES) {
        range_set_insert(bf->node_pages[node], gpa / (4 * KiB),
                         size / (4 * KiB), NULL);
    }
    return false;
}

RangeSet *balloon_frontend_node_pages(int node)
{
    BalloonFrontend *bf = balloon_frontend_get();
    int n, nb = balloon_frontend_nb_nodes();

    if (node < 0 || node >= nb) {
        return NULL;
    }
    /* The boot memory map is fixed once the machine is built. */
    if (!bf->node_pages_built && phase_check(PHASE_MACHINE_READY)) {
        for (n = 0; n < nb; n++) {
            bf->node_pages[n] = range_set_new();
        }
        RCU_READ_LOCK_GUARD();
        flatview_for_each_range(address_space_to_flatview(
                                    &address_space_memory),
                                balloon_frontend_node_pages_cb, bf);
        bf->node_pages_built = true;
    }
    return bf->node_pages[node];
}

typedef struct BalloonFrontendRamWalk {
    RangeSet *pages;
    BalloonFrontendRamFunc fn;
    void *opaque;
    uint64_t found;
    bool stop;
    /* the section being walked */
    MemoryRegion *mr;
    hwaddr offset;              /* of its first page in @mr */
    uint64_t first;             /* its first page */
} BalloonFrontendRamWalk;

static bool balloon_frontend_ram_run(uint64_t start, uint64_t count,
                                     void *opaque)
{
    BalloonFrontendRamWalk *w = opaque;

    w->found += count;
    if (w->fn && !w->fn(start, count, w->mr,
                        w->offset + (start - w->first) * (4 * KiB),
                        w->opaque)) {
        w->stop = true;
        return false;
    }
    return true;
}

/* The pages of a populated RAM section (ReplayRamPopulate too). */
static int balloon_frontend_ram_section(MemoryRegionSection *section,
                                        void *opaque)
{
    BalloonFrontendRamWalk *w = opaque;
    uint64_t gpa = section->offset_within_address_space;
    uint64_t first = DIV_ROUND_UP(gpa, 4 * KiB);
    uint64_t end = (gpa + int128_get64(section->size)) / (4 * KiB);

    if (end <= first || w->stop) {
        return 0;
    }
    w->mr = section->mr;
    w->offset = section->offset_within_region + (first * 4 * KiB - gpa);
    w->first = first;
    range_set_foreach(w->pages, first, end - first, balloon_frontend_ram_run,
                      w);
    return 0;
}

static bool balloon_frontend_ram_range(Int128 start, Int128 len,
                                       const MemoryRegion *cmr,
                                       hwaddr offset_in_region, void *opaque)
{
    BalloonFrontendRamWalk *w = opaque;
    MemoryRegion *mr = (MemoryRegion *)cmr;
    MemoryRegionSection section = {
        .mr = mr,
        .offset_within_region = offset_in_region,
        .offset_within_address_space = int128_get64(start),
        .size = len,
    };

    if (!range_set_overlaps(w->pages, int128_get64(start) / (4 * KiB),
                            int128_get64(len) / (4 * KiB) + 1) ||
        !memory_region_is_ram(mr) || memory_region_is_ram_device(mr) ||
        memory_region_is_rom(mr) || memory_region_is_romd(mr)) {
        return false;
    }
    if (memory_region_has_ram_discard_manager(mr)) {
        ram_discard_manager_replay_populated(
            memory_region_get_ram_discard_manager(mr), &section,
            balloon_frontend_ram_section, w);
    } else {
        balloon_frontend_ram_section(&section, w);
    }
    return w->stop;
}

uint64_t balloon_frontend_foreach_ram(RangeSet *pages,
                                      BalloonFrontendRamFunc fn,
                                      void *opaque)
{
    BalloonFrontendRamWalk w = { .pages = pages, .fn = fn, .opaque = opaque };

    if (!range_set_total(pages)) {
        return 0;
    }
    RCU_READ_LOCK_GUARD();
    flatview_for_each_range(address_space_to_flatview(&address_space_memory),
                            balloon_frontend_ram_range, &w);
    return w.found;
}

/* The engine, with the base size as it is now (DIMMs come and go). */
static ResizeEngine *balloon_frontend_engine(void)
{
    ResizeEngine *re = balloon_frontend_get()->engine;

    resize_engine_set_base(re, balloon_frontend_base_size());
    return re;
}

ResizeEngine *balloon_frontend_get_engine(void)
{
    return balloon_frontend_engine();
}

static int64_t balloon_frontend_now_ms(void)
{
    return qemu_clock_get_ms(BALLOON_FRONTEND_CLOCK);
}

int64_t balloon_frontend_clock_ms(void)
{
    return balloon_frontend_now_ms();
}

/* Emit BALLOON_CHANGE when the guest size moved, whichever backend did. */
static void balloon_frontend_report(BalloonFrontend *bf)
{
    int64_t actual = resize_engine_actual(balloon_frontend_engine());

    if (actual != bf->last_reported) {
        trace_balloon_frontend_size_changed(bf->last_reported, actual);
        bf->last_reported = actual;
        qapi_event_send_balloon_change(actual);
    }
}

/* Report the guest size; keep ticking while a request is in flight. */
static void balloon_frontend_kick(BalloonFrontend *bf)
{
    balloon_frontend_report(bf);
    if (resize_engine_busy(bf->engine)) {
        timer_mod(bf->timer, balloon_frontend_now_ms() +
                  BALLOON_FRONTEND_TICK_MS);
    }
}

void balloon_frontend_poke(void)
{
    BalloonFrontend *bf = balloon_frontend_get();

    balloon_frontend_kick(bf);
}

static void balloon_frontend_tick(void *opaque)
{
    BalloonFrontend *bf = opaque;

    resize_engine_tick(balloon_frontend_engine(), balloon_frontend_now_ms());
    balloon_frontend_kick(bf);
}

static void balloon_frontend_state_changed(ResizeEngine *re, ResizeState old,
                                           ResizeState state)
{
    int64_t target;

    resize_engine_target(re, &target);
    qapi_event_send_memory_resize_state((MemoryResizeState)state, target,
                                        resize_engine_actual(re),
                                        state == RESIZE_STATE_FAILED ||
                                        state == RESIZE_STATE_STALLED ?
                                        resize_engine_error(re) : NULL);
}

static void balloon_frontend_stopped(ResizeEngine *re, ResizeStopReason why,
                                     int64_t target, int64_t actual)
{
    qapi_event_send_memory_resize_done(target, actual,
                                       (MemoryResizeStopReason)why,
                                       why == RESIZE_STOP_FAILED ||
                                       why == RESIZE_STOP_STALLED ?
                                       resize_engine_error(re) : NULL);
}

static const ResizeEngineOps balloon_frontend_engine_ops = {
    .state_changed = balloon_frontend_state_changed,
    .stopped = balloon_frontend_stopped,
};

QEMU_BUILD_BUG_ON((int)RESIZE_STATE__MAX != (int)MEMORY_RESIZE_STATE__MAX);
QEMU_BUILD_BUG_ON((int)RESIZE_STOP__MAX !=
                  (int)MEMORY_RESIZE_STOP_REASON__MAX);
QEMU_BUILD_BUG_ON((int)RESIZE_POLICY__MAX !=
                  (int)BALLOON_FRONTEND_POLICY__MAX);

/*
 * A guest reset puts every backend back to its boot state (virtio-mem
 * unplugs everything, hv-balloon drops what it hot-added, the balloon
 * drivers are gone): plan the last target again; it is applied as the
 * drivers come back.
 */
static void balloon_frontend_reapply(void *opaque)
{
    BalloonFrontend *bf = opaque;
    ResizeEngine *re = balloon_frontend_engine();

    if (resize_engine_reapply(re, balloon_frontend_now_ms())) {
        int64_t target;

        resize_engine_target(re, &target);
        trace_balloon_frontend_reapply(target);
    }
    balloon_frontend_kick(bf);
}

static bool balloon_frontend_drifted(ResizeEngine *re);

/* The guest left a reached target: ask for it again (see DRIFT_MS). */
static void balloon_frontend_drift(void *opaque)
{
    BalloonFrontend *bf = opaque;
    ResizeEngine *re = balloon_frontend_engine();
    int64_t target;

    if (!balloon_frontend_drifted(re)) {
        return;
    }
    resize_engine_target(re, &target);
    trace_balloon_frontend_drift(target, resize_engine_actual(re));
    resize_engine_reapply(re, balloon_frontend_now_ms());
    balloon_frontend_kick(bf);
}

static void balloon_frontend_reset(void *opaque)
{
    BalloonFrontend *bf = opaque;

    if (runstate_check(RUN_STATE_INMIGRATE) ||
        runstate_check(RUN_STATE_RESTORE_VM)) {
        /* Not the guest's reset: the state to come is what it was. */
        return;
    }
    balloon_frontend_notify(&(BalloonFrontendEvent) {
        .type = BALLOON_FRONTEND_EVENT_GUEST_RESET,
    });
    timer_mod(bf->reapply_timer, balloon_frontend_now_ms() +
              BALLOON_FRONTEND_REAPPLY_MS);
}

static BalloonFrontend *balloon_frontend_get(void)
{
    static BalloonFrontend *bf;

    if (!bf) {
        bf = g_new0(BalloonFrontend, 1);
        bf->engine = resize_engine_new(&balloon_frontend_engine_ops, bf, 0);
        bf->timer = timer_new_ms(BALLOON_FRONTEND_CLOCK,
                                 balloon_frontend_tick, bf);
        bf->reapply_timer = timer_new_ms(BALLOON_FRONTEND_CLOCK,
                                         balloon_frontend_reapply, bf);
        bf->drift_timer = timer_new_ms(BALLOON_FRONTEND_CLOCK,
                                       balloon_frontend_drift, bf);
        qemu_register_reset(balloon_frontend_reset, bf);
        bf->last_reported = -1;
    }
    return bf;
}

/* See balloon_frontend_max_reach() */
static int64_t balloon_frontend_reach(ResizeEngine *re)
{
    ResizeSlot *slot;
    int64_t plug = 0, balloon = 0;

    RESIZE_ENGINE_FOREACH(re, slot) {
        BalloonBackend *bb = resize_engine_slot_backend(slot);
        BalloonBackendInfo info;

        balloon_backend_get_info(bb, &info);
        if (balloon_backend_is_balloon(bb)) {
            balloon = MAX(balloon, info.max_size);
        } else {
            plug += info.max_size;
        }
    }
    return resize_engine_base(re) + plug + balloon;
}

int64_t balloon_frontend_max_reach(void)
{
    return balloon_frontend_reach(balloon_frontend_engine());
}

/*
 * Once the machine is built: the NUMA configuration is known; the
 * listeners check the settings given on the command line against it (a
 * bad one stops QEMU, as any bad command-line option does).
 */
static void balloon_frontend_machine_done(Notifier *n, void *data)
{
    balloon_frontend_init_nodes(balloon_frontend_get()->engine);
    balloon_frontend_notify(&(BalloonFrontendEvent) {
        .type = BALLOON_FRONTEND_EVENT_MACHINE_READY,
    });
}

static Notifier balloon_frontend_machine_done_notifier = {
    .notify = balloon_frontend_machine_done,
};

static void balloon_frontend_register_notifiers(void)
{
    qemu_add_machine_init_done_notifier(
        &balloon_frontend_machine_done_notifier);
}

type_init(balloon_frontend_register_notifiers)

void balloon_frontend_register(BalloonBackend *bb)
{
    ResizeEngine *re = balloon_frontend_engine();

    resize_engine_add(re, bb);
    trace_balloon_frontend_register(bb->id, bb->klass->type,
                                    resize_engine_count(re));
    balloon_frontend_notify(&(BalloonFrontendEvent) {
        .type = BALLOON_FRONTEND_EVENT_BACKEND_ADDED,
        .bb = bb,
    });
}

void balloon_frontend_unregister(BalloonBackend *bb)
{
    BalloonFrontend *bf = balloon_frontend_get();
    ResizeEngine *re = bf->engine;

    if (resize_engine_remove(re, bb)) {
        trace_balloon_frontend_unregister(bb->id, resize_engine_count(re));
    }
    balloon_backend_release(bb);
    /* What it contributed is gone (an unplugged virtio-mem device). */
    balloon_frontend_report(bf);
}

/*
 * Whether the guest left the target its last request reached (not one it
 * stalled or failed on: those have their own retries).
 */
static bool balloon_frontend_drifted(ResizeEngine *re)
{
    int64_t target;

    return !resize_engine_busy(re) && resize_engine_target(re, &target) &&
           resize_engine_state(re) == RESIZE_STATE_IDLE &&
           resize_engine_actual(re) != target;
}

void balloon_frontend_changed(BalloonBackend *bb)
{
    BalloonFrontend *bf = balloon_frontend_get();
    ResizeEngine *re = balloon_frontend_engine();

    trace_balloon_frontend_changed(bb->id);
    if (runstate_check(RUN_STATE_INMIGRATE) ||
        runstate_check(RUN_STATE_RESTORE_VM)) {
        /* Loading: the request resumes when the VM starts. */
        return;
    }
    resize_engine_tick(re, balloon_frontend_now_ms());
    balloon_frontend_report(bf);
    if (balloon_frontend_drifted(re) && !timer_pending(bf->drift_timer)) {
        timer_mod(bf->drift_timer, balloon_frontend_now_ms() +
                  BALLOON_FRONTEND_DRIFT_MS);
    }
}

/*
 * The error classes below are part of the QMP contract: libvirt treats
 * DeviceNotActive and KVMMissingCap from 'balloon' as soft failures.
 */
ResizeEngine *balloon_frontend_check(Error **errp)
{
    ResizeEngine *re;

    if (kvm_enabled() && !kvm_has_sync_mmu()) {
        error_set(errp, ERROR_CLASS_KVM_MISSING_CAP,
                  "Using KVM without synchronous MMU, balloon unavailable");
        return NULL;
    }
    re = balloon_frontend_engine();
    if (!resize_engine_count(re)) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_ACTIVE,
                  "No balloon device has been activated");
        return NULL;
    }
    return re;
}

bool balloon_frontend_request(int64_t target, const char *param,
                              Error **errp)
{
    BalloonFrontend *bf = balloon_frontend_get();
    ResizeEngine *re = balloon_frontend_check(errp);

    if (!re) {
        return false;
    }
    trace_balloon_frontend_request(param, target);
    if (!resize_engine_request(re, target, param, balloon_frontend_now_ms(),
                               errp)) {
        return false;
    }
    balloon_frontend_notify(&(BalloonFrontendEvent) {
        .type = BALLOON_FRONTEND_EVENT_MANUAL_REQUEST,
        .param = param,
    });
    balloon_frontend_kick(bf);
    return true;
}

bool balloon_frontend_request_nodes(const int64_t *targets,
                                    const int64_t *ballooned, bool strict,
                                    Error **errp)
{
    BalloonFrontend *bf = balloon_frontend_get();
    ResizeEngine *re = balloon_frontend_check(errp);

    if (!re) {
        return false;
    }
    if (!resize_engine_request_nodes(re, targets, ballooned, strict, "nodes",
                                     balloon_frontend_now_ms(), errp)) {
        return false;
    }
    balloon_frontend_notify(&(BalloonFrontendEvent) {
        .type = BALLOON_FRONTEND_EVENT_MANUAL_REQUEST,
        .param = "nodes",
    });
    balloon_frontend_kick(bf);
    return true;
}

void balloon_frontend_nodes(BalloonFrontendNodes *nd)
{
    ResizeEngine *re = balloon_frontend_engine();
    int nb_nodes = resize_engine_nb_nodes(re);
    ResizeSlot *slot;

    memset(nd, 0, sizeof(*nd));
    RESIZE_ENGINE_FOREACH(re, slot) {
        BalloonBackend *bb = resize_engine_slot_backend(slot);
        BalloonBackendInfo info;

        balloon_backend_get_info(bb, &info);
        if (info.node >= nb_nodes) {
            continue;
        }
        if (!balloon_backend_is_balloon(bb)) {
            nd->plugged[MAX(info.node, 0)] += info.size;
            nd->room[MAX(info.node, 0)] += info.max_size;
        } else if (info.node >= 0) {
            nd->hot_added[info.node] += info.hot_added;
            nd->room[info.node] += info.max_size;
        }
    }
}

typedef struct BalloonFrontendNodeSplit {
    MachineState *ms;
    uint64_t *per_node;         /* bytes ballooned out of each node */
    bool known;                 /* every page's node was found */
} BalloonFrontendNodeSplit;

/* The NUMA node whose memory backend is @mr, or -1. */
static int balloon_frontend_mr_node(MachineState *ms, MemoryRegion *mr)
{
    int n;

    /*
     * One node (none configured, or the one QEMU adds by itself when
     * memory hotplug is enabled): all RAM is its.
     */
    if (!ms->numa_state || ms->numa_state->num_nodes <= 1) {
        return memory_region_is_ram(mr) ? 0 : -1;
    }
    for (n = 0; n < ms->numa_state->num_nodes; n++) {
        HostMemoryBackend *hmb = ms->numa_state->nodes[n].node_memdev;

        if (hmb && host_memory_backend_get_memory(hmb) == mr) {
            return n;
        }
    }
    return -1;
}

/* Split one range of ballooned pages by the node memory it lies in. */
static bool balloon_frontend_split_cb(uint64_t start, uint64_t count,
                                      void *opaque)
{
    BalloonFrontendNodeSplit *split = opaque;
    hwaddr gpa = start * 4 * KiB, end = gpa + count * 4 * KiB;

    while (gpa < end) {
        MemoryRegionSection section = memory_region_find(get_system_memory(),
                                                         gpa, end - gpa);
        uint64_t len;
        int node;

        if (!section.mr) {
            split->known = false;
            return false;
        }
        len = int128_get64(section.size);
        node = balloon_frontend_mr_node(split->ms, section.mr);
        memory_region_unref(section.mr);
        if (node < 0) {
            split->known = false;
            return false;
        }
        split->per_node[node] += len;
        gpa += len;
    }
    return true;
}

bool balloon_frontend_ballooned_per_node(uint64_t *per_node)
{
    BalloonFrontendNodeSplit split = { current_machine, per_node, true };
    ResizeEngine *re = balloon_frontend_engine();
    ResizeSlot *slot;

    RESIZE_ENGINE_FOREACH(re, slot) {
        BalloonBackend *bb = resize_engine_slot_backend(slot);
        BalloonBackendInfo info;

        if (!balloon_backend_is_balloon(bb)) {
            continue;
        }
        balloon_backend_get_info(bb, &info);
        if (resize_engine_nb_nodes(re) == 1 &&
            info.size - info.hot_added < 0) {
            /* One node: it has all of them, whichever pages they are. */
            per_node[0] += info.hot_added - info.size;
            continue;
        }
        if (!balloon_backend_foreach_range(bb, balloon_frontend_split_cb,
                                           &split)) {
            if (info.size - info.hot_added < 0) {
                return false;
            }
            continue;
        }
        if (!split.known) {
            return false;
        }
    }
    return true;
}
