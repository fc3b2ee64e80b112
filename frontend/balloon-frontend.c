/*
 * Unified balloon frontend: QMP, events and timers around the engine
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "hw/boards.h"
#include "hw/virtio/virtio.h"
#include "system/kvm.h"
#include "system/reset.h"
#include "system/numa.h"
#include "system/hostmem.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-machine.h"
#include "qapi/qapi-commands-memory-resize.h"
#include "qapi/qapi-events-machine.h"
#include "qapi/qapi-events-memory-resize.h"
#include "qapi/qapi-types-qom.h"
#include "qapi/qmp/qerror.h"
#include "balloon-frontend.h"
#include "resize-engine.h"
#include "../backends/backends.h"
#include "trace.h"

/* How often a resize in flight is checked. */
#define BALLOON_FRONTEND_TICK_MS 50

/* After a reset, devices settle before the last target is planned again. */
#define BALLOON_FRONTEND_REAPPLY_MS 500

typedef struct BalloonFrontend {
    ResizeEngine engine;
    QEMUTimer *timer;
    QEMUTimer *reapply_timer;
    int64_t last_reported;      /* guest size in the last BALLOON_CHANGE */
} BalloonFrontend;

static BalloonFrontend *balloon_frontend_get(void);

int64_t balloon_frontend_base_size(void)
{
    MachineState *ms = MACHINE(qdev_get_machine());

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

static int64_t balloon_frontend_node_boot(MachineState *ms, int node);
static int balloon_frontend_node_count(MachineState *ms);

/*
 * The engine, with the base size and the nodes as they are now (DIMMs
 * come and go; the NUMA configuration is known once the machine is).
 */
static ResizeEngine *balloon_frontend_engine(void)
{
    ResizeEngine *re = &balloon_frontend_get()->engine;
    MachineState *ms = MACHINE(qdev_get_machine());
    int64_t boot[RESIZE_ENGINE_MAX_NODES];
    int n, nb = MIN(balloon_frontend_node_count(ms), RESIZE_ENGINE_MAX_NODES);

    re->base = balloon_frontend_base_size();
    for (n = 0; n < nb; n++) {
        boot[n] = balloon_frontend_node_boot(ms, n);
    }
    resize_engine_set_nodes(re, nb, boot);
    return re;
}

static int64_t balloon_frontend_now_ms(void)
{
    return qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
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
    if (resize_engine_busy(&bf->engine)) {
        timer_mod(bf->timer, balloon_frontend_now_ms() +
                  BALLOON_FRONTEND_TICK_MS);
    }
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
    trace_balloon_frontend_state(resize_engine_state_str(old),
                                 resize_engine_state_str(state));
    qapi_event_send_memory_resize_state((MemoryResizeState)state,
                                        re->target,
                                        resize_engine_actual(re));
}

static void balloon_frontend_stopped(ResizeEngine *re, ResizeStopReason why,
                                     int64_t target, int64_t actual)
{
    trace_balloon_frontend_stopped(resize_engine_stop_reason_str(why),
                                   target, actual);
    qapi_event_send_memory_resize_done(target, actual,
                                       (MemoryResizeStopReason)why);
}

static const ResizeEngineOps balloon_frontend_engine_ops = {
    .state_changed = balloon_frontend_state_changed,
    .stopped = balloon_frontend_stopped,
};

QEMU_BUILD_BUG_ON((int)RESIZE_STATE__MAX != (int)MEMORY_RESIZE_STATE__MAX);
QEMU_BUILD_BUG_ON((int)RESIZE_STOP__MAX !=
                  (int)MEMORY_RESIZE_STOP_REASON__MAX);
QEMU_BUILD_BUG_ON((int)BALLOON_BACKEND_KIND__MAX !=
                  (int)MEMORY_RESIZE_BACKEND_TYPE__MAX);

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
        trace_balloon_frontend_reapply(re->target);
    }
    balloon_frontend_kick(bf);
}

static void balloon_frontend_reset(void *opaque)
{
    BalloonFrontend *bf = opaque;

    timer_mod(bf->reapply_timer, balloon_frontend_now_ms() +
              BALLOON_FRONTEND_REAPPLY_MS);
}

