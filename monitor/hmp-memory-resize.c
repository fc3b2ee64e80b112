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
}
