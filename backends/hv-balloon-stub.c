/*
 * Unified balloon frontend: hv-balloon backend, when the device is not
 * built
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "backends.h"

BalloonBackend *hv_balloon_dev_backend_new(Object *dev,
                                           QEMUBalloonEvent *event_fn)
{
    return NULL;
}

void hv_balloon_dev_backend_free(BalloonBackend *bb)
{
    g_assert_not_reached();
}
