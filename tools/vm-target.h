/*
 * A VM to command: our QEMU's QMP socket, or a libvirt domain reached
 * through libvirt's QEMU monitor pass-through (so that commands libvirt
 * does not know, such as memory-resize, work the same)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_VM_TARGET_H
#define UBF_VM_TARGET_H

#include <libvirt/libvirt.h>

#include "qmp-client.h"

/*
 * How long a QMP target may take to accept a connection and greet, and
 * to answer a command, unless the caller says otherwise: a socket with
 * nobody behind it costs at most this much.
 */
#define UBF_VM_TARGET_CONNECT_TIMEOUT_MS 1000
#define UBF_VM_TARGET_TIMEOUT_MS 10000

typedef struct UbfVmTarget {
    char *name;             /* what rows and messages call it */
    char *path;             /* QMP socket, or NULL for a libvirt domain */
    UbfQmp *qmp;
    virDomainPtr dom;
    unsigned char uuid[VIR_UUID_BUFLEN];    /* to find @dom again */
    guint connect_timeout_ms;   /* QMP: 0 for the default */
    guint timeout_ms;           /* QMP commands: 0 for the default */
} UbfVmTarget;

/* @t for QMP socket @path, named @name (NULL: the socket's file name). */
void ubf_vm_target_init_qmp(UbfVmTarget *t, const char *name,
                            const char *path);

/* @t for libvirt domain @dom (which it owns from now on). */
gboolean ubf_vm_target_init_domain(UbfVmTarget *t, virDomainPtr dom,
                                   GError **error);

/*
 * Connect a QMP target (nothing to do for a domain, or one connected).
 * Events the VM sends are dropped: nothing here reads them.
 */
gboolean ubf_vm_target_connect(UbfVmTarget *t, GError **error);

/*
 * Run one QMP command; its "return", or NULL with @error set:
 * UBF_QMP_ERROR_COMMAND when the VM refused it ("Class: message"),
 * another code when it could not be reached.  A QMP target whose
 * connection failed (closed, timed out) is connected again by the next
 * command: a QEMU restarted on the same socket is found again.
 */
JsonNode *ubf_vm_target_execute(UbfVmTarget *t, const char *command,
                                JsonObject *args, GError **error);

/*
 * A domain's libvirtd went away (restart, upgrade) while the domain kept
 * running: open a new connection to @uri and find the domain again by
 * its UUID.  1: done; 0: not yet (try again); -1: the domain is no
 * longer running.
 */
int ubf_vm_target_reconnect(UbfVmTarget *t, const char *uri);

void ubf_vm_target_clear(UbfVmTarget *t);

#endif
