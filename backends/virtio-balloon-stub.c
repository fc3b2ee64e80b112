/*
 * Unified balloon frontend: virtio-balloon backend, when the device is
 * not built
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "backends.h"

BalloonBackend *virtio_balloon_backend_new(Object *dev,
                                           QEMUBalloonEvent *event_fn)
{
    return NULL;
}

void virtio_balloon_backend_free(BalloonBackend *bb)
{
    g_assert_not_reached();
}

bool virtio_balloon_backend_page_inflate(BalloonBackend *bb,
                                         MemoryRegion *mr, hwaddr offset,
                                         hwaddr gpa)
{
    g_assert_not_reached();
}

void virtio_balloon_backend_page_deflate(BalloonBackend *bb, hwaddr gpa)
{
    g_assert_not_reached();
}

void virtio_balloon_backend_pages_flush(BalloonBackend *bb)
{
    g_assert_not_reached();
}

void virtio_balloon_backend_pages_reset(BalloonBackend *bb)
{
    g_assert_not_reached();
}
