/*
 * Unified balloon frontend: the balloon-frontend object (frontend-object.c)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_FRONTEND_OBJECT_H
#define UBF_FRONTEND_OBJECT_H

#include "balloon-frontend-internal.h"

#define BALLOON_FRONTEND_NEEDS_OBJECT \
    "Automatic sizing needs a balloon-frontend object (-object " \
    "balloon-frontend,id=ID)"

/*
 * The settings in force if a balloon-frontend object gave them, or NULL
 * (the defaults are in force then).
 */
const BalloonFrontendSettings *balloon_frontend_object_settings(void);

/*
 * Take @s into the balloon-frontend object if the frontend accepts it
 * (memory-resize-auto); fails, changing nothing, if there is no such
 * object or a setting is out of range.
 */
bool balloon_frontend_object_set_settings(const BalloonFrontendSettings *s,
                                          Error **errp);

/*
 * Take @s (checked) into the balloon-frontend object, from an incoming
 * migration; fails if there is no such object here.
 */
bool balloon_frontend_object_load_settings(const BalloonFrontendSettings *s,
                                           Error **errp);

#endif
