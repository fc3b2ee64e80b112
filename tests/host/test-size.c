/*
 * balloonctl's size syntax: every form, every error.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "size.h"

#define GIB (1024LL * 1024 * 1024)

static void test_valid(void)
{
    static const struct {
        const char *text;
        gint64 want;
    } cases[] = {
        { "4096", 4096 }, { "3G", 3 * GIB }, { "3g", 3 * GIB },
        { "512M", 512LL << 20 }, { "512MiB", 512LL << 20 },
        { "64K", 64 << 10 }, { "1T", 1LL << 40 }, { "2GB", 2 * GIB },
        { "+1G", 3 * GIB }, { "-512M", 2 * GIB - (512LL << 20) },
        { "50%", GIB }, { "150%", 3 * GIB }, { "100%", 2 * GIB },
        /* as qemu_strtosz(): fractions with a unit, P and E, hex bytes */
        { "1.5G", 3 * GIB / 2 }, { "1.5g", 3 * GIB / 2 },
        { ".5K", 512 }, { "1.K", 1024 }, { "0.001K", 1 },
        { "2P", 2LL << 50 }, { "1E", 1LL << 60 }, { "0x1000", 4096 },
        { "1024B", 1024 }, { "1.5GiB", 3 * GIB / 2 }, { "+0.5G", 5 * GIB / 2 },
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        gint64 out = 0;

        g_assert_true(ubf_size_parse(cases[i].text, 2 * GIB, &out, &err));
        g_assert_no_error(err);
        g_assert_cmpint(out, ==, cases[i].want);
    }
}

static void test_invalid(void)
{
    static const struct {
        const char *text;
        const char *why;
    } cases[] = {
        { "", "invalid size '': empty" },
        { "abc", "invalid size 'abc': expected a number" },
        { "3X", "invalid size '3X': unknown unit (use B, K, M, G, T, P or "
          "E)" },
        { "3Gx", "invalid size '3Gx': unknown unit (use B, K, M, G, T, P or "
          "E)" },
        { "1.5", "invalid size '1.5': a fraction needs a unit (K, M, G, T, "
          "P or E)" },
        { "0x10M", "invalid size '0x10M': a hexadecimal size is bytes, with "
          "no unit or fraction" },
        { "8E", "invalid size '8E': too large" },
        { "0", "invalid size '0': the result is not positive" },
        { "-3G", "invalid size '-3G': the result is not positive" },
        { "+50%", "invalid size '+50%': a percentage is PCT% of the current "
          "size" },
        { "0%", "invalid size '0%': percentage must be 1 to 1000" },
        { "9999999T", "invalid size '9999999T': too large" },
        { "99999999999999999999", "invalid size '99999999999999999999': "
          "too large" },
        { "+9223372036854775807", "invalid size '+9223372036854775807': "
          "too large" },
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        gint64 out = 42;

        g_assert_false(ubf_size_parse(cases[i].text, 2 * GIB, &out, &err));
        g_assert_nonnull(err);
        g_assert_cmpstr(err->message, ==, cases[i].why);
        g_assert_cmpint(out, ==, 42);
    }
}

static void test_format(void)
{
    g_autofree char *a = ubf_size_format(3 * GIB);
    g_autofree char *b = ubf_size_format(1536LL << 20);
    g_autofree char *c = ubf_size_format(100);

    g_assert_cmpstr(a, ==, "3 GiB");
    g_assert_cmpstr(b, ==, "1.50 GiB");
    g_assert_cmpstr(c, ==, "100 B");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/size/valid", test_valid);
    g_test_add_func("/size/invalid", test_invalid);
    g_test_add_func("/size/format", test_format);
    return g_test_run();
}