static BalloonFrontend *balloon_frontend_get(void)
{
    static BalloonFrontend *bf;

    if (!bf) {
        bf = g_new0(BalloonFrontend, 1);
        resize_engine_init(&bf->engine, &balloon_frontend_engine_ops, bf, 0);
        bf->engine.stall_ms = BALLOON_FRONTEND_DEFAULT_STALL_MS;
        bf->timer = timer_new_ms(QEMU_CLOCK_REALTIME, balloon_frontend_tick,
                                 bf);
        bf->reapply_timer = timer_new_ms(QEMU_CLOCK_REALTIME,
                                         balloon_frontend_reapply, bf);
        qemu_register_reset(balloon_frontend_reset, bf);
        bf->last_reported = -1;
    }
    return bf;
}

void balloon_frontend_set_floor(int64_t floor)
{
    trace_balloon_frontend_setting("floor", floor);
    balloon_frontend_get()->engine.floor = floor;
}

void balloon_frontend_set_stall_ms(int64_t stall_ms)
{
    trace_balloon_frontend_setting("stall-ms", stall_ms);
    balloon_frontend_get()->engine.stall_ms = stall_ms;
}

void balloon_frontend_set_policy(int policy, int prefer_node)
{
    ResizeEngine *re = &balloon_frontend_get()->engine;

    QEMU_BUILD_BUG_ON((int)RESIZE_POLICY__MAX !=
                      (int)BALLOON_FRONTEND_POLICY__MAX);
    trace_balloon_frontend_setting("policy", policy);
    trace_balloon_frontend_setting("prefer-node", prefer_node);
    re->policy = policy;
    re->prefer_node = prefer_node;
}

void balloon_frontend_add_backend(BalloonBackend *bb)
{
    ResizeEngine *re = balloon_frontend_engine();

    resize_engine_add(re, bb);
    trace_balloon_frontend_register(bb->id,
                                    balloon_backend_kind_str(bb->klass->kind),
                                    resize_engine_count(re));
}

void balloon_frontend_remove_backend(BalloonBackend *bb)
{
    ResizeEngine *re = balloon_frontend_engine();

    resize_engine_remove(re, bb);
    trace_balloon_frontend_unregister(bb->id, resize_engine_count(re));
}

void balloon_frontend_backend_changed(void)
{
    BalloonFrontend *bf = balloon_frontend_get();

    resize_engine_tick(balloon_frontend_engine(), balloon_frontend_now_ms());
    balloon_frontend_report(bf);
}

void qemu_balloon_changed(void)
{
    balloon_frontend_backend_changed();
}

/* The virtio-balloon backend of device @opaque, or NULL. */
static BalloonBackend *balloon_frontend_virtio_balloon(void *opaque)
{
    BalloonBackend *bb = resize_engine_find_opaque(balloon_frontend_engine(),
                                                   opaque);

    if (bb && bb->klass->kind == BALLOON_BACKEND_KIND_VIRTIO_BALLOON) {
        return bb;
    }
    return NULL;
}

bool qemu_balloon_page_inflate(void *opaque, MemoryRegion *mr,
                               hwaddr offset, hwaddr gpa)
{
    BalloonBackend *bb = balloon_frontend_virtio_balloon(opaque);

    return bb && virtio_balloon_backend_page_inflate(bb, mr, offset, gpa);
}

void qemu_balloon_page_deflate(void *opaque, hwaddr gpa)
{
    BalloonBackend *bb = balloon_frontend_virtio_balloon(opaque);

    if (bb) {
        virtio_balloon_backend_page_deflate(bb, gpa);
    }
}

void qemu_balloon_pages_flush(void *opaque)
{
    BalloonBackend *bb = balloon_frontend_virtio_balloon(opaque);

    if (bb) {
        virtio_balloon_backend_pages_flush(bb);
    }
}

void qemu_balloon_pages_reset(void *opaque)
{
    BalloonBackend *bb = balloon_frontend_virtio_balloon(opaque);

    if (bb) {
        virtio_balloon_backend_pages_reset(bb);
    }
}

int qemu_add_balloon_handler(QEMUBalloonEvent *event_func,
                             QEMUBalloonStatus *stat_func, void *opaque)
{
    BalloonBackend *bb;

    /* Both in-tree callers pass their device as @opaque. */
    bb = virtio_balloon_backend_new(OBJECT(opaque), event_func);
    if (!bb) {
        bb = hv_balloon_dev_backend_new(OBJECT(opaque), event_func);
    }
    if (!bb) {
        bb = legacy_balloon_backend_new(OBJECT(opaque), event_func,
                                        stat_func);
    }
    balloon_frontend_add_backend(bb);
    return 0;
}

