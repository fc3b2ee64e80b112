/*
 * Unified balloon frontend: backend registry, planner and resize driver
 *
 * Free of QOM and guest dependencies: the engine sees backends only
 * through BalloonBackendClass and time only through the @now_ms its
 * callers pass, so it is unit-tested with mock backends
 * (tests/unit/test-resize-engine.c).  balloon-frontend.c connects it to
 * QMP, timers and the devices.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_RESIZE_ENGINE_H
#define UBF_RESIZE_ENGINE_H

#include "qemu/queue.h"
#include "balloon-backend.h"

typedef enum ResizeState {
    RESIZE_STATE_IDLE,              /* no resize in flight */
    RESIZE_STATE_RESIZING,          /* backends are moving */
    RESIZE_STATE_STALLED,           /* no progress for stall_ms */
    RESIZE_STATE_NO_GUEST_DRIVER,   /* waiting for a guest driver */
    RESIZE_STATE_FAILED,            /* a backend refused; rolled back */
    RESIZE_STATE__MAX,
} ResizeState;

typedef enum ResizeStopReason {
    RESIZE_STOP_REACHED,            /* the guest has the target size */
    RESIZE_STOP_REPLACED,           /* a newer request took over */
    RESIZE_STOP_STALLED,            /* no progress; still pending */
    RESIZE_STOP_FAILED,             /* refused, rolled back */
    RESIZE_STOP__MAX,
} ResizeStopReason;

/* Steps of a plan, run strictly one after the other. */
typedef enum ResizePhase {
    RESIZE_PHASE_DEFLATE,           /* balloons give memory back */
    RESIZE_PHASE_MEM,               /* virtio-mem plugs or unplugs */
    RESIZE_PHASE_INFLATE,           /* balloons take memory */
    RESIZE_PHASE_DONE,
} ResizePhase;

/*
 * How growth (and shrinking by unplug) is shared among NUMA nodes when a
 * request names only the total.
 */
typedef enum ResizePolicy {
    RESIZE_POLICY_PROPORTIONAL,     /* each node keeps its share of boot */
    RESIZE_POLICY_FILL,             /* lowest node first */
    RESIZE_POLICY_PREFER,           /* prefer_node first, then the others */
    RESIZE_POLICY__MAX,
} ResizePolicy;

/* As QEMU's MAX_NODES. */
#define RESIZE_ENGINE_MAX_NODES 128

typedef struct ResizeEngine ResizeEngine;

/* A registered backend and what the plan in flight wants of it. */
typedef struct ResizeSlot ResizeSlot;

typedef struct ResizeEngineOps {
    /* Optional: the state changed from @old to @state. */
    void (*state_changed)(ResizeEngine *re, ResizeState old,
                          ResizeState state);
    /*
     * Optional: a request stopped (see ResizeStopReason); for
     * RESIZE_STOP_FAILED, re->error says why.
     */
    void (*stopped)(ResizeEngine *re, ResizeStopReason why, int64_t target,
                    int64_t actual);
} ResizeEngineOps;

/*
 * A new engine for a guest of @base bytes of boot memory (one NUMA node
 * until resize_engine_set_nodes()); @ops is called back with @opaque.
 */
ResizeEngine *resize_engine_new(const ResizeEngineOps *ops, void *opaque,
                                int64_t base);

/* Free @re and what it holds (not the backends). */
void resize_engine_free(ResizeEngine *re);

/* The guest's NUMA nodes and their boot memory (default: one node). */
void resize_engine_set_nodes(ResizeEngine *re, int nb_nodes,
                             const int64_t *boot);

/* The NUMA nodes, and node @node's boot memory. */
int resize_engine_nb_nodes(ResizeEngine *re);
int64_t resize_engine_node_boot(ResizeEngine *re, int node);

/* Boot RAM + DIMMs: what no backend moves (DIMMs come and go). */
void resize_engine_set_base(ResizeEngine *re, int64_t base);
int64_t resize_engine_base(ResizeEngine *re);

/* What a user sets: see the balloon-frontend object's properties. */
typedef struct ResizeEngineConfig {
    int64_t floor;                  /* smallest target accepted, bytes */
    int64_t stall_ms;               /* no progress this long: stalled */
    ResizePolicy policy;
    int prefer_node;                /* RESIZE_POLICY_PREFER's node */
} ResizeEngineConfig;

