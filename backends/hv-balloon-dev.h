/*
 * Unified balloon frontend: the hv-balloon adapter, as the device calls
 * it
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BACKENDS_HV_BALLOON_DEV_H
#define UBF_BACKENDS_HV_BALLOON_DEV_H

#include "hw/hyperv/hv-balloon.h"
#include "system/balloon.h"
#include "ubf/frontend/balloon-frontend.h"

/*
 * Create the adapter of @balloon and register it with the frontend: it
 * reads the device's state with hv_balloon_get_state() and asks for a
 * new guest size through @to_target, the device's own handler.  Called
 * once, when the device is realized; unrealize hands the adapter back
 * with balloon_frontend_unregister().
 */
BalloonBackend *hv_balloon_dev_backend_new(HvBalloon *balloon,
                                           QEMUBalloonEvent *to_target);

#endif
