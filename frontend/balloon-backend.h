/*
 * Unified balloon frontend: the interface every resize backend implements
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BALLOON_BACKEND_H
#define UBF_BALLOON_BACKEND_H

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
 * A backend is an adapter the device side creates (backends/) and hands
 * to the frontend with balloon_frontend_register(); the frontend owns it
 * from then on, polls it through the hooks below and gives it back with
 * the release hook when the device calls balloon_frontend_unregister().
 * Backends never call the planner.
 */

/*
 * How the planner uses a backend.  The role is all the planner knows of
 * a backend; what device it is (BalloonBackendClass::type) only names it
 * to the user.
 */
typedef enum BalloonBackendRole {
    /*
     * Takes single pages from the guest (contribution <= 0) and, if its
     * max_size is above 0, hot-adds memory (contribution > 0).  Not bound
     * to a NUMA node.  One balloon at a time takes part in a plan: the
     * one whose guest driver is connected (one that can hot-add first),
     * see resize_engine_active_balloon().
     */
    BALLOON_BACKEND_ROLE_BALLOON,
    /*
     * Plugs and unplugs blocks of its own memory on one NUMA node
     * (contribution >= 0).  Every such backend takes part in a plan.
     */
    BALLOON_BACKEND_ROLE_PLUG,
    BALLOON_BACKEND_ROLE__MAX,
} BalloonBackendRole;

/* A snapshot of one backend, filled by BalloonBackendClass::get_info. */
/*
 * Free page hints the guest sent since QEMU started (hv-balloon's cold
 * discard hints): whether the backend offers them, the bytes and page
 * ranges reported, the discards made for them (merged), the calls
 * refused.  Guest-reported figures, for the user only.
 */
typedef struct BalloonBackendHints {
    bool offered;
    uint64_t bytes;
    uint64_t ranges;
    uint64_t discards;
    uint64_t refused;
} BalloonBackendHints;

typedef struct BalloonBackendInfo {
    /* The guest driver is connected and can act on a new target. */
    bool driver_connected;
    /*
     * The guest driver is there but holds requests for a while (hv-balloon
     * right after connecting): not connected yet, but the backend a plan
     * should use.
     */
    bool driver_pending;
    /*
     * NUMA node the backend's memory belongs to (a balloon's: the node of
     * what it hot-adds, as the guest places it), -1 if none or unknown.
     */
    int node;
    /* Current contribution in bytes (see above); guest-reported. */
    int64_t size;
    /*
     * The part of @size that is memory hot-added into the guest (0 for
     * backends that do not hot-add); it counts to @node.
     */
    int64_t hot_added;
    /* Lowest and highest contribution the backend can ever reach. */
    int64_t min_size;
    int64_t max_size;
    /*
     * The contribution moves in multiples of this many bytes (a power of
     * two, at least 4 KiB): the page for balloons, the block for
     * virtio-mem.
     */
    uint64_t granularity;
    /*
     * Why [min_size, max_size] is narrower than what the device offers,
     * when the guest said so (e.g. it cannot hot-add), for the user; a
     * static string, or NULL.
     */
    const char *limit_reason;
    /* Free page hints the guest sent (see BalloonBackendHints). */
    BalloonBackendHints hints;
} BalloonBackendInfo;

/*
 * What the guest driver last reported of its own memory, filled by
 * BalloonBackendClass::get_report.  Guest-reported: the frontend
 * checks every figure against the guest size before it uses it.
 */
typedef struct BalloonBackendReport {
    /* Bytes the guest could still use without reclaiming or swapping. */
    uint64_t available;
    /*
     * The memory the guest counts as its own in the same report (Linux:
     * MemTotal), 0 if it does not say: its demand is then this minus
     * @available, consistent even while new memory is not online yet.
     */
    uint64_t total;
    /* How long ago it reported, in milliseconds; -1 if unknown. */
    int64_t age_ms;
    /*
     * Cumulative count of its signs of shortage (OOM kills plus
     * allocation stalls); -1 if it does not report them.
     */
    int64_t pressure;
} BalloonBackendReport;

