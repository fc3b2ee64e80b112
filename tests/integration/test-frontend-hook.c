/*
 * The patched QEMU carries the unified balloon frontend, and the frontend
 * keeps QMP 'balloon' / 'query-balloon' exactly as stock QEMU has them.
 *
 * No guest is booted: QEMU starts paused, which is all the registry and
 * the QMP contract need.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib/gstdio.h>
#include <string.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)


/* libvirt treats DeviceNotActive from 'balloon' as "no balloon". */
static void test_no_balloon_device(void)
{
    UbfVmConfig cfg = { .boot_mib = 512, .no_guest = TRUE };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonNode) ret = NULL;

    g_assert_no_error(err);
    ret = ubf_qmp_execute(ubf_vm_qmp(vm), "query-balloon", NULL, 5000, &err);
    g_assert_null(ret);
    g_assert_error(err, UBF_QMP_ERROR, UBF_QMP_ERROR_COMMAND);
    g_assert_cmpstr(ubf_qmp_last_error_class(ubf_vm_qmp(vm)), ==,
                    "DeviceNotActive");
    g_clear_error(&err);

    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 268435456}", 5000, &err);
    g_assert_null(ret);
    g_assert_cmpstr(ubf_qmp_last_error_class(ubf_vm_qmp(vm)), ==,
                    "DeviceNotActive");
    g_assert_nonnull(strstr(err->message, "No balloon device"));
}

/*
 * A virtio-balloon registers with the frontend (its trace point fires);
 * requests and queries go through it with stock semantics.
 */
static void test_virtio_balloon_registers(void)
{
    const char *extra[] = { "-trace", "balloon_frontend_*", "-D", NULL, NULL };
    UbfVmConfig cfg = { .boot_mib = 1024, .no_guest = TRUE,
                        .virtio_balloon = TRUE, .extra = extra };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autofree char *trace = NULL;
    g_autofree char *tmp = g_dir_make_tmp("ubf-hook-XXXXXX", NULL);
    g_autofree char *log = g_build_filename(tmp, "trace.log", NULL);
    gint64 actual;

    extra[3] = log;
    vm = ubf_vm_start(&cfg, &err);
    g_assert_no_error(err);

    actual = ubf_vm_qmp_int(vm, "query-balloon", "actual", &err);
    g_assert_no_error(err);
    g_assert_cmpint(actual, ==, 1024 * (gint64)MIB);

    /* Bad input names the parameter and changes nothing. */
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon", "{\"value\": 0}",
                               5000, &err);
    g_assert_null(ret);
    g_assert_cmpstr(ubf_qmp_last_error_class(ubf_vm_qmp(vm)), ==,
                    "GenericError");
    g_assert_nonnull(strstr(err->message, "'value'"));
    g_clear_error(&err);

    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 536870912}", 5000, &err);
    g_assert_no_error(err);
    g_clear_pointer(&ret, json_node_unref);

    g_clear_pointer(&vm, ubf_vm_free);
    g_assert_true(g_file_get_contents(log, &trace, NULL, NULL));
    g_assert_nonnull(strstr(trace, "balloon_frontend_register "));
    g_assert_nonnull(strstr(trace, "balloon_frontend_request "));
    g_assert_nonnull(strstr(trace, "target 536870912 bytes"));
    g_assert_null(strstr(trace, "target 0 bytes"));
    g_unlink(log);
    g_rmdir(tmp);
}

/*
 * Stock QEMU refuses a second balloon device; the frontend registers
 * every one.  With the guest paused no driver is connected: a request
 * stays pending, and says so.
 */
