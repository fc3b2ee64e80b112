/*
 * A model of hv-balloon's contract, as the frontend sees it, for tests:
 * the Dynamic Memory protocol's connect and post-init hold, target
 * processing (unballoon first, then hot-add in the guest's alignment from
 * the memdev, then balloon back any excess; at most 585728 pages per
 * balloon request), guest limits, system and channel resets.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_HV_BALLOON_MODEL_H
#define UBF_HV_BALLOON_MODEL_H

#include "hw/hyperv/hv-balloon.h"

/* hv-balloon.c: "the maximum number of pages that Windows returns..." */
#define HV_MODEL_HR_CHUNK_PAGES 585728
/* hv-balloon.c: HV_BALLOON_POST_INIT_WAIT */
#define HV_MODEL_POST_INIT_WAIT_MS (50 * 1000)

typedef enum HvModelState {
    HV_MODEL_DISCONNECTED,      /* no driver, or before/after a reset */
    HV_MODEL_HOLD,              /* connected, in the post-init wait */
    HV_MODEL_IDLE,              /* connected, processing targets */
} HvModelState;

typedef struct HvModel {
    /* configuration */
    uint64_t boot;              /* boot RAM + DIMMs */
    uint64_t memdev;            /* hot-add memdev size, 0: none */
    uint64_t align;             /* guest hot-add alignment, 0: no cap */
    int64_t hold_ms;            /* post-init wait */

    /* the guest */
    bool driver;                /* the guest's DM driver is loaded */
    bool stuck;                 /* it never answers requests */
    uint64_t guest_can_give;    /* most bytes it can return at all */

    /* the device */
    HvModelState state;
    int64_t connect_ms;
    uint64_t target;            /* 0: none */
    uint64_t ballooned;
    uint64_t hot_added;
    unsigned int rounds;        /* requests answered */

    /* what the device reports, overridden by malformed-state tests */
    bool malformed;
    HvBalloonState forced;
} HvModel;

void hv_model_init(HvModel *m, uint64_t boot, uint64_t memdev,
                   uint64_t align);
void hv_model_get_state(void *dev, HvBalloonState *st);
void hv_model_set_target(void *dev, uint64_t target);
int64_t hv_model_base_size(void *dev);

/* One protocol round at time @now_ms. */
void hv_model_step(HvModel *m, int64_t now_ms);

/* System reset: hot-added memory and the balloon are gone. */
void hv_model_system_reset(HvModel *m);
/* VMBus channel reset (no reboot): the balloon is gone, hot-add stays. */
void hv_model_channel_reset(HvModel *m);

#endif
