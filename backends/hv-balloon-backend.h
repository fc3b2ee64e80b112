/*
 * Unified balloon frontend: hv-balloon backend
 *
 * The backend's logic works on HvBalloonState (include/hw/hyperv/
 * hv-balloon.h) through two device operations, so that it runs the same
 * against the device (backends/hv-balloon-dev.c) and against the model of
 * the device's contract the tests use (tests/unit/hv-balloon-model.c).
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_HV_BALLOON_BACKEND_H
#define UBF_HV_BALLOON_BACKEND_H

#include "hw/hyperv/hv-balloon.h"
#include "ubf/frontend/balloon-backend.h"

typedef struct HvBalloonBackendOps {
    /* The device's state now. */
    void (*get_state)(void *dev, HvBalloonState *state);
    /* Ask for a guest size of @target bytes (hv-balloon's own meaning). */
    void (*set_target)(void *dev, uint64_t target);
    /* Boot RAM + DIMMs: the size hv-balloon counts from. */
    int64_t (*base_size)(void *dev);
    /* Optional: free @dev when the backend is released. */
    void (*release)(void *dev);
    /* Optional: the pages the guest returned (hv_balloon_foreach_removed). */
    void (*foreach_removed)(void *dev, RangeSetFunc fn, void *opaque);
    /* Optional: when growing, give back pages of @prefer only (or NULL). */
    void (*set_unballoon_preference)(void *dev, RangeSet *prefer);
    /* Optional: the guest OS ID the guest wrote (hyperv_guest_os_id). */
    uint64_t (*guest_os_id)(void *dev);
    /* Optional: the guest's NUMA nodes (default 1)... */
    int (*nb_nodes)(void *dev);
    /* ...and the pages of each node's boot memory. */
    RangeSet *(*node_pages)(void *dev, int node);
    /* Optional: its cold discard hints (hv_balloon_get_hint_stats). */
    void (*get_hint_stats)(void *dev, HvBalloonHintStats *stats);
} HvBalloonBackendOps;

/* A backend over @dev, named @id; released by its release hook. */
BalloonBackend *hv_balloon_backend_new(const HvBalloonBackendOps *ops,
                                       void *dev, const char *id);

#endif