static void test_two_balloons_pending(void)
{
    const char *extra[] = { "-device", "virtio-balloon-pci,id=balloon1", NULL };
    UbfVmConfig cfg = { .boot_mib = 512, .no_guest = TRUE,
                        .virtio_balloon = TRUE, .extra = extra };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(JsonObject) ev = NULL;
    JsonObject *info;
    JsonArray *backends;

    g_assert_no_error(err);
    ret = ubf_qmp_execute(ubf_vm_qmp(vm), "query-memory-resize", NULL, 5000,
                          &err);
    g_assert_no_error(err);
    info = json_node_get_object(ret);
    backends = json_object_get_array_member(info, "backends");
    g_assert_cmpint(json_array_get_length(backends), ==, 2);
    g_assert_cmpstr(json_object_get_string_member(
                        json_array_get_object_element(backends, 0), "id"),
                    ==, "balloon0");
    g_assert_cmpstr(json_object_get_string_member(
                        json_array_get_object_element(backends, 1), "id"),
                    ==, "balloon1");
    g_assert_false(json_object_get_boolean_member(
                       json_array_get_object_element(backends, 0),
                       "driver-connected"));
    g_assert_cmpstr(json_object_get_string_member(info, "state"), ==, "idle");
    g_clear_pointer(&ret, json_node_unref);

    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 268435456}", 5000, &err);
    g_assert_no_error(err);
    ev = ubf_qmp_wait_event(ubf_vm_qmp(vm), "MEMORY_RESIZE_STATE", NULL, NULL,
                            5000, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(
                        json_object_get_object_member(ev, "data"), "state"),
                    ==, "no-guest-driver");
    g_clear_pointer(&ret, json_node_unref);
    ret = ubf_qmp_execute(ubf_vm_qmp(vm), "query-memory-resize", NULL, 5000,
                          &err);
    g_assert_no_error(err);
    info = json_node_get_object(ret);
    g_assert_cmpstr(json_object_get_string_member(info, "state"), ==,
                    "no-guest-driver");
    g_assert_cmpint(json_object_get_int_member(info, "target"), ==,
                    256 * MIB);
    g_assert_cmpint(json_object_get_int_member(info, "actual"), ==,
                    512 * MIB);
}

/* The floor: configured on the command line, changed at run time. */
static void test_floor(void)
{
    const char *extra[] = { "-object", "balloon-frontend,id=bf0,floor=768M",
                            NULL };
    UbfVmConfig cfg = { .boot_mib = 1024, .no_guest = TRUE,
                        .virtio_balloon = TRUE, .extra = extra };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonNode) ret = NULL;

    g_assert_no_error(err);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-memory-resize", "min-size",
                                   &err), ==, 768 * MIB);
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 536870912}", 5000, &err);
    g_assert_null(ret);
    g_assert_nonnull(err);
    g_assert_cmpstr(err->message, ==, "GenericError: Parameter 'value' "
                    "expects a guest size from 805306368 to 1073741824 bytes");
    g_clear_error(&err);
    /* Refused: the target did not move. */
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-memory-resize", "target",
                                   &err), ==, 1024 * MIB);

    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "qom-set",
                               "{\"path\": \"/objects/bf0\","
                               " \"property\": \"floor\","
                               " \"value\": 268435456}", 5000, &err);
    g_assert_no_error(err);
    g_clear_pointer(&ret, json_node_unref);
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 536870912}", 5000, &err);
    g_assert_no_error(err);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-memory-resize", "target",
                                   &err), ==, 512 * MIB);
}

/* Bad settings stop QEMU with a message naming the property and range. */
static void test_bad_settings(void)
{
    static const struct {
        const char *object;
        const char *message;
    } cases[] = {
        { "balloon-frontend,id=bf0,stall-timeout=0",
          "Property 'stall-timeout' expects 1 to 3600 (seconds)" },
        { "balloon-frontend,id=bf0,stall-timeout=3601",
          "Property 'stall-timeout' expects 1 to 3600 (seconds)" },
        { "balloon-frontend,id=bf0,floor=lots",
          "Parameter 'floor' expects a size value" },
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *extra[] = { "-object", cases[i].object, NULL };
        UbfVmConfig cfg = { .boot_mib = 512, .no_guest = TRUE,
                            .virtio_balloon = TRUE, .extra = extra };
        g_autoptr(GError) err = NULL;
        g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);

        g_assert_null(vm);
        g_assert_nonnull(strstr(err->message, cases[i].message));
    }
    {
        const char *extra[] = { "-object", "balloon-frontend,id=bf0",
                                "-object", "balloon-frontend,id=bf1", NULL };
        UbfVmConfig cfg = { .boot_mib = 512, .no_guest = TRUE,
                            .virtio_balloon = TRUE, .extra = extra };
        g_autoptr(GError) err = NULL;
        g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);

        g_assert_null(vm);
        g_assert_nonnull(strstr(err->message, "Only one 'balloon-frontend' "
                                "object is supported"));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/frontend-hook/no-balloon-device",
                    test_no_balloon_device);
    g_test_add_func("/frontend-hook/virtio-balloon-registers",
                    test_virtio_balloon_registers);
    g_test_add_func("/frontend-hook/two-balloons-pending",
                    test_two_balloons_pending);
    g_test_add_func("/frontend-hook/floor", test_floor);
    g_test_add_func("/frontend-hook/bad-settings", test_bad_settings);
    return g_test_run();
}
