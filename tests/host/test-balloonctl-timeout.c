/*
 * balloonctl never hangs on a libvirtd that does not answer: libvirt's
 * client sets no time limit on opening a connection, so balloonctl gives
 * each host's part HOST_TIMEOUT_S (15 s), names the host that did not
 * answer, and goes on with the others.  Here: a socket that accepts and
 * never speaks, and one that is not there.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#define HOST_TIMEOUT_S 15

static void test_mute_libvirtd(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("ubf-balloonctl-XXXXXX", &err);
    g_autofree char *mute = NULL, *gone = NULL, *mute_uri = NULL;
    g_autofree char *gone_uri = NULL, *out = NULL, *errs = NULL;
    g_autoptr(GSocketAddress) addr = NULL;
    g_autoptr(GSocket) listener = NULL;
    g_autoptr(GSubprocess) proc = NULL;
    gint64 t0, ms;

    g_assert_no_error(err);
    mute = g_build_filename(dir, "mute.sock", NULL);
    gone = g_build_filename(dir, "gone.sock", NULL);
    mute_uri = g_strdup_printf("qemu:///system?socket=%s", mute);
    gone_uri = g_strdup_printf("qemu:///system?socket=%s", gone);
    addr = g_unix_socket_address_new(mute);
    listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                            G_SOCKET_PROTOCOL_DEFAULT, &err);
    g_assert_no_error(err);
    g_assert_true(g_socket_bind(listener, addr, TRUE, &err));
    g_assert_true(g_socket_listen(listener, &err));
    g_assert_no_error(err);

    t0 = g_get_monotonic_time();
    proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE, &err,
                            g_getenv("UBF_BALLOONCTL"), "-c", mute_uri,
                            "-c", gone_uri, "status", NULL);
    g_assert_no_error(err);
    g_assert_true(g_subprocess_communicate_utf8(proc, NULL, NULL, &out,
                                                &errs, &err));
    g_assert_no_error(err);
    ms = (g_get_monotonic_time() - t0) / 1000;
    g_test_message("balloonctl status answered in %" G_GINT64_FORMAT
                   " ms", ms);
    g_test_message("%s", errs);
    g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 3);
    g_assert_cmpint(ms, >=, HOST_TIMEOUT_S * 1000);
    g_assert_cmpint(ms, <, (HOST_TIMEOUT_S + 2) * 1000);
    g_assert_nonnull(strstr(errs, "no answer from qemu:///system?socket="));
    g_assert_nonnull(strstr(errs, "within 15 s"));
    g_assert_nonnull(strstr(errs, "cannot connect to qemu:///system?"
                            "socket="));
    g_unlink(mute);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/balloonctl/mute-libvirtd", test_mute_libvirtd);
    return g_test_run();
}