typedef struct BalloonBackend BalloonBackend;

typedef struct BalloonBackendClass {
    /*
     * What the backend is, as QMP reports it: a MemoryResizeBackendType
     * name ("virtio-balloon", "virtio-mem", "hv-balloon").  Never used to
     * plan.
     */
    const char *type;
    /* How the planner uses the backend. */
    BalloonBackendRole role;

    /*
     * Fill @info with the backend's current state.  @info comes zeroed,
     * with @info->node = -1.
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
     * frontend then fails the whole resize, rolls every backend it
     * already asked back to its contribution before the resize, and
     * reports the message to the user.
     */
    bool (*set_target)(BalloonBackend *bb, int64_t size, Error **errp);

    /*
     * Optional: call @fn for every range of guest-physical pages (4 KiB
     * page numbers) the backend took from the guest, each page once, and
     * return true; or return false if it does not know them exactly.
     *
     * Called on queries and per-node requests, to split ballooned memory
     * by NUMA node.  Default (not implemented): unknown.
     */
    bool (*foreach_range)(BalloonBackend *bb, RangeSetFunc fn, void *opaque);

    /*
     * Optional, for balloons: how many bytes the backend can grow NUMA
     * node @node by, giving back pages it took from that node and
     * hot-adding memory the guest places there.
     *
     * Called when a request names node sizes, and on queries (each
     * node's maximum).  Default (not implemented): 0, the backend cannot
     * grow one node in particular.
     */
    int64_t (*node_room)(BalloonBackend *bb, int node);

    /*
     * Optional, with node_room: until told otherwise, grow node @node
     * only (-1: any), at most its node_room.
     *
     * Called whenever the frontend plans, before set_target.  Default
     * (not implemented): nothing.
     */
    void (*set_growth_node)(BalloonBackend *bb, int node);

    /*
     * Optional: fill @report with the guest driver's last report of its
     * own memory use and return true; return false if there is none (the
     * driver never reported, or is gone).  @report comes zeroed, with
     * age_ms and pressure -1.
     *
     * Called once a second while automatic sizing is on, and on
     * queries.  Default (not implemented): no report.
     */
    bool (*get_report)(BalloonBackend *bb, BalloonBackendReport *report);

    /*
     * Optional: have the guest driver report at least every @interval_ms
     * milliseconds (0: only as the device was configured to).
     *
     * Called when automatic sizing is turned on (with the interval it
     * samples at) and off (0).  Default (not implemented): the device
     * reports as configured, or not at all.
     */
    void (*set_report_interval)(BalloonBackend *bb, int64_t interval_ms);

    /*
     * Optional: free the adapter and what it owns.
     *
     * Called exactly once, by balloon_frontend_unregister(), after the
     * frontend forgot the backend; no hook is called after it.  Default
     * (not implemented): nothing is freed, the adapter outlives the
     * frontend's use of it.
     */
    void (*release)(BalloonBackend *bb);
} BalloonBackendClass;

/*
 * A backend adapter embeds this and finds itself with container_of();
 * klass and id are set before it is registered.
 */
struct BalloonBackend {
    const BalloonBackendClass *klass;
    char *id;                   /* user-visible name, e.g. a device id */
};

/* Wrappers: the engine and the frontend call the hooks only through these. */
void balloon_backend_get_info(BalloonBackend *bb, BalloonBackendInfo *info);
bool balloon_backend_set_target(BalloonBackend *bb, int64_t size,
                                Error **errp);
bool balloon_backend_foreach_range(BalloonBackend *bb, RangeSetFunc fn,
                                   void *opaque);
int64_t balloon_backend_node_room(BalloonBackend *bb, int node);
void balloon_backend_set_growth_node(BalloonBackend *bb, int node);
bool balloon_backend_get_report(BalloonBackend *bb,
                                BalloonBackendReport *report);
void balloon_backend_set_report_interval(BalloonBackend *bb,
                                         int64_t interval_ms);
void balloon_backend_release(BalloonBackend *bb);
bool balloon_backend_is_balloon(BalloonBackend *bb);

#endif
