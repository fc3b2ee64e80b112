/*
 * QMP client on json-glib and GIO
 *
 * Used by the tests, the demo, the benchmarks and balloonctl.  One
 * UbfQmp is one monitor connection; calls block until a reply arrives or
 * the timeout passes.  Events that arrive meanwhile are queued and can be
 * waited for, with a filter, or taken.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_QMP_CLIENT_H
#define UBF_QMP_CLIENT_H

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define UBF_QMP_ERROR (ubf_qmp_error_quark())
GQuark ubf_qmp_error_quark(void);

typedef enum {
    UBF_QMP_ERROR_PROTOCOL,  /* the peer does not speak QMP as expected */
    UBF_QMP_ERROR_COMMAND,   /* the command failed; see the error class */
    UBF_QMP_ERROR_TIMEOUT,   /* no reply or event before the timeout */
} UbfQmpError;

typedef struct UbfQmp UbfQmp;

/*
 * Return TRUE if @event (the whole event object: "event", "data",
 * "timestamp") is the one being waited for.
 */
typedef gboolean (*UbfQmpEventFilter)(JsonObject *event, gpointer opaque);

/*
 * Connect to the QMP socket at @path, read the greeting and negotiate
 * capabilities, all within @timeout_ms.
 */
UbfQmp *ubf_qmp_connect(const char *path, guint timeout_ms, GError **error);
void ubf_qmp_free(UbfQmp *qmp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UbfQmp, ubf_qmp_free)

/*
 * Whether events that arrive while a command waits for its reply are
 * kept for ubf_qmp_wait_event() and ubf_qmp_take_events() (the default)
 * or dropped at once, for a client that never reads them: a VM sends
 * events for as long as it runs (HV_BALLOON_STATUS_REPORT every second),
 * and kept unread they would grow without bound.
 */
void ubf_qmp_set_keep_events(UbfQmp *qmp, gboolean keep);

/* The QEMU version from the greeting, e.g. "10.0.13". */
const char *ubf_qmp_version(UbfQmp *qmp);

/*
 * Execute @command with @args (a JSON object or NULL; not consumed) and
 * return the "return" member of the reply.  On a QMP error, fail with
 * UBF_QMP_ERROR_COMMAND and a message "<class>: <desc>"; the class alone
 * is available from ubf_qmp_last_error_class().
 */
JsonNode *ubf_qmp_execute(UbfQmp *qmp, const char *command, JsonObject *args,
                          guint timeout_ms, GError **error);

/* Same, with @args_json a JSON object text such as {"value": 1024}. */
JsonNode *ubf_qmp_execute_json(UbfQmp *qmp, const char *command,
                               const char *args_json, guint timeout_ms,
                               GError **error);

/* The error class of the last failed command ("" if none). */
const char *ubf_qmp_last_error_class(UbfQmp *qmp);

/*
 * Wait up to @timeout_ms for an event called @name that @filter (may be
 * NULL) accepts; the matching event is removed from the queue and
 * returned, events before it stay queued.
 */
JsonObject *ubf_qmp_wait_event(UbfQmp *qmp, const char *name,
                               UbfQmpEventFilter filter, gpointer opaque,
                               guint timeout_ms, GError **error);

/*
 * Read whatever has arrived without waiting, then remove and return all
 * queued events called @name (all events if @name is NULL), oldest
 * first.
 */
GPtrArray *ubf_qmp_take_events(UbfQmp *qmp, const char *name);

G_END_DECLS

#endif
