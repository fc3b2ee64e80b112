/*
 * Unified balloon frontend: the QMP commands
 *
 * balloon and query-balloon as QEMU has them (their wire format and
 * error classes kept: libvirt relies on them), memory-resize,
 * query-memory-resize and memory-resize-auto.  Arguments are checked
 * before whether there is a device, so that a bad one is named as such
 * on any VM.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-machine.h"
#include "qapi/qapi-commands-memory-resize.h"
#include "qapi/qmp/qerror.h"
#include "qapi/util.h"
#include "balloon-frontend-internal.h"
#include "frontend-auto.h"
#include "frontend-object.h"
#include "frontend-settings.h"
#include "resize-engine.h"
#include "trace.h"

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

/*
 * Arguments are checked before whether there is a device: a bad one is
 * named as such on any VM.
 */
void qmp_balloon(int64_t value, Error **errp)
{
    if (value <= 0) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "value", "a size");
        return;
    }
    balloon_frontend_request(value, "value", errp);
}

/*
 * memory-resize's arguments, checked before whether there is a device
 * (a bad one is named as such on any VM): each node's target in
 * @targets (-1: not given).  A whole-guest size is checked against its
 * range later, once there are backends to give one (@ranged); without
 * them it must at least be positive.
 */
static bool frontend_qmp_parse_nodes(bool has_size, int64_t size,
                                         bool has_nodes,
                                         MemoryResizeNodeTargetList *nodes,
                                         bool has_strict_nodes, bool ranged,
                                         int nb_nodes, int64_t *targets,
                                         Error **errp)
{
    MemoryResizeNodeTargetList *l;
    int n;

    if (!has_size && !has_nodes) {
        error_setg(errp, "Parameter 'size' is missing");
        return false;
    }
    if (has_size && size <= 0 && !ranged) {
        error_setg(errp, "Parameter 'size' expects a positive size in "
                   "bytes, not %" PRId64, size);
        return false;
    }
    if (!has_nodes) {
        if (has_strict_nodes) {
            error_setg(errp, "Parameter 'strict-nodes' needs 'nodes'");
            return false;
        }
        return true;
    }
    if (!nodes) {
        error_setg(errp, "Parameter 'nodes' expects 1 to %d node targets "
                   "(the guest has nodes 0 to %d)", nb_nodes, nb_nodes - 1);
        return false;
    }
    for (n = 0; n < nb_nodes; n++) {
        targets[n] = -1;
    }
    for (l = nodes; l; l = l->next) {
        if (l->value->node >= nb_nodes) {
            error_setg(errp, "Parameter 'nodes' names node %" PRIu32
                       ", but the guest has nodes 0 to %d",
                       l->value->node, nb_nodes - 1);
            return false;
        }
        if (targets[l->value->node] >= 0) {
            error_setg(errp, "Parameter 'nodes' lists node %" PRIu32
                       " twice", l->value->node);
            return false;
        }
        if (l->value->size <= 0) {
            error_setg(errp, "Parameter 'nodes' gives node %" PRIu32
                       " size %" PRId64 "; expected a positive size",
                       l->value->node, l->value->size);
            return false;
        }
        targets[l->value->node] = l->value->size;
    }
    return true;
}

void qmp_memory_resize(bool has_size, int64_t size, bool has_nodes,
                       MemoryResizeNodeTargetList *nodes,
                       bool has_strict_nodes, bool strict_nodes,
                       Error **errp)
{
    ResizeEngine *re = balloon_frontend_get_engine();
    int n, nb_nodes = resize_engine_nb_nodes(re);
    g_autofree int64_t *targets = g_new(int64_t, nb_nodes);
    g_autofree uint64_t *ballooned = NULL;
    g_autofree int64_t *ballooned_s = NULL;
    g_autofree BalloonFrontendNodes *nd = NULL;
    int64_t total;

    if (!frontend_qmp_parse_nodes(has_size, size, has_nodes, nodes,
                                      has_strict_nodes,
                                      resize_engine_count(re) > 0,
                                      nb_nodes, targets, errp) ||
        !balloon_frontend_check(errp)) {
        return;
    }
    if (!has_nodes) {
        balloon_frontend_request(size, "size", errp);
        return;
    }

    /*
     * A node's size counts what was ballooned out of it and hot-added
     * on it: the balloons' net take of each node.
     */
    ballooned = g_new0(uint64_t, nb_nodes);
    ballooned_s = g_new0(int64_t, nb_nodes);
    if (!balloon_frontend_ballooned_per_node(ballooned)) {
        error_setg(errp, "Parameter 'nodes' cannot be honoured: the node of "
                   "some ballooned memory is unknown; give 'size' alone");
        return;
    }
    nd = g_new(BalloonFrontendNodes, 1);
    balloon_frontend_nodes(nd);
    total = resize_engine_actual(re);
    for (n = 0; n < nb_nodes; n++) {
        ballooned_s[n] = ballooned[n] - nd->hot_added[n];
        if (targets[n] >= 0) {
            total += targets[n] - (resize_engine_node_boot(re, n) +
                                   nd->plugged[n] - ballooned_s[n]);
        }
    }
    if (has_size && size != total) {
        error_setg(errp, "Parameter 'size' is %" PRId64 " but the nodes "
                   "add up to %" PRId64 " bytes", size, total);
        return;
    }
    trace_balloon_frontend_request("nodes", total);
    balloon_frontend_request_nodes(targets, ballooned_s,
                                   !has_strict_nodes || strict_nodes, errp);
}

