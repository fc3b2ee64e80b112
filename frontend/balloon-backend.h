/*
 * Unified balloon frontend: the interface every resize backend implements
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BALLOON_BACKEND_H
#define UBF_BALLOON_BACKEND_H

#include "qemu/queue.h"
#include "range-set.h"

/*
 * A resize backend is anything that can change how much memory the guest
 * has: a balloon (virtio-balloon, hv-balloon) takes pages away and gives
 * them back, a virtio-mem device plugs and unplugs blocks, hv-balloon also
 * hot-adds memory from its memdev.
 *
 * Each backend *contributes* a signed number of bytes to the guest size:
 *
 *   guest size = boot RAM + DIMMs + sum of all contributions
 *
 * A balloon contributes minus what it holds, virtio-mem plus what is
 * plugged, hv-balloon plus what it hot-added minus what it holds.  The
 * frontend's planner only ever asks a backend to move its contribution to
 * a new value; how the backend and its guest driver get there is the
 * backend's business.
 *
 * Backends never call the planner.  They are registered with
 * resize_engine_add() and polled through the hooks below.
 */

typedef enum BalloonBackendKind {
    BALLOON_BACKEND_KIND_VIRTIO_BALLOON,
    BALLOON_BACKEND_KIND_VIRTIO_MEM,
    BALLOON_BACKEND_KIND_HV_BALLOON,
    BALLOON_BACKEND_KIND__MAX,
} BalloonBackendKind;

/* A snapshot of one backend, filled by BalloonBackendClass::get_info. */
typedef struct BalloonBackendInfo {
    /* The guest driver is connected and can act on a new target. */
    bool driver_connected;
    /*
     * The guest driver is there but holds requests for a while (hv-balloon
     * right after connecting): not connected yet, but the backend a plan
     * should use.
     */
    bool driver_pending;
    /* NUMA node the backend's memory belongs to, -1 if none or unknown. */
    int node;
    /* Current contribution in bytes (see above); guest-reported. */
    int64_t size;
    /* Lowest and highest contribution the backend can ever reach. */
    int64_t min_size;
    int64_t max_size;
    /*
     * The contribution moves in multiples of this many bytes (a power of
     * two, at least 4 KiB): the page for balloons, the block for
     * virtio-mem.
     */
    uint64_t granularity;
} BalloonBackendInfo;

typedef struct BalloonBackend BalloonBackend;

typedef struct BalloonBackendClass {
    /* What the backend is; decides its place in a plan. */
    BalloonBackendKind kind;

    /*
     * Fill @info with the backend's current state.
     *
     * Required.  Called whenever the frontend plans, on every progress
     * check of a resize in flight (every few tens of milliseconds while a
     * resize runs) and on every query; must be cheap and must not fail.
     */
    void (*get_info)(BalloonBackend *bb, BalloonBackendInfo *info);

    /*
     * Ask the backend to move its contribution to @size bytes.  @size is
     * within [min_size, max_size] of the last get_info() and a multiple of
     * its granularity.  The request only starts the change: completion is
     * seen through get_info().  A later call replaces an earlier one.
     *
     * Required.  Called once per plan step that involves the backend, and
     * again whenever a new request replaces the one in flight.  Returns
     * false with @errp set if the request cannot even be made; the
     * frontend then fails the whole resize and rolls every backend it
     * already asked back to its contribution before the resize.
     */
    bool (*set_target)(BalloonBackend *bb, int64_t size, Error **errp);

    /*
     * Optional: the guest-physical pages (4 KiB page numbers) the backend
     * took from the guest, exactly, or NULL if it does not know them.
     * The set stays owned by the backend.
     *
     * Called on queries, to split ballooned memory by NUMA node.  Default
     * (not implemented): unknown.
     */
    RangeSet *(*get_ranges)(BalloonBackend *bb);
} BalloonBackendClass;

struct BalloonBackend {
    /* public: set by the backend before resize_engine_add() */
    const BalloonBackendClass *klass;
    char *id;                   /* user-visible name, e.g. a device id */
    void *opaque;               /* the backend's own state */

    /* private: owned by the engine */
    bool in_plan;               /* has a step in the current plan */
    int64_t planned;            /* contribution the plan wants */
    int64_t start;              /* contribution when the plan began */
    QTAILQ_ENTRY(BalloonBackend) next;
};

/* Wrappers: the engine and the glue call the hooks only through these. */
void balloon_backend_get_info(BalloonBackend *bb, BalloonBackendInfo *info);
bool balloon_backend_set_target(BalloonBackend *bb, int64_t size,
                                Error **errp);
RangeSet *balloon_backend_get_ranges(BalloonBackend *bb);
const char *balloon_backend_kind_str(BalloonBackendKind kind);

#endif
