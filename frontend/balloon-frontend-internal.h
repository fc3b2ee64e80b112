/*
 * Unified balloon frontend: the core, as the frontend's other parts see it
 *
 * The core (balloon-frontend.c) holds the engine, its timers and what
 * the machine is (NUMA nodes, boot memory).  The other parts build on it
 * and it calls none of them: it announces what happens through
 * balloon_frontend_add_listener().  From the bottom up:
 *
 *   balloon-frontend.c    the core
 *   frontend-auto.c       automatic sizing: listens for backends and
 *                         resets
 *   frontend-settings.c   checks and puts in force every setting (the
 *                         core's and automatic sizing's)
 *   frontend-object.c     the balloon-frontend object: its properties
 *                         are the settings; listens for manual requests
 *                         (auto goes off) and the machine (its settings
 *                         checked once the machine is built)
 *   frontend-migration.c  what a migration carries; registers once the
 *                         machine is built
 *   frontend-qmp.c        the QMP commands
 *
 * A part calls only the parts listed before it, never one after it
 * (tests/build/test-layering.sh checks the core).
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BALLOON_FRONTEND_INTERNAL_H
#define UBF_BALLOON_FRONTEND_INTERNAL_H

#include "qemu/notify.h"
#include "resize-engine.h"

#define BALLOON_FRONTEND_DEFAULT_STALL_MS (30 * 1000)
#define BALLOON_FRONTEND_STALL_MIN_S 1
#define BALLOON_FRONTEND_STALL_MAX_S 3600

/* The per-VM settings (see BalloonFrontendProperties in qapi/qom.json). */
typedef struct BalloonFrontendSettings {
    int64_t floor;              /* bytes */
    int64_t stall_ms;
    int policy;                 /* BalloonFrontendPolicy */
    int32_t prefer_node;
    /* Automatic sizing (auto-size.h): */
    bool auto_enabled;
    int64_t auto_minimum;       /* bytes, 0: the least backends reach */
    int64_t auto_maximum;       /* bytes, 0: the most they reach */
    int64_t auto_ceiling;       /* bytes, 0: none (a host's arbitration) */
    int64_t auto_node_maximum;  /* bytes per NUMA node, 0: none */
    int32_t auto_buffer;        /* percent of demand */
    int32_t auto_weight;
} BalloonFrontendSettings;

/* What the core announces to its listeners. */
typedef enum BalloonFrontendEventType {
    /*
     * The machine is built: its NUMA nodes are known to the engine.  A
     * listener that fails here stops QEMU, as a bad option does.
     */
    BALLOON_FRONTEND_EVENT_MACHINE_READY,
    /* A backend registered (@bb). */
    BALLOON_FRONTEND_EVENT_BACKEND_ADDED,
    /* The guest was reset (not a migration's or a snapshot's load). */
    BALLOON_FRONTEND_EVENT_GUEST_RESET,
    /* A manual request (@param names its argument) was taken. */
    BALLOON_FRONTEND_EVENT_MANUAL_REQUEST,
} BalloonFrontendEventType;

typedef struct BalloonFrontendEvent {
    BalloonFrontendEventType type;
    BalloonBackend *bb;
    const char *param;
} BalloonFrontendEvent;

/*
 * Call @n->notify(@n, BalloonFrontendEvent *) for each event, from now
 * on.  Listeners register at start-up (type_init), before any event.
 */
void balloon_frontend_add_listener(Notifier *n);

/* The frontend's engine. */
ResizeEngine *balloon_frontend_get_engine(void);

/* The frontend's clock (virtual, in ms). */
int64_t balloon_frontend_clock_ms(void);

/* Report the guest size, and keep ticking while a request is in flight. */
void balloon_frontend_poke(void);

/*
 * The largest guest size the backends can reach at all: base, every
 * virtio-mem device full, the balloon that can hot-add the most.
 */
int64_t balloon_frontend_max_reach(void);

/*
 * The engine, if a request can be made: else an error of the class
 * libvirt expects (KVMMissingCap, DeviceNotActive) and NULL.
 */
ResizeEngine *balloon_frontend_check(Error **errp);

/* Ask for the whole guest size @target (@param names it in errors). */
bool balloon_frontend_request(int64_t target, const char *param,
                              Error **errp);

/*
 * Ask for per-node sizes (see resize_engine_request_nodes(): @targets and
 * @ballooned per node).
 */
bool balloon_frontend_request_nodes(const int64_t *targets,
                                    const int64_t *ballooned, bool strict,
                                    Error **errp);

/* Per-node figures of the backends, in one pass over them. */
typedef struct BalloonFrontendNodes {
    int64_t plugged[RESIZE_ENGINE_MAX_NODES];   /* virtio-mem, plugged */
    int64_t hot_added[RESIZE_ENGINE_MAX_NODES]; /* balloons, hot-added */
    int64_t room[RESIZE_ENGINE_MAX_NODES];      /* the most both can add */
} BalloonFrontendNodes;

void balloon_frontend_nodes(BalloonFrontendNodes *nd);

/*
 * Bytes ballooned out of each node, from the pages the balloons track
 * (see BalloonBackendClass::foreach_range), into @per_node (zeroed, one
 * per node).  False if some balloon does not know its pages, or a page
 * lies outside every node's memory.
 */
bool balloon_frontend_ballooned_per_node(uint64_t *per_node);

#endif
