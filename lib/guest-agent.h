/*
 * Client of the test guest's agent (tests/guest/agent.c)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_GUEST_AGENT_H
#define UBF_GUEST_AGENT_H

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define UBF_AGENT_ERROR (ubf_agent_error_quark())
GQuark ubf_agent_error_quark(void);

typedef enum {
    UBF_AGENT_ERROR_FAILED,     /* the agent answered {"error": ...} */
    UBF_AGENT_ERROR_PROTOCOL,   /* the answer is not what the agent sends */
} UbfAgentError;

#define UBF_AGENT_MAX_NODES 64

/* What the guest itself sees, in KiB as /proc/meminfo reports it. */
typedef struct UbfGuestMem {
    gint64 memtotal_kib;
    gint64 memfree_kib;
    guint nnodes;
    struct {
        int node;
        gint64 memtotal_kib;
        gint64 memfree_kib;
    } nodes[UBF_AGENT_MAX_NODES];
} UbfGuestMem;

typedef struct UbfAgent UbfAgent;

/*
 * Connect to the agent's serial socket and wait until the agent answers,
 * that is until the guest has booted, within @timeout_ms.
 */
UbfAgent *ubf_agent_connect(const char *path, guint timeout_ms,
                            GError **error);
void ubf_agent_free(UbfAgent *agent);

/* Wait until the agent answers again (it restarts when the guest does). */
gboolean ubf_agent_resync(UbfAgent *agent, guint timeout_ms, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UbfAgent, ubf_agent_free)

/* Send one command line; return the agent's JSON answer. */
JsonObject *ubf_agent_command(UbfAgent *agent, const char *command,
                              guint timeout_ms, GError **error);

/*
 * Poll the guest until its MemTotal is within @tolerance_kib of
 * @want_kib, for up to @timeout_ms.  @mem receives the last reading
 * either way.
 */
gboolean ubf_agent_wait_memtotal(UbfAgent *agent, gint64 want_kib,
                                 gint64 tolerance_kib, guint timeout_ms,
                                 UbfGuestMem *mem, GError **error);

/* The guest's MemTotal/MemFree overall and per NUMA node. */
gboolean ubf_agent_meminfo(UbfAgent *agent, UbfGuestMem *mem,
                           GError **error);

G_END_DECLS

#endif
