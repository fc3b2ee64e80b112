/*
 * The frontend tracks what virtio-balloon takes, exactly: after inflating
 * and deflating a 2-node Linux guest, the tracked bytes equal what
 * query-balloon says was taken, per node they equal what each node lost
 * as the guest itself reports it, and discards went out per merged range.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib/gstdio.h>
#include <string.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define KIB 1024
#define RESIZE_TIMEOUT_MS 180000

static void resize_and_wait(UbfVm *vm, gint64 target)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) done = ubf_vm_balloon(vm, target,
                                                RESIZE_TIMEOUT_MS, &err);
    UbfGuestMem mem;

    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(done, "reason"), ==,
                    "reached");
    /* The guest adjusts its counters right after reporting. */
    g_assert_true(ubf_vm_wait_settled(vm, 1000, 30000, &mem, &err));
    g_assert_no_error(err);
}

/* Tracked bytes == taken bytes, overall and per node as the guest sees. */
static void check_exact(UbfVm *vm, const UbfGuestMem *boot, gint64 base)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute(ubf_vm_qmp(vm),
                                              "query-memory-resize", NULL,
                                              5000, &err);
    JsonObject *info = json_node_get_object(ret);
    JsonArray *nodes = json_object_get_array_member(info, "nodes");
    JsonObject *balloon = json_array_get_object_element(
        json_object_get_array_member(info, "backends"), 0);
    gint64 actual = ubf_vm_qmp_int(vm, "query-balloon", "actual", &err);
    gint64 taken = base - actual, tracked = 0;
    UbfGuestMem mem;
    guint i;

    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
    g_assert_cmpint(json_object_get_int_member(balloon, "size"), ==, -taken);
    g_assert_cmpint(json_array_get_length(nodes), ==, 2);
    for (i = 0; i < 2; i++) {
        JsonObject *n = json_array_get_object_element(nodes, i);
        gint64 ballooned = json_object_get_int_member(n, "ballooned");
        gint64 lost = (boot->nodes[i].memtotal_kib -
                       mem.nodes[i].memtotal_kib) * KIB;

        g_test_message("node %u: ballooned %" G_GINT64_FORMAT
                       " bytes, guest lost %" G_GINT64_FORMAT " bytes", i,
                       ballooned, lost);
        g_assert_cmpint(ballooned, ==, lost);
        g_assert_cmpint(json_object_get_int_member(n, "actual"), ==,
                        json_object_get_int_member(n, "boot") - ballooned);
        tracked += ballooned;
    }
    g_assert_cmpint(tracked, ==, taken);
    g_assert_cmpint((boot->memtotal_kib - mem.memtotal_kib) * KIB, ==, taken);
}

static guint count_lines(const char *path, const char *needle)
{
    g_autofree char *text = NULL;
    guint n = 0;
    const char *p;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    for (p = text; (p = strstr(p, needle)); p++) {
        n++;
    }
    return n;
}

static void test_tracked_exactly(void)
{
    g_autofree char *tmp = g_dir_make_tmp("ubf-track-XXXXXX", NULL);
    g_autofree char *log = g_build_filename(tmp, "trace.log", NULL);
    const char *extra[] = { "-trace", "virtio_balloon_backend_discard",
                            "-D", log, NULL };
    UbfVmConfig cfg = { .boot_mib = 1024, .nodes = 2, .virtio_balloon = TRUE,
                        .modules = "virtio_balloon", .extra = extra };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    UbfGuestMem boot;
    guint discards;

    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    g_assert_cmpint(boot.nnodes, ==, 2);

    resize_and_wait(vm, 640 * MIB);                 /* take 384 MiB */
    check_exact(vm, &boot, 1024 * MIB);
    resize_and_wait(vm, 896 * MIB);                 /* give 256 back */
    check_exact(vm, &boot, 1024 * MIB);
    resize_and_wait(vm, 1024 * MIB);                /* give all back */
    check_exact(vm, &boot, 1024 * MIB);

    /* 384 MiB were discarded in far fewer calls than pages. */
    g_clear_pointer(&vm, ubf_vm_free);
    discards = count_lines(log, "virtio_balloon_backend_discard ");
    g_test_message("%u discards for %u pages", discards, 384 * 256);
    g_assert_cmpuint(discards, >, 0);
    g_assert_cmpuint(discards, <, 384 * 256 / 8);
    g_unlink(log);
    g_rmdir(tmp);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/range-tracking/tracked-exactly", test_tracked_exactly);
    return g_test_run();
}
