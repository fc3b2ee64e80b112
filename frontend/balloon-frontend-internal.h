/*
 * Unified balloon frontend: settings, between the balloon-frontend
 * object (frontend-object.c) and the frontend (balloon-frontend.c)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BALLOON_FRONTEND_INTERNAL_H
#define UBF_BALLOON_FRONTEND_INTERNAL_H

#include "resize-engine.h"

#define BALLOON_FRONTEND_DEFAULT_STALL_MS (30 * 1000)
#define BALLOON_FRONTEND_STALL_MIN_S 1
#define BALLOON_FRONTEND_STALL_MAX_S 3600

/* The per-VM settings (see BalloonFrontendProperties in qapi/qom.json). */
typedef struct BalloonFrontendSettings {
    int64_t floor;              /* bytes */
    int64_t stall_ms;
    int policy;                 /* BalloonFrontendPolicy */
    int prefer_node;
} BalloonFrontendSettings;

/* The defaults, as without a balloon-frontend object. */
void balloon_frontend_default_settings(BalloonFrontendSettings *s);

/*
 * Check @s against the machine: each setting within the range this VM
 * allows.  Errors name the property (@s's field) and the range.  Before
 * the machine is ready, only what can be known is checked; the rest is
 * checked when it is (QEMU then exits on an error).
 */
bool balloon_frontend_check_settings(const BalloonFrontendSettings *s,
                                     Error **errp);

/* Put @s (checked) in force. */
void balloon_frontend_apply_settings(const BalloonFrontendSettings *s);

/*
 * The settings the machine-ready check looks at: the balloon-frontend
 * object's, or NULL for the defaults (frontend-object.c).
 */
const BalloonFrontendSettings *balloon_frontend_object_settings(void);

/*
 * Take @s (checked) into the balloon-frontend object, from an incoming
 * migration; fails if there is no such object here.
 */
bool balloon_frontend_object_load_settings(const BalloonFrontendSettings *s,
                                           Error **errp);

/* For frontend-migration.c: the frontend's clock (virtual, in ms). */
int64_t balloon_frontend_clock_ms(void);

/* Report the guest size, and keep ticking while a request is in flight. */
void balloon_frontend_poke(void);

/*
 * Register what a migration carries of the frontend (once the machine
 * and its NUMA nodes are known), see frontend-migration.c.
 */
void balloon_frontend_migration_init(ResizeEngine *re);

#endif
