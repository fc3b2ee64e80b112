/*
 * Unified balloon frontend: backend adapters
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BACKENDS_H
#define UBF_BACKENDS_H

#include "system/balloon.h"
#include "../frontend/balloon-backend.h"

/*
 * virtio-balloon (virtio-balloon.c): reads the device's state, and asks
 * for a new balloon size through the device's own balloon handler.
 * Returns NULL if @dev is not a virtio-balloon (or virtio-balloon is not
 * built: virtio-balloon-stub.c).
 */
BalloonBackend *virtio_balloon_backend_new(Object *dev,
                                           QEMUBalloonEvent *event_fn);
void virtio_balloon_backend_free(BalloonBackend *bb);

/* The device's pages, as handed over through system/balloon.h. */
bool virtio_balloon_backend_page_inflate(BalloonBackend *bb,
                                         MemoryRegion *mr, hwaddr offset,
                                         hwaddr gpa);
void virtio_balloon_backend_page_deflate(BalloonBackend *bb, hwaddr gpa);
void virtio_balloon_backend_pages_flush(BalloonBackend *bb);
void virtio_balloon_backend_pages_reset(BalloonBackend *bb);

/*
 * hv-balloon (hv-balloon.c over hv-balloon-backend.c): NULL if @dev is
 * not an hv-balloon (or hv-balloon is not built: hv-balloon-stub.c).
 */
BalloonBackend *hv_balloon_dev_backend_new(Object *dev,
                                           QEMUBalloonEvent *event_fn);
void hv_balloon_dev_backend_free(BalloonBackend *bb);

/*
 * Any other device that registers a balloon handler,
 * driven only through that handler: the target it takes and the guest
 * size it reports (legacy-balloon.c).
 */
BalloonBackend *legacy_balloon_backend_new(Object *dev,
                                           QEMUBalloonEvent *event_fn,
                                           QEMUBalloonStatus *stat_fn);
void legacy_balloon_backend_free(BalloonBackend *bb);

/* virtio-mem devices register themselves as they are realized. */

#endif