void resize_engine_configure(ResizeEngine *re, const ResizeEngineConfig *cfg);
int64_t resize_engine_floor(ResizeEngine *re);

/*
 * The registered backends, in registry order:
 * RESIZE_ENGINE_FOREACH(re, slot) { bb = resize_engine_slot_backend(slot); }
 * Registering or removing one while iterating is not allowed.
 */
ResizeSlot *resize_engine_first(ResizeEngine *re);
ResizeSlot *resize_engine_next(ResizeSlot *slot);
BalloonBackend *resize_engine_slot_backend(ResizeSlot *slot);
#define RESIZE_ENGINE_FOREACH(re, slot) \
    for ((slot) = resize_engine_first(re); (slot); \
         (slot) = resize_engine_next(slot))

/*
 * Has the backend of @slot fallen short of the request in flight?  Then
 * by how many bytes, and why (owned by the engine, valid until the
 * next call into it).
 */
bool resize_engine_slot_short(ResizeEngine *re, ResizeSlot *slot,
                              int64_t *by, const char **reason);

/* The last target, if there is one (else the guest size). */
bool resize_engine_target(ResizeEngine *re, int64_t *target);
ResizeState resize_engine_state(ResizeEngine *re);
/* Why the request failed or stalled (owned by the engine), or NULL. */
const char *resize_engine_error(ResizeEngine *re);

/*
 * The request in flight (or the last one) as a migration carries it:
 * what the user asked for and how far it got, not the plan (the
 * destination plans the rest from where the devices are).
 */
typedef struct ResizeEngineRequest {
    bool has_target;
    int64_t target;
    bool in_flight;
    bool by_node;
    bool strict_nodes;
    int32_t growth_node;
    int64_t balloon_growth;
    int64_t node_amount[RESIZE_ENGINE_MAX_NODES]; /* nb_nodes of them */
    uint32_t state;                 /* a ResizeState */
    int64_t done;                   /* bytes the request moved so far */
} ResizeEngineRequest;

/* The request into @r; its error is resize_engine_error()'s. */
void resize_engine_save_request(ResizeEngine *re, ResizeEngineRequest *r);

/*
 * Take @r, with @error (NULL for none), as the request, once checked
 * against this engine: a target from 1 to @reach bytes and not below
 * the floor, per-node amounts within each node's virtio-mem, a state
 * that goes with being in flight or not, figures in range.  @r comes
 * from a migration stream: nothing in it is trusted.  On error nothing
 * changes and @errp says what is wrong.  Nothing moves until
 * resize_engine_resume().
 */
bool resize_engine_load_request(ResizeEngine *re,
                                const ResizeEngineRequest *r,
                                const char *error, int64_t reach,
                                Error **errp);

/*
 * Register @bb; its klass and id must be set.  The registry keeps the
 * balloons first, then the others, each in the order they came.
 */
void resize_engine_add(ResizeEngine *re, BalloonBackend *bb);
/* Unregister @bb; a plan in flight forgets it.  False if not registered. */
bool resize_engine_remove(ResizeEngine *re, BalloonBackend *bb);
unsigned int resize_engine_count(ResizeEngine *re);
/* Is @bb registered? */
bool resize_engine_has(ResizeEngine *re, BalloonBackend *bb);

/* The guest size: base + every backend's contribution. */
int64_t resize_engine_actual(ResizeEngine *re);

/*
 * The targets a request may ask for now: [*min, *max], from the floor,
 * the balloons' and the virtio-mem devices' ranges.  Returns false if no
 * backend is registered; [*min, *max] is then the boot size alone.  Both
 * are set in every case.
 */
bool resize_engine_limits(ResizeEngine *re, int64_t *min, int64_t *max);

/*
 * Make @target (bytes, the whole guest size) the goal: validate it, plan
 * and start the first step.  A request in flight stops with
 * RESIZE_STOP_REPLACED.  @param names the parameter in error messages.
 * On error nothing changes.
 */
bool resize_engine_request(ResizeEngine *re, int64_t target,
                           const char *param, int64_t now_ms, Error **errp);

/*
 * As resize_engine_request(), but growth on each NUMA node stops at
 * @node_ceiling bytes (boot + plugged + hot-added; 0: no limit), counting
 * ballooned memory as given back: virtio-mem and hot-add grow only the
 * nodes below it, a node above it is unplugged down to it.  A node's
 * boot memory is never above it (see resize_engine_node_ceiling_min()).
 * The limit holds for the request's replans too.
 */