MemoryResizeInfo *qmp_query_memory_resize(Error **errp)
{
    ResizeEngine *re = balloon_frontend_check(errp);
    g_autoptr(MemoryResizeInfo) info = NULL;
    g_autofree BalloonFrontendNodes *nd = NULL;
    MemoryResizeBackendInfoList **tail_b;
    MemoryResizeNodeInfoList **tail_n;
    g_autofree uint64_t *ballooned = NULL;
    ResizeSlot *slot;
    ResizeState state;
    int n, nb_nodes;
    bool known;

    if (!re) {
        return NULL;
    }
    nb_nodes = resize_engine_nb_nodes(re);
    state = resize_engine_state(re);
    info = g_new0(MemoryResizeInfo, 1);
    info->actual = resize_engine_actual(re);
    resize_engine_target(re, &info->target);
    info->state = (MemoryResizeState)state;
    if (state == RESIZE_STATE_FAILED || state == RESIZE_STATE_STALLED) {
        info->error = g_strdup(resize_engine_error(re));
    }
    resize_engine_progress(re, &info->done, &info->todo);
    resize_engine_limits(re, &info->min_size, &info->max_size);

    tail_b = &info->backends;
    RESIZE_ENGINE_FOREACH(re, slot) {
        MemoryResizeBackendInfo *b = g_new0(MemoryResizeBackendInfo, 1);
        BalloonBackend *bb = resize_engine_slot_backend(slot);
        BalloonBackendInfo bi;
        const char *reason;
        int64_t short_by;

        balloon_backend_get_info(bb, &bi);
        b->id = g_strdup(bb->id);
        b->type = qapi_enum_parse(&MemoryResizeBackendType_lookup,
                                  bb->klass->type, -1, &error_abort);
        b->driver_connected = bi.driver_connected;
        b->size = bi.size;
        b->has_node = bi.node >= 0;
        b->node = MAX(bi.node, 0);
        if (bi.hot_added) {
            b->has_hot_added = true;
            b->hot_added = bi.hot_added;
        }
        if (bi.hints.offered) {
            b->free_page_hints = g_new0(MemoryResizeFreePageHints, 1);
            b->free_page_hints->bytes = bi.hints.bytes;
            b->free_page_hints->ranges = bi.hints.ranges;
            b->free_page_hints->discards = bi.hints.discards;
            b->free_page_hints->refused = bi.hints.refused;
        }
        if (resize_engine_slot_short(re, slot, &short_by, &reason)) {
            b->has_shortfall = true;
            b->shortfall = short_by;
            b->reason = g_strdup(reason);
        }
        QAPI_LIST_APPEND(tail_b, b);
    }

    ballooned = g_new0(uint64_t, nb_nodes);
    known = balloon_frontend_ballooned_per_node(ballooned);
    nd = g_new(BalloonFrontendNodes, 1);
    balloon_frontend_nodes(nd);
    tail_n = &info->nodes;
    for (n = 0; n < nb_nodes; n++) {
        MemoryResizeNodeInfo *ni = g_new0(MemoryResizeNodeInfo, 1);

        ni->node = n;
        ni->boot = resize_engine_node_boot(re, n);
        ni->plugged = nd->plugged[n];
        ni->hot_added = nd->hot_added[n];
        ni->actual = ni->boot + ni->plugged + ni->hot_added;
        ni->maximum = ni->boot + nd->room[n];
        if (known) {
            ni->has_ballooned = true;
            ni->ballooned = ballooned[n];
            ni->actual -= ballooned[n];
        }
        QAPI_LIST_APPEND(tail_n, ni);
    }
    if (balloon_frontend_object_settings()) {
        info->automatic = frontend_auto_info();
    }
    return g_steal_pointer(&info);
}

void qmp_memory_resize_auto(bool has_enabled, bool enabled,
                            bool has_minimum, uint64_t minimum,
                            bool has_maximum, uint64_t maximum,
                            bool has_ceiling, uint64_t ceiling,
                            bool has_node_maximum, uint64_t node_maximum,
                            bool has_buffer, uint32_t buffer,
                            bool has_weight, uint32_t weight, Error **errp)
{
    const BalloonFrontendSettings *cur = balloon_frontend_object_settings();
    BalloonFrontendSettings s;

    if (cur) {
        s = *cur;
    } else {
        frontend_settings_default(&s);
    }
    if (has_enabled) {
        s.auto_enabled = enabled;
    }
    if (has_minimum) {
        s.auto_minimum = MIN(minimum, INT64_MAX);
    }
    if (has_maximum) {
        s.auto_maximum = MIN(maximum, INT64_MAX);
    }
    if (has_ceiling) {
        s.auto_ceiling = MIN(ceiling, INT64_MAX);
    }
    if (has_node_maximum) {
        s.auto_node_maximum = MIN(node_maximum, INT64_MAX);
    }
    if (has_buffer) {
        s.auto_buffer = MIN(buffer, INT32_MAX);
    }
    if (has_weight) {
        s.auto_weight = MIN(weight, INT32_MAX);
    }
    if (!cur) {
        /* The arguments first: a bad one is named as such on any VM. */
        if (frontend_settings_check_auto(&s, -1, errp)) {
            error_setg(errp, BALLOON_FRONTEND_NEEDS_OBJECT);
        }
        return;
    }
    balloon_frontend_object_set_settings(&s, errp);
}
