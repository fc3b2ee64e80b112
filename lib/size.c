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

/* The scale of unit suffix @c, as QEMU's sizes have it; 0 if none. */
static guint64 ubf_size_unit(char c)
{
    switch (g_ascii_toupper(c)) {
    case 'B':
        return 1;
    case 'K':
        return 1ULL << 10;
    case 'M':
        return 1ULL << 20;
    case 'G':
        return 1ULL << 30;
    case 'T':
        return 1ULL << 40;
    case 'P':
        return 1ULL << 50;
    case 'E':
        return 1ULL << 60;
    }
    return 0;
}

/*
 * An absolute size at @p, up to its end: QEMU's syntax (qemu_strtosz():
 * bytes by default, a fraction only with a unit, the fraction of a byte
 * rounded, 0x... in bytes), and "iB" or "B" after the unit ("512MiB").
 */
static gboolean ubf_size_absolute(const char *text, const char *p,
                                  guint64 *out, GError **error)
{
    guint64 whole = 0, frac = 0, frac_scale = 1, mult = 1;
    unsigned __int128 v;
    gboolean dot = FALSE;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        char *end;

        errno = 0;
        whole = g_ascii_strtoull(p + 2, &end, 16);
        if (end == p + 2 || *end) {
            return ubf_size_fail(error, text, "a hexadecimal size is bytes, "
                                 "with no unit or fraction");
        }
        if (errno == ERANGE || whole > G_MAXINT64) {
            return ubf_size_fail(error, text, "too large");
        }
        *out = whole;
        return TRUE;
    }
    if (!g_ascii_isdigit(*p) && !(*p == '.' && g_ascii_isdigit(p[1]))) {
        return ubf_size_fail(error, text, "expected a number");
    }
    for (; g_ascii_isdigit(*p); p++) {
        if (whole > (G_MAXUINT64 - 9) / 10) {
            return ubf_size_fail(error, text, "too large");
        }
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        dot = TRUE;
        for (p++; g_ascii_isdigit(*p); p++) {
            if (frac_scale <= G_MAXUINT64 / 100) {
                frac = frac * 10 + (*p - '0');
                frac_scale *= 10;
            }
        }
    }
    if (*p) {
        mult = ubf_size_unit(*p);
        if (!mult) {
            return ubf_size_fail(error, text, "unknown unit (use B, K, M, G, "
                                 "T, P or E)");
        }
        if (g_ascii_toupper(*p) != 'B' &&
            (!strcmp(p + 1, "iB") || !strcmp(p + 1, "B"))) {
            p += strlen(p) - 1;
        }
        if (p[1]) {
            return ubf_size_fail(error, text, "unknown unit (use B, K, M, G, "
                                 "T, P or E)");
        }
    }
    if (dot && mult == 1) {
        return ubf_size_fail(error, text, "a fraction needs a unit (K, M, G, "
                             "T, P or E)");
    }
    /* whole * mult + frac / frac_scale * mult, the half rounded up */
    v = (unsigned __int128)whole * mult +
        ((unsigned __int128)frac * mult * 2 + frac_scale) / (2 * frac_scale);
    if (v > G_MAXINT64) {
        return ubf_size_fail(error, text, "too large");
    }
    *out = (guint64)v;
    return TRUE;
}

gboolean ubf_size_parse(const char *text, gint64 current, gint64 *out,
                        GError **error)
{
    const char *p = text;
    int sign = 0;
    guint64 value;
    gint64 result;
    const char *pct;

    if (!text || !*text) {
        return ubf_size_fail(error, text ? text : "", "empty");
    }
    if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        p++;
    }
    pct = strchr(p, '%');
    if (pct) {
        char *end;

        if (sign || pct[1]) {
            return ubf_size_fail(error, text,
                                 "a percentage is PCT% of the current size");
        }
        errno = 0;
        value = g_ascii_strtoull(p, &end, 10);
        if (end != pct || !g_ascii_isdigit(*p)) {
            return ubf_size_fail(error, text, "expected a number");
        }
        if (errno == ERANGE || value == 0 || value > 1000) {
            return ubf_size_fail(error, text, "percentage must be 1 to 1000");
        }
        result = (gint64)((double)current * value / 100);
        if (result <= 0) {
            return ubf_size_fail(error, text, "the result is not positive");
        }
        *out = result;
        return TRUE;
    }
    if (!ubf_size_absolute(text, p, &value, error)) {
        return FALSE;
    }
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
