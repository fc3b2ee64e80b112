/*
 * Unified balloon frontend: automatic sizing on the frontend (frontend-auto.c)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_FRONTEND_AUTO_H
#define UBF_FRONTEND_AUTO_H

#include "balloon-frontend-internal.h"

/* Put its settings in @s (checked) in force. */
void frontend_auto_apply(const BalloonFrontendSettings *s);

/* For query-memory-resize. */
struct MemoryResizeAutoInfo *frontend_auto_info(void);

#endif
