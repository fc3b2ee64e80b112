/*
 * Sizes as people type them: "3G", "512M", "+1G", "-256M", "50%"
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_SIZE_H
#define UBF_SIZE_H

#include <glib.h>

/*
 * Parse @text into a size in bytes, as QEMU parses sizes
 * (qemu_strtosz()): a number, bytes unless a unit follows, B, K, M, G,
 * T, P or E (powers of 1024, either case; "iB" or "B" may follow the
 * letter), a fraction only with a unit ("1.5G"; a fraction of a byte
 * rounds), or 0x... bytes; or a "+" or "-" delta from @current; or a
 * percentage of @current ("50%").  A bare number is bytes, not KiB as
 * with virsh.  The result must be positive and fit in 63 bits.  On
 * failure, returns FALSE with a one-line reason in @error naming @text.
 */
gboolean ubf_size_parse(const char *text, gint64 current, gint64 *out,
                        GError **error);

/* "1.5 GiB", "512 MiB", "4096 B": for people. */
char *ubf_size_format(gint64 bytes);

#endif
