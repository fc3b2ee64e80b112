/*
 * Sizes as people type them (see size.h)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"

static gboolean ubf_size_fail(GError **error, const char *text,
                              const char *why)
{
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "invalid size '%s': %s", text, why);
    return FALSE;
}

gboolean ubf_size_parse(const char *text, gint64 current, gint64 *out,
                        GError **error)
{
    const char *p = text;
    int sign = 0;
    guint64 value, mult = 1;
    gint64 result;
    char *end;

    if (!text || !*text) {
        return ubf_size_fail(error, text ? text : "", "empty");
    }
    if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        p++;
    }
    if (!g_ascii_isdigit(*p)) {
        return ubf_size_fail(error, text, "expected a number");
    }
    errno = 0;
    value = g_ascii_strtoull(p, &end, 10);
    if (errno == ERANGE) {
        return ubf_size_fail(error, text, "too large");
    }
    if (*end == '%') {
        if (sign || end[1]) {
            return ubf_size_fail(error, text,
                                 "a percentage is PCT% of the current size");
        }
        if (value == 0 || value > 1000) {
            return ubf_size_fail(error, text, "percentage must be 1 to 1000");
        }
        result = (gint64)((double)current * value / 100);
        if (result <= 0) {
            return ubf_size_fail(error, text, "the result is not positive");
        }
        *out = result;
        return TRUE;
    }
    switch (g_ascii_toupper(*end)) {
    case 'K':
        mult = 1ULL << 10;
        break;
    case 'M':
        mult = 1ULL << 20;
        break;
    case 'G':
        mult = 1ULL << 30;
        break;
    case 'T':
        mult = 1ULL << 40;
        break;
    case '\0':
        break;
    default:
        return ubf_size_fail(error, text, "unknown unit (use K, M, G or T)");
    }
    if (*end) {
        end++;
        if (!strcmp(end, "iB") || !strcmp(end, "B")) {
            end += strlen(end);
        }
        if (*end) {
            return ubf_size_fail(error, text,
                                 "unknown unit (use K, M, G or T)");
        }
    }
    if (value > (guint64)G_MAXINT64 / mult) {
        return ubf_size_fail(error, text, "too large");
    }
    value *= mult;
    if (sign) {
        if (sign > 0 && value > (guint64)(G_MAXINT64 - current)) {
            return ubf_size_fail(error, text, "too large");
        }
        result = sign > 0 ? current + (gint64)value : current - (gint64)value;
    } else {
        result = (gint64)value;
    }
    if (result <= 0) {
        return ubf_size_fail(error, text, "the result is not positive");
    }
    *out = result;
    return TRUE;
}

char *ubf_size_format(gint64 bytes)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = bytes;
    int u = 0;

    while (ABS(v) >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0) {
        return g_strdup_printf("%" G_GINT64_FORMAT " B", bytes);
    }
    return g_strdup_printf(v == (gint64)v ? "%.0f %s" : "%.2f %s", v,
                           units[u]);
}