void qemu_remove_balloon_handler(void *opaque)
{
    ResizeEngine *re = balloon_frontend_engine();
    BalloonBackend *bb = resize_engine_find_opaque(re, opaque);

    if (!bb) {
        return;
    }
    balloon_frontend_remove_backend(bb);
    if (bb->klass->kind == BALLOON_BACKEND_KIND_VIRTIO_BALLOON) {
        virtio_balloon_backend_free(bb);
    } else if (object_dynamic_cast(OBJECT(opaque), "hv-balloon")) {
        hv_balloon_dev_backend_free(bb);
    } else {
        legacy_balloon_backend_free(bb);
    }
}

/*
 * The error classes below are part of the QMP contract: libvirt treats
 * DeviceNotActive and KVMMissingCap from 'balloon' as soft failures.
 */
static ResizeEngine *balloon_frontend_check(Error **errp)
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

static bool balloon_frontend_request(int64_t target, const char *param,
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
    balloon_frontend_kick(bf);
    return true;
}

BalloonInfo *qmp_query_balloon(Error **errp)
{
    ResizeEngine *re = balloon_frontend_check(errp);
    BalloonInfo *info;

    if (!re) {
        return NULL;
    }
    info = g_new0(BalloonInfo, 1);
    info->actual = resize_engine_actual(re);
    trace_balloon_frontend_query(info->actual);
    return info;
}

void qmp_balloon(int64_t value, Error **errp)
{
    if (!balloon_frontend_check(errp)) {
        return;
    }
    if (value <= 0) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "value", "a size");
        return;
    }
    balloon_frontend_request(value, "value", errp);
}

/* Boot memory of @node (node 0 is all of it without a NUMA config). */
static int64_t balloon_frontend_node_boot(MachineState *ms, int node)
{
    if (ms->numa_state && ms->numa_state->num_nodes > 0) {
        return ms->numa_state->nodes[node].node_mem;
    }
    return ms->ram_size;
}

static int balloon_frontend_node_count(MachineState *ms)
{
    if (ms->numa_state && ms->numa_state->num_nodes > 0) {
        return ms->numa_state->num_nodes;
    }
    return 1;
}

/* Size of @node now, from its boot memory and virtio-mem on it. */
static int64_t balloon_frontend_node_plugged(ResizeEngine *re, int node)
{
    BalloonBackend *bb;
    int64_t plugged = 0;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;

        balloon_backend_get_info(bb, &info);
        if (bb->klass->kind == BALLOON_BACKEND_KIND_VIRTIO_MEM &&
            MAX(info.node, 0) == node) {
            plugged += info.size;
        }
    }
    return plugged;
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

/*
 * Bytes ballooned out of each node, from the pages the balloons track
 * (see BalloonBackendClass::get_ranges).  False if some balloon does not
 * know its pages, or a page lies outside every node's memory.
 */
static bool balloon_frontend_ballooned_per_node(MachineState *ms,
                                                ResizeEngine *re,
                                                uint64_t *per_node)
{
    BalloonFrontendNodeSplit split = { ms, per_node, true };
    BalloonBackend *bb;

    QTAILQ_FOREACH(bb, &re->backends, next) {
        BalloonBackendInfo info;
        RangeSet *ranges;

        if (bb->klass->kind == BALLOON_BACKEND_KIND_VIRTIO_MEM) {
            continue;
        }
        balloon_backend_get_info(bb, &info);
        ranges = balloon_backend_get_ranges(bb);
        if (!ranges) {
            if (info.size < 0) {
                return false;
            }
            continue;
        }
        range_set_foreach(ranges, 0, RANGE_SET_PAGE_LIMIT,
                          balloon_frontend_split_cb, &split);
        if (!split.known) {
            return false;
        }
    }
    return true;
}

