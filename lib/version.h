/*
 * What every tool says to --version: our version (the Debian QEMU
 * version built on, +ubfN) and the QEMU version, both set by meson.build
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_VERSION_H
#define UBF_VERSION_H

#include <stdio.h>

/* "balloonctl 1:10.0.13+ds-0+deb13u1+ubf1 (QEMU 10.0.13 with ...)" */
static inline void ubf_print_version(const char *prog)
{
    printf("%s %s (QEMU %s with the unified balloon frontend)\n", prog,
           UBF_VERSION, UBF_QEMU_VERSION);
}

#endif
