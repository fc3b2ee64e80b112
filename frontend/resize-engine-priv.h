/*
 * Unified balloon frontend: the engine's own state
 *
 * For resize-engine.c and the engine's unit tests only: everything else
 * goes through the functions of resize-engine.h.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_RESIZE_ENGINE_PRIV_H
#define UBF_RESIZE_ENGINE_PRIV_H

#include "resize-engine.h"

/*
 * A registered backend, what the plan in flight wants of it, and what it
 * could not do.
 */
struct ResizeSlot {
    BalloonBackend *bb;
    bool in_plan;               /* has a step in the current plan */
    int64_t planned;            /* contribution the plan wants */
    int64_t start;              /* contribution when the plan began */
    int64_t asked;              /* contribution last asked for, or -1 */
    bool was_connected;         /* its driver was up during this request */

    /* Progress toward @planned, for shortfall detection */
    int64_t best_dist;          /* least |planned - size| seen */
    int64_t progress_ms;        /* when best_dist last fell */
    unsigned int nudges;        /* told its target again since */

    /*
     * Short: it stopped moving before @planned (no progress for 1 s or a
     * third of the stall timeout, its driver went away, or its range no
     * longer includes @planned).  Plans then give it only what the others
     * cannot do, until @retry_at_ms.
     */
    bool is_short;
    int64_t short_at;           /* the contribution it stopped at */
    int64_t short_by;           /* bytes it fell short of its plan */
    bool short_down;            /* it was going down (unplug, inflate) */
    const char *reason;         /* why, for the user */
    int64_t retry_at_ms;
    QTAILQ_ENTRY(ResizeSlot) next;
};

struct ResizeEngine {
    QTAILQ_HEAD(, ResizeSlot) backends;
    const ResizeEngineOps *ops;
    void *opaque;

    /* Configuration */
    int64_t base;                   /* boot RAM + DIMMs, bytes */
    int64_t floor;                  /* smallest target accepted, bytes */
    int64_t stall_ms;               /* no progress this long: stalled */
    int64_t retry_ms;               /* a short backend is tried again */
    ResizePolicy policy;
    int prefer_node;                /* RESIZE_POLICY_PREFER's node */
    int nb_nodes;                   /* NUMA nodes (1 without NUMA) */
    int64_t node_boot[RESIZE_ENGINE_MAX_NODES];   /* boot RAM per node */

    /* The request in flight (or the last one) */
    bool has_target;
    int64_t target;
    bool by_node;                   /* per-node targets (node_amount) */
    bool strict_nodes;              /* ...whose shortfalls stay in node */
    int64_t node_amount[RESIZE_ENGINE_MAX_NODES]; /* plugged, or -1 */
    int growth_node;                /* ...and the balloon grows this node */
    int64_t node_ceiling;           /* no node grows past this (0: none) */
    int64_t balloon_growth;         /* ...by this much */
    ResizeState state;
    ResizePhase phase;
    bool in_flight;                 /* the request has not stopped */
    ResizeSlot *balloon;            /* the balloon the plan is built on */
    int64_t unreachable;            /* bytes no backend can move now */
    unsigned int idle_replans;      /* replans in a row that moved nothing */
    bool ask_again;                 /* this plan asks even those asked */
    bool held;                      /* no shortfall or stall decisions */
    unsigned int depth;             /* calls into the engine in progress */
    bool retick;                    /* a tick came meanwhile: do it after */
    int64_t todo;                   /* bytes to move in all */
    int64_t moved;                  /* bytes moved by earlier plans */
    int64_t best_remaining;         /* least bytes left seen so far */
    int64_t last_progress_ms;       /* when best_remaining last fell */
    int64_t next_retry_ms;          /* stalled: when short ones are retried */
    char *error;                    /* why it failed or stalled, or NULL */
};

/* As resize_engine_new(), for an engine that is not allocated here. */
void resize_engine_init(ResizeEngine *re, const ResizeEngineOps *ops,
                        void *opaque, int64_t base);

/* Free what the engine holds (not the engine, not the backends). */
void resize_engine_finalize(ResizeEngine *re);

#endif