void qmp_memory_resize(bool has_size, int64_t size, bool has_nodes,
                       MemoryResizeNodeTargetList *nodes, Error **errp)
{
    MachineState *ms = MACHINE(qdev_get_machine());
    ResizeEngine *re = balloon_frontend_check(errp);
    BalloonFrontend *bf = balloon_frontend_get();
    g_autofree int64_t *targets = NULL;
    g_autofree uint64_t *ballooned = NULL;
    g_autofree int64_t *ballooned_s = NULL;
    MemoryResizeNodeTargetList *l;
    int64_t total;
    int n, nb_nodes;

    if (!re) {
        return;
    }
    if (!has_size && !has_nodes) {
        error_setg(errp, "Parameter 'size' is missing");
        return;
    }
    if (!has_nodes) {
        balloon_frontend_request(size, "size", errp);
        return;
    }

    nb_nodes = re->nb_nodes;
    targets = g_new(int64_t, nb_nodes);
    for (n = 0; n < nb_nodes; n++) {
        targets[n] = -1;
    }
    for (l = nodes; l; l = l->next) {
        if (l->value->node >= nb_nodes) {
            error_setg(errp, "Parameter 'nodes' names node %" PRIu32
                       ", but the guest has nodes 0 to %d",
                       l->value->node, nb_nodes - 1);
            return;
        }
        if (targets[l->value->node] >= 0) {
            error_setg(errp, "Parameter 'nodes' lists node %" PRIu32
                       " twice", l->value->node);
            return;
        }
        if (l->value->size <= 0) {
            error_setg(errp, "Parameter 'nodes' gives node %" PRIu32
                       " size %" PRId64 "; expected a positive size",
                       l->value->node, l->value->size);
            return;
        }
        targets[l->value->node] = l->value->size;
    }

    /* A node's size counts what was ballooned out of it. */
    ballooned = g_new0(uint64_t, nb_nodes);
    ballooned_s = g_new0(int64_t, nb_nodes);
    if (!balloon_frontend_ballooned_per_node(ms, re, ballooned)) {
        error_setg(errp, "Parameter 'nodes' cannot be honoured: the node of "
                   "some ballooned memory is unknown; give 'size' alone");
        return;
    }
    total = resize_engine_actual(re);
    for (n = 0; n < nb_nodes; n++) {
        ballooned_s[n] = ballooned[n];
        if (targets[n] >= 0) {
            total += targets[n] - (balloon_frontend_node_boot(ms, n) +
                                   balloon_frontend_node_plugged(re, n) -
                                   ballooned_s[n]);
        }
    }
    if (has_size && size != total) {
        error_setg(errp, "Parameter 'size' is %" PRId64 " but the nodes "
                   "add up to %" PRId64 " bytes", size, total);
        return;
    }
    trace_balloon_frontend_request("nodes", total);
    if (!resize_engine_request_nodes(re, targets, ballooned_s, "nodes",
                                     balloon_frontend_now_ms(), errp)) {
        return;
    }
    balloon_frontend_kick(bf);
}

MemoryResizeInfo *qmp_query_memory_resize(Error **errp)
{
    MachineState *ms = MACHINE(qdev_get_machine());
    ResizeEngine *re = balloon_frontend_check(errp);
    g_autoptr(MemoryResizeInfo) info = NULL;
    MemoryResizeBackendInfoList **tail_b;
    MemoryResizeNodeInfoList **tail_n;
    g_autofree uint64_t *ballooned = NULL;
    BalloonBackend *bb;
    int n, nb_nodes;
    int64_t node_min, node_max;
    uint64_t step;
    bool known;

    if (!re) {
        return NULL;
    }
    info = g_new0(MemoryResizeInfo, 1);
    info->actual = resize_engine_actual(re);
    info->target = re->has_target ? re->target : info->actual;
    info->state = (MemoryResizeState)re->state;
    resize_engine_progress(re, &info->done, &info->todo);
    resize_engine_limits(re, &info->min_size, &info->max_size);

    tail_b = &info->backends;
    QTAILQ_FOREACH(bb, &re->backends, next) {
        MemoryResizeBackendInfo *b = g_new0(MemoryResizeBackendInfo, 1);
        BalloonBackendInfo bi;

        balloon_backend_get_info(bb, &bi);
        b->id = g_strdup(bb->id);
        b->type = (MemoryResizeBackendType)bb->klass->kind;
        b->driver_connected = bi.driver_connected;
        b->size = bi.size;
        b->has_node = bi.node >= 0;
        b->node = MAX(bi.node, 0);
        QAPI_LIST_APPEND(tail_b, b);
    }

    nb_nodes = balloon_frontend_node_count(ms);
    ballooned = g_new0(uint64_t, nb_nodes);
    known = balloon_frontend_ballooned_per_node(ms, re, ballooned);
    tail_n = &info->nodes;
    for (n = 0; n < nb_nodes; n++) {
        MemoryResizeNodeInfo *ni = g_new0(MemoryResizeNodeInfo, 1);

        ni->node = n;
        ni->boot = balloon_frontend_node_boot(ms, n);
        ni->plugged = balloon_frontend_node_plugged(re, n);
        ni->actual = ni->boot + ni->plugged;
        resize_engine_node_limits(re, n, 0, &node_min, &node_max, &step);
        ni->maximum = node_max;
        if (known) {
            ni->has_ballooned = true;
            ni->ballooned = ballooned[n];
            ni->actual -= ballooned[n];
        }
        QAPI_LIST_APPEND(tail_n, ni);
    }
    return g_steal_pointer(&info);
}
