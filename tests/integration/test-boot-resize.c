/*
 * Boot the Linux test guest on our QEMU (no -L: firmware comes from the
 * configured firmware path), shrink it with 'balloon', grow it with a
 * virtio-mem 'requested-size', and check what the guest itself sees.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "vm.h"

#define MIB (1024 * 1024)
#define KIB_PER_MIB 1024
#define RESIZE_TIMEOUT_MS 120000

static gboolean balloon_change_is(JsonObject *ev, gpointer opaque)
{
    JsonObject *data = json_object_get_object_member(ev, "data");

    return json_object_get_int_member(data, "actual") == *(gint64 *)opaque;
}

static gboolean size_change_is(JsonObject *ev, gpointer opaque)
{
    JsonObject *data = json_object_get_object_member(ev, "data");

    return json_object_get_int_member(data, "size") == *(gint64 *)opaque;
}

static void test_balloon_then_virtio_mem(void)
{
    UbfVmConfig cfg = {
        .boot_mib = 1024,
        .virtio_balloon = TRUE,
        .virtio_mem_mib = 1024,
        .modules = "virtio_balloon,virtio_mem",
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(JsonObject) ev = NULL;
    UbfGuestMem boot, shrunk, grown;
    gint64 target = 768 * (gint64)MIB;
    gint64 plug = 512 * (gint64)MIB;

    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    g_assert_no_error(err);
    g_test_message("boot MemTotal %" G_GINT64_FORMAT " KiB", boot.memtotal_kib);

    /* Shrink by 256 MiB: the guest's MemTotal drops by exactly that. */
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 805306368}", 5000, &err);
    g_assert_no_error(err);
    ev = ubf_qmp_wait_event(ubf_vm_qmp(vm), "BALLOON_CHANGE",
                            balloon_change_is, &target, RESIZE_TIMEOUT_MS,
                            &err);
    g_assert_no_error(err);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    target);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot.memtotal_kib - 256 * KIB_PER_MIB,
                                       RESIZE_TIMEOUT_MS, &shrunk, &err));
    g_assert_no_error(err);

    /* Grow by plugging 512 MiB of virtio-mem. */
    g_clear_pointer(&ret, json_node_unref);
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "qom-set",
                               "{\"path\": \"/machine/peripheral/vmem0\","
                               " \"property\": \"requested-size\","
                               " \"value\": 536870912}", 5000, &err);
    g_assert_no_error(err);
    g_clear_pointer(&ev, json_object_unref);
    ev = ubf_qmp_wait_event(ubf_vm_qmp(vm), "MEMORY_DEVICE_SIZE_CHANGE",
                            size_change_is, &plug, RESIZE_TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(
                        json_object_get_object_member(ev, "data"), "id"),
                    ==, "vmem0");
    g_assert_cmpint(ubf_vm_qom_get_int(vm, "/machine/peripheral/vmem0",
                                       "size", &err), ==, plug);
    g_assert_true(ubf_vm_wait_memtotal(vm,
                                       shrunk.memtotal_kib + 512 * KIB_PER_MIB,
                                       RESIZE_TIMEOUT_MS, &grown, &err));
    g_assert_no_error(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/boot-resize/balloon-then-virtio-mem",
                    test_balloon_then_virtio_mem);
    return g_test_run();
}
