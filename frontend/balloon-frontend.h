/*
 * Unified balloon frontend: the registry of guest memory resize backends
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BALLOON_FRONTEND_H
#define UBF_BALLOON_FRONTEND_H

#include "system/balloon.h"

/*
 * The frontend owns QEMU's balloon handler registry: devices keep calling
 * qemu_add_balloon_handler() / qemu_remove_balloon_handler() as declared in
 * "system/balloon.h", and the QMP commands 'balloon' and 'query-balloon'
 * are implemented here.
 *
 * Each registration becomes one entry in the registry.  For now the
 * frontend behaves exactly like QEMU's single handler slot: a second
 * registration is refused and every request goes to the one entry.
 */

/* Return the number of backends currently registered. */
unsigned int balloon_frontend_backend_count(void);

#endif