bool resize_engine_request_within(ResizeEngine *re, int64_t target,
                                  int64_t node_ceiling, const char *param,
                                  int64_t now_ms, Error **errp);

/* As resize_engine_limits(), for requests within @node_ceiling. */
bool resize_engine_limits_within(ResizeEngine *re, int64_t node_ceiling,
                                 int64_t *min, int64_t *max);

/* The smallest node ceiling there can be: the largest node's boot RAM. */
int64_t resize_engine_node_ceiling_min(ResizeEngine *re);

/*
 * The sizes node @node may be asked for, with @ballooned bytes (net)
 * ballooned out of it: from its boot memory minus @ballooned to that plus
 * all of its virtio-mem capacity and what the balloon can grow it by
 * (BalloonBackendClass::node_room), in steps of *@step (its block size)
 * up to the virtio-mem capacity.
 */
void resize_engine_node_limits(ResizeEngine *re, int node,
                               int64_t ballooned, int64_t *min,
                               int64_t *max, uint64_t *step);

/*
 * Make each node @n with @targets[n] >= 0 that many bytes (boot +
 * plugged - @ballooned[n]) by plugging or unplugging its virtio-mem;
 * nodes with a negative target, and the balloon, stay as they are.
 * A balloon that can grow one node in particular (node_room) grows the
 * node past its virtio-mem capacity, one node per request.  When a
 * node's virtio-mem falls short, another of the node's devices takes
 * over; with @strict false, so may the balloon (not node-aware: the
 * total is kept, the node's size then is not).  Errors name @param, the
 * node and its range; nothing changes then.
 */
bool resize_engine_request_nodes(ResizeEngine *re, const int64_t *targets,
                                 const int64_t *ballooned, bool strict,
                                 const char *param, int64_t now_ms,
                                 Error **errp);

/*
 * After a guest reset: plan the last target again from where the
 * backends now are (within what they can reach now).  It waits for the
 * guest drivers like any request.  False if there was no target.
 */
bool resize_engine_reapply(ResizeEngine *re, int64_t now_ms);

/*
 * While @hold, the request in flight goes on but nothing is judged: no
 * backend is marked short, nothing stalls, nothing is retried (during a
 * live migration the guest runs, but virtio-mem refuses to move and the
 * time belongs to the migration).  Releasing the hold resumes as
 * resize_engine_resume() does.
 */
void resize_engine_hold(ResizeEngine *re, bool hold, int64_t now_ms);

/*
 * Go on with the request in flight, if any, from where the backends are
 * now, asking each again for its share, with every clock restarted:
 * after its state came with an incoming migration, or a hold ended.
 */
void resize_engine_resume(ResizeEngine *re, int64_t now_ms);

/*
 * Without a target of its own (an incoming migration that carried none:
 * from a QEMU without the frontend, or with nothing in flight), take
 * the guest size as the last target, which a reset then re-applies.
 */
void resize_engine_adopt(ResizeEngine *re);

/*
 * Check progress and start the next step when the current one is done;
 * re-plan the rest over the others when a backend falls short; report
 * reached only when the guest size equals the target.  Call
 * periodically while resize_engine_busy().
 */
void resize_engine_tick(ResizeEngine *re, int64_t now_ms);

/* A request is in flight (resizing, stalled or waiting for a driver). */
bool resize_engine_busy(ResizeEngine *re);

/* Bytes moved so far and bytes to move in all for the request. */
void resize_engine_progress(ResizeEngine *re, int64_t *done, int64_t *todo);

/*
 * The balloon a plan uses: the first with a connected driver that can
 * hot-add (a Windows guest's hv-balloon next to an idle virtio-balloon),
 * else the first with a connected driver, else the first whose driver is
 * pending (holding requests), else the first balloon.  NULL if there is
 * none.  (A plan that must hot-add more than the connected backends can
 * reach takes a pending or absent balloon that can, and waits for it.)
 * The other balloons give back what they hold.
 */
BalloonBackend *resize_engine_active_balloon(ResizeEngine *re);

/*
 * Why the request in flight cannot get further now, for the user:
 * each short backend, by how much and why, and what no backend can do;
 * NULL if nothing is short.
 */
char *resize_engine_shortfall_str(ResizeEngine *re);

const char *resize_engine_state_str(ResizeState state);
const char *resize_engine_stop_reason_str(ResizeStopReason why);

#endif
