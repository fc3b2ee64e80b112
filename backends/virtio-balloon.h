/*
 * Unified balloon frontend: the virtio-balloon adapter, as the device
 * calls it
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BACKENDS_VIRTIO_BALLOON_H
#define UBF_BACKENDS_VIRTIO_BALLOON_H

#include "hw/virtio/virtio-balloon.h"
#include "system/balloon.h"
#include "ubf/frontend/balloon-frontend.h"

/*
 * Create the adapter of @dev and register it with the frontend: it reads
 * the device's state and asks for a new balloon size through @to_target,
 * the device's own handler (so the device's checks apply).  Called once,
 * when the device is realized; unrealize hands the adapter back with
 * balloon_frontend_unregister().
 */
BalloonBackend *virtio_balloon_backend_new(VirtIOBalloon *dev,
                                           QEMUBalloonEvent *to_target);

/*
 * Page tracking: the device hands the adapter each page the guest puts
 * into or takes out of the balloon.  The adapter records inflated pages
 * as ranges, drops duplicates and deflates of pages it never saw, and
 * discards merged ranges when the device flushes.
 *
 * virtio_balloon_backend_page_inflate() returns false if the device must
 * handle the page itself (a RAM block with pages larger than 4 KiB); @mr
 * and @offset locate the page, which the device has checked to be RAM.
 * virtio_balloon_backend_pages_flush() is called after each request,
 * before it is completed to the guest; virtio_balloon_backend_pages_reset()
 * when the device resets (the guest's balloon is empty again).
 */
bool virtio_balloon_backend_page_inflate(BalloonBackend *bb,
                                         MemoryRegion *mr, hwaddr offset,
                                         hwaddr gpa);
void virtio_balloon_backend_page_deflate(BalloonBackend *bb, hwaddr gpa);
void virtio_balloon_backend_pages_flush(BalloonBackend *bb);
void virtio_balloon_backend_pages_reset(BalloonBackend *bb);

/*
 * After an incoming migration, from the device's post_load: the device's
 * state (what the guest holds) and the page record, if it came, are
 * loaded; pages held beyond the record are untracked from then on.
 */
void virtio_balloon_backend_post_load(BalloonBackend *bb);

#endif
