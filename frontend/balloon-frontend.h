/*
 * Unified balloon frontend: what backend adapters call
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BALLOON_FRONTEND_H
#define UBF_BALLOON_FRONTEND_H

#include "hw/qdev-core.h"
#include "system/balloon.h"
#include "balloon-backend.h"

/*
 * The frontend owns QEMU's balloon handler registry: balloon devices keep
 * calling qemu_add_balloon_handler() / qemu_remove_balloon_handler() as
 * declared in "system/balloon.h", and each registration becomes a
 * backend (backends/virtio-balloon.c for virtio-balloon,
 * backends/legacy-balloon.c for any other).  virtio-mem devices are
 * found as they are realized (backends/virtio-mem.c).  QMP 'balloon',
 * 'query-balloon', 'memory-resize' and 'query-memory-resize' are
 * implemented here.
 */

/* Register @bb (klass, id and opaque set); the frontend does not own it. */
void balloon_frontend_add_backend(BalloonBackend *bb);
void balloon_frontend_remove_backend(BalloonBackend *bb);

/*
 * A backend's contribution may have changed (the guest acted): check
 * progress and emit BALLOON_CHANGE if the guest size moved.
 */
void balloon_frontend_backend_changed(void);

/*
 * The name a user knows a backend device by: its id, else for a virtio
 * device its proxy's id (virtio-*-pci,id=...), else its QOM path.
 */
char *balloon_frontend_device_id(DeviceState *dev);

/* Settings (frontend-object.c sets them from -object balloon-frontend). */
#define BALLOON_FRONTEND_DEFAULT_STALL_MS (30 * 1000)
void balloon_frontend_set_floor(int64_t floor);
void balloon_frontend_set_stall_ms(int64_t stall_ms);
/* @policy is a BalloonFrontendPolicy. */
void balloon_frontend_set_policy(int policy, int prefer_node);

/* Boot RAM + DIMMs, in bytes: the size with every contribution at 0. */
int64_t balloon_frontend_base_size(void);

#endif
