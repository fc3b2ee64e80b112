/*
 * Unified balloon frontend: the registry of guest memory resize backends
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/queue.h"
#include "system/kvm.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-machine.h"
#include "qapi/qmp/qerror.h"
#include "balloon-frontend.h"
#include "trace.h"

typedef struct BalloonFrontendEntry {
    QEMUBalloonEvent *event_fn;
    QEMUBalloonStatus *stat_fn;
    void *opaque;
    QTAILQ_ENTRY(BalloonFrontendEntry) next;
} BalloonFrontendEntry;

static QTAILQ_HEAD(, BalloonFrontendEntry) balloon_frontend_entries =
    QTAILQ_HEAD_INITIALIZER(balloon_frontend_entries);

/*
 * The backend that 'balloon' and 'query-balloon' talk to: the first one
 * registered.  Registration order is realize order.
 */
static BalloonFrontendEntry *balloon_frontend_active(void)
{
    return QTAILQ_FIRST(&balloon_frontend_entries);
}

unsigned int balloon_frontend_backend_count(void)
{
    BalloonFrontendEntry *e;
    unsigned int count = 0;

    QTAILQ_FOREACH(e, &balloon_frontend_entries, next) {
        count++;
    }
    return count;
}

/*
 * The error classes below are part of the QMP contract: libvirt treats
 * DeviceNotActive and KVMMissingCap from 'balloon' as soft failures.
 */
static BalloonFrontendEntry *balloon_frontend_get_active(Error **errp)
{
    BalloonFrontendEntry *e;

    if (kvm_enabled() && !kvm_has_sync_mmu()) {
        error_set(errp, ERROR_CLASS_KVM_MISSING_CAP,
                  "Using KVM without synchronous MMU, balloon unavailable");
        return NULL;
    }
    e = balloon_frontend_active();
    if (!e) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_ACTIVE,
                  "No balloon device has been activated");
        return NULL;
    }
    return e;
}

int qemu_add_balloon_handler(QEMUBalloonEvent *event_func,
                             QEMUBalloonStatus *stat_func, void *opaque)
{
    BalloonFrontendEntry *e;

    if (!QTAILQ_EMPTY(&balloon_frontend_entries)) {
        /*
         * Same policy as QEMU's single handler slot until the planner can
         * drive several backends.
         */
        trace_balloon_frontend_register_refused(opaque);
        return -1;
    }

    e = g_new0(BalloonFrontendEntry, 1);
    e->event_fn = event_func;
    e->stat_fn = stat_func;
    e->opaque = opaque;
    QTAILQ_INSERT_TAIL(&balloon_frontend_entries, e, next);
    trace_balloon_frontend_register(opaque, balloon_frontend_backend_count());
    return 0;
}

void qemu_remove_balloon_handler(void *opaque)
{
    BalloonFrontendEntry *e, *tmp;

    QTAILQ_FOREACH_SAFE(e, &balloon_frontend_entries, next, tmp) {
        if (e->opaque == opaque) {
            QTAILQ_REMOVE(&balloon_frontend_entries, e, next);
            g_free(e);
            trace_balloon_frontend_unregister(opaque,
                                              balloon_frontend_backend_count());
            return;
        }
    }
}

BalloonInfo *qmp_query_balloon(Error **errp)
{
    BalloonFrontendEntry *e = balloon_frontend_get_active(errp);
    BalloonInfo *info;

    if (!e) {
        return NULL;
    }

    info = g_new0(BalloonInfo, 1);
    e->stat_fn(e->opaque, info);
    trace_balloon_frontend_query(e->opaque, info->actual);
    return info;
}

void qmp_balloon(int64_t value, Error **errp)
{
    BalloonFrontendEntry *e = balloon_frontend_get_active(errp);

    if (!e) {
        return;
    }

    if (value <= 0) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "value", "a size");
        return;
    }

    trace_balloon_frontend_request(e->opaque, value);
    e->event_fn(e->opaque, value);
}
