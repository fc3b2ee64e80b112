/*
 * Unified balloon frontend: the per-VM settings (frontend-settings.c)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_FRONTEND_SETTINGS_H
#define UBF_FRONTEND_SETTINGS_H

#include "balloon-frontend-internal.h"

/* The defaults, as without a balloon-frontend object. */
void frontend_settings_default(BalloonFrontendSettings *s);

/*
 * Check @s against the machine: each setting within the range this VM
 * allows.  Errors name the property (@s's field) and the range.  Before
 * the machine is ready, only what can be known is checked; the rest is
 * checked when it is (QEMU then exits on an error).
 */
bool frontend_settings_check(const BalloonFrontendSettings *s,
                             Error **errp);

/*
 * Check automatic sizing's settings in @s alone, the sizes against @reach
 * (the largest size the backends reach; -1: not yet known).
 */
bool frontend_settings_check_auto(const BalloonFrontendSettings *s,
                                  int64_t reach, Error **errp);

/* Put @s (checked) in force: the engine's and automatic sizing's. */
void frontend_settings_apply(const BalloonFrontendSettings *s);

#endif
