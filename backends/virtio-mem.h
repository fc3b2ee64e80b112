/*
 * Unified balloon frontend: the virtio-mem adapter, as the device calls
 * it
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BACKENDS_VIRTIO_MEM_H
#define UBF_BACKENDS_VIRTIO_MEM_H

#include "hw/virtio/virtio-mem.h"
#include "ubf/frontend/balloon-frontend.h"

/*
 * Create the adapter of @vmem and register it with the frontend: its
 * size is read from the device, a new size is asked for through its
 * "requested-size" property (with the device's own checks), and its
 * size-change notifier tells the frontend when the guest plugged or
 * unplugged.  Called once, when the device is realized (cold- or
 * hot-plugged); unrealize hands the adapter back with
 * balloon_frontend_unregister().
 */
BalloonBackend *virtio_mem_backend_new(VirtIOMEM *vmem);

#endif
