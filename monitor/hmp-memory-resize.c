/*
 * Unified balloon frontend: HMP commands, thin wrappers over QMP
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-memory-resize.h"
#include "qapi/qapi-visit-memory-resize.h"
#include "qobject/qdict.h"

void hmp_memory_resize(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;

    qmp_memory_resize(true, qdict_get_int(qdict, "size"), false, NULL, false,
                      false, &err);
    hmp_handle_error(mon, err);
}

void hmp_memory_resize_auto(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    int64_t buffer = qdict_get_try_int(qdict, "buffer", -1);
    int64_t weight = qdict_get_try_int(qdict, "weight", -1);

    /* Out of uint32's range: let QMP's check give the range. */
    qmp_memory_resize_auto(true, qdict_get_bool(qdict, "enabled"),
                           qdict_haskey(qdict, "minimum"),
                           qdict_get_try_int(qdict, "minimum", 0),
                           qdict_haskey(qdict, "maximum"),
                           qdict_get_try_int(qdict, "maximum", 0),
                           false, 0, false, 0,
                           qdict_haskey(qdict, "buffer"),
                           buffer < 0 || buffer > UINT32_MAX ? 0 : buffer,
                           qdict_haskey(qdict, "weight"),
                           weight < 0 || weight > UINT32_MAX ? 0 : weight,
                           &err);
    hmp_handle_error(mon, err);
}

void hmp_info_memory_resize(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    g_autoptr(MemoryResizeInfo) info = qmp_query_memory_resize(&err);
    MemoryResizeBackendInfoList *b;
    MemoryResizeNodeInfoList *n;

    if (hmp_handle_error(mon, err)) {
        return;
    }
    monitor_printf(mon, "target: %" PRId64 " MiB, actual: %" PRId64
                   " MiB, state: %s, progress: %" PRId64 "/%" PRId64
                   " MiB\n", info->target / MiB, info->actual / MiB,
                   MemoryResizeState_str(info->state), info->done / MiB,
                   info->todo / MiB);
    monitor_printf(mon, "range: %" PRId64 " to %" PRId64 " MiB\n",
                   info->min_size / MiB, info->max_size / MiB);
    monitor_printf(mon, "backends:\n");
    for (b = info->backends; b; b = b->next) {
        monitor_printf(mon, "  %s: %s, driver %s, %+" PRId64 " MiB",
                       b->value->id,
                       MemoryResizeBackendType_str(b->value->type),
                       b->value->driver_connected ? "connected" : "absent",
                       b->value->size / (int64_t)MiB);
        if (b->value->has_node) {
            monitor_printf(mon, ", node %" PRIu32, b->value->node);
        }
        if (b->value->has_shortfall) {
            monitor_printf(mon, ", %" PRIu64 " MiB short: %s",
                           b->value->shortfall / MiB, b->value->reason);
        }
        monitor_printf(mon, "\n");
    }
    monitor_printf(mon, "nodes:\n");
    for (n = info->nodes; n; n = n->next) {
        MemoryResizeNodeInfo *ni = n->value;

        monitor_printf(mon, "  %" PRIu32 ": boot %" PRIu64 " MiB, plugged %"
                       PRIu64 " MiB, hot-added %" PRIu64 " MiB, ballooned ",
                       ni->node, ni->boot / MiB, ni->plugged / MiB,
                       ni->hot_added / MiB);
        if (ni->has_ballooned) {
            monitor_printf(mon, "%" PRIu64 " MiB", ni->ballooned / MiB);
        } else {
            monitor_printf(mon, "unknown");
        }
        monitor_printf(mon, ", actual %" PRIu64 " MiB, maximum %" PRIu64
                       " MiB\n", ni->actual / MiB, ni->maximum / MiB);
    }
    if (info->automatic) {
        MemoryResizeAutoInfo *a = info->automatic;

        monitor_printf(mon, "automatic: %s, %" PRIu64 " to %" PRIu64
                       " MiB, buffer %" PRIu32 "%%, weight %" PRIu32
                       ", %s", a->enabled ? "on" : "off", a->minimum / MiB,
                       a->maximum / MiB, a->buffer, a->weight,
                       MemoryResizeAutoReason_str(a->reason));
        if (a->has_demand) {
            monitor_printf(mon, ", demand %" PRIu64 " MiB, desired %" PRIu64
                           " MiB", a->demand / MiB, a->desired / MiB);
        }
        monitor_printf(mon, ", %" PRIu64 " grown, %" PRIu64 " shrunk\n",
                       a->grows, a->shrinks);
    }
}
