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
 * Bad arguments are named as such before anything says there is no
 * device: an operator learns what to fix, not that the VM lacks one.
 */
static void test_bad_arguments_first(void)
{
    static const struct {
        const char *cmd, *args, *expect;
    } cases[] = {
        { "balloon", "{\"value\": 0}", "'value'" },
        { "balloon", "{\"value\": -5}", "'value'" },
        { "memory-resize", "{\"size\": 0}",
          "Parameter 'size' expects a positive size in bytes, not 0" },
        { "memory-resize", "{\"size\": -5}",
          "Parameter 'size' expects a positive size in bytes, not -5" },
        { "memory-resize", "{}", "Parameter 'size' is missing" },
        { "memory-resize", "{\"nodes\": [{\"node\": 3, \"size\": 1}]}",
          "Parameter 'nodes' names node 3, but the guest has nodes 0 to 0" },
        { "memory-resize", "{\"size\": 1073741824, \"strict-nodes\": true}",
          "Parameter 'strict-nodes' needs 'nodes'" },
        { "memory-resize-auto", "{\"buffer\": 5000}",
          "'auto-buffer' expects 5 to 2000" },
        { "memory-resize-auto", "{\"weight\": 0}",
          "'auto-weight' expects" },
        /* good arguments: now the VM's lack is the answer */
        { "memory-resize", "{\"size\": 1073741824}", "No balloon device" },
        { "memory-resize-auto", "{\"enabled\": true}",
          "needs a balloon-frontend object" },
    };
    UbfVmConfig cfg = { .boot_mib = 512, .no_guest = TRUE };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonNode) hmp = NULL;
    guint i;

    g_assert_no_error(err);
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(JsonNode) ret = NULL;

        ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), cases[i].cmd,
                                   cases[i].args, 5000, &err);
        g_test_message("%s %s: %s", cases[i].cmd, cases[i].args,
                       err ? err->message : "(accepted)");
        g_assert_null(ret);
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->message, cases[i].expect));
        g_clear_error(&err);
    }

    /* HMP is a thin wrapper: the same answer. */
    hmp = ubf_qmp_execute_json(ubf_vm_qmp(vm), "human-monitor-command",
                               "{\"command-line\": \"memory_resize 0\"}",
                               5000, &err);
    g_assert_no_error(err);
    g_assert_nonnull(strstr(json_node_get_string(hmp), "Parameter 'size' "
                            "expects a positive size in bytes, not 0"));
}

/*
 * A virtio-balloon registers with the frontend (its trace point fires);
 * requests and queries go through it with stock semantics, and the
 * engine traces its plan.
 */
static void test_virtio_balloon_registers(void)
{
    const char *extra[] = { "-trace", "balloon_frontend_*",
                            "-trace", "resize_engine_*", "-D", NULL, NULL };
    UbfVmConfig cfg = { .boot_mib = 1024, .no_guest = TRUE,
                        .virtio_balloon = TRUE, .extra = extra };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autofree char *trace = NULL;
    g_autofree char *tmp = g_dir_make_tmp("ubf-hook-XXXXXX", NULL);
    g_autofree char *log = g_build_filename(tmp, "trace.log", NULL);
    gint64 actual;

    extra[5] = log;
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
    /* The engine traces its plan and each phase. */
    g_assert_nonnull(strstr(trace, "resize_engine_plan target 536870912 "
                            "bytes, guest size 1073741824"));
    g_assert_nonnull(strstr(trace, "resize_engine_plan_backend balloon0: "
                            "contribution 0 -> -536870912"));
    g_assert_nonnull(strstr(trace, "resize_engine_phase_start inflate"));
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

/* Run @cmd with @args, which must fail with GenericError: its message. */
static char *qmp_refused(UbfVm *vm, const char *cmd, const char *args)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), cmd, args,
                                                   5000, &err);

    g_assert_null(ret);
    g_assert_error(err, UBF_QMP_ERROR, UBF_QMP_ERROR_COMMAND);
    g_assert_cmpstr(ubf_qmp_last_error_class(ubf_vm_qmp(vm)), ==,
                    "GenericError");
    return g_strdup(err->message);
}

/* What a refused setting or request must leave as it was. */
static char *frontend_state(UbfVm *vm)
{
    static const char *const props[] = { "floor", "stall-timeout", "policy",
                                         "prefer-node" };
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) info = ubf_qmp_execute(ubf_vm_qmp(vm),
                                               "query-memory-resize", NULL,
                                               5000, &err);
    GString *state = g_string_new(NULL);
    JsonObject *o;
    guint i;

    g_assert_no_error(err);
    o = json_node_get_object(info);
    g_string_append_printf(state, "target=%" G_GINT64_FORMAT " state=%s "
                           "min=%" G_GINT64_FORMAT " max=%" G_GINT64_FORMAT,
                           json_object_get_int_member(o, "target"),
                           json_object_get_string_member(o, "state"),
                           json_object_get_int_member(o, "min-size"),
                           json_object_get_int_member(o, "max-size"));
    for (i = 0; i < G_N_ELEMENTS(props); i++) {
        g_autofree char *args = g_strdup_printf(
            "{\"path\": \"/objects/bf0\", \"property\": \"%s\"}", props[i]);
        g_autoptr(JsonNode) v = ubf_qmp_execute_json(ubf_vm_qmp(vm), "qom-get",
                                                     args, 5000, &err);
        g_autofree char *text = NULL;

        g_assert_no_error(err);
        text = json_to_string(v, FALSE);
        g_string_append_printf(state, " %s=%s", props[i], text);
    }
    return g_string_free(state, FALSE);
}

/*
 * Every bad setting and request is refused with a message naming the
 * setting or parameter and the range it allows, and changes nothing.
 */
static void test_bad_values_change_nothing(void)
{
    static const struct {
        const char *cmd;
        const char *args;
        const char *message;
    } cases[] = {
        /* A floor the backends can never reach */
        { "qom-set", "{\"path\": \"/objects/bf0\", \"property\": \"floor\","
          " \"value\": 4611686018427387904}",
          "Property 'floor' expects a size from 0 to 1073741824 bytes" },
        { "qom-set", "{\"path\": \"/objects/bf0\", \"property\": \"floor\","
          " \"value\": 1073745920}",
          "Property 'floor' expects a size from 0 to 1073741824 bytes" },
        { "qom-set", "{\"path\": \"/objects/bf0\", \"property\": \"floor\","
          " \"value\": \"lots\"}",
          "'floor'" },
        /* A node the guest does not have */
        { "qom-set", "{\"path\": \"/objects/bf0\", "
          "\"property\": \"prefer-node\", \"value\": 99}",
          "Property 'prefer-node' expects a node from 0 to 0" },
        { "qom-set", "{\"path\": \"/objects/bf0\", "
          "\"property\": \"prefer-node\", \"value\": 1}",
          "Property 'prefer-node' expects a node from 0 to 0" },
        { "qom-set", "{\"path\": \"/objects/bf0\", "
          "\"property\": \"prefer-node\", \"value\": -1}",
          "Property 'prefer-node' expects a node from 0 to 0" },
        { "qom-set", "{\"path\": \"/objects/bf0\", "
          "\"property\": \"stall-timeout\", \"value\": -5}",
          "Property 'stall-timeout' expects 1 to 3600 (seconds)" },
        { "qom-set", "{\"path\": \"/objects/bf0\", "
          "\"property\": \"stall-timeout\", \"value\": 0}",
          "Property 'stall-timeout' expects 1 to 3600 (seconds)" },
        { "qom-set", "{\"path\": \"/objects/bf0\", "
          "\"property\": \"stall-timeout\", \"value\": 3601}",
          "Property 'stall-timeout' expects 1 to 3600 (seconds)" },
        { "qom-set", "{\"path\": \"/objects/bf0\", "
          "\"property\": \"policy\", \"value\": \"bogus\"}",
          "Property 'policy' expects proportional, fill or prefer" },
        { "object-add", "{\"qom-type\": \"balloon-frontend\", \"id\": \"bf1\"}",
          "Only one 'balloon-frontend' object is supported" },
        /* Requests */
        { "memory-resize", "{\"nodes\": []}",
          "Parameter 'nodes' expects 1 to 1 node targets (the guest has "
          "nodes 0 to 0)" },
        { "memory-resize", "{\"nodes\": [{\"node\": 3, \"size\": 536870912}]}",
          "Parameter 'nodes' names node 3, but the guest has nodes 0 to 0" },
        { "memory-resize", "{\"nodes\": [{\"node\": 0, \"size\": 536870912},"
          " {\"node\": 0, \"size\": 536870912}]}",
          "Parameter 'nodes' lists node 0 twice" },
        { "memory-resize", "{\"nodes\": [{\"node\": 0, \"size\": 0}]}",
          "Parameter 'nodes' gives node 0 size 0; expected a positive size" },
        { "memory-resize", "{\"size\": 0}",
          "Parameter 'size' expects a guest size from 4096 to 1073741824 "
          "bytes" },
        { "memory-resize", "{\"size\": -4096}",
          "Parameter 'size' expects a guest size from 4096 to 1073741824 "
          "bytes" },
        { "memory-resize", "{\"size\": 1073745920}",
          "Parameter 'size' expects a guest size from 4096 to 1073741824 "
          "bytes" },
        { "memory-resize", "{\"size\": 9223372036854775807}",
          "Parameter 'size' expects a guest size from 4096 to 1073741824 "
          "bytes" },
        { "memory-resize", "{}", "Parameter 'size' is missing" },
        { "balloon", "{\"value\": -1}", "Parameter 'value'" },
        { "balloon", "{\"value\": 2147483648}",
          "Parameter 'value' expects a guest size from 4096 to 1073741824 "
          "bytes" },
    };
    const char *extra[] = { "-object", "balloon-frontend,id=bf0", NULL };
    UbfVmConfig cfg = { .boot_mib = 1024, .no_guest = TRUE,
                        .virtio_balloon = TRUE, .extra = extra };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autofree char *before = NULL;
    guint i;

    g_assert_no_error(err);
    before = frontend_state(vm);
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = qmp_refused(vm, cases[i].cmd, cases[i].args);
        g_autofree char *after = NULL;

        g_test_message("%s %s: %s", cases[i].cmd, cases[i].args, msg);
        g_assert_nonnull(strstr(msg, cases[i].message));
        after = frontend_state(vm);
        g_assert_cmpstr(after, ==, before);
    }
}

/*
 * On the command line, settings that depend on the machine are checked
 * once it is built: QEMU stops with the setting and its range.
 */
static void test_bad_settings_for_machine(void)
{
    static const struct {
        const char *object;
        const char *message;
    } cases[] = {
        { "balloon-frontend,id=bf0,prefer-node=5",
          "balloon-frontend: Property 'prefer-node' expects a node from 0 "
          "to 0 (the guest has 1 NUMA node)" },
        { "balloon-frontend,id=bf0,floor=8G",
          "balloon-frontend: Property 'floor' expects a size from 0 to "
          "536870912 bytes" },
        /* QAPI checks the object's options first, with its own words. */
        { "balloon-frontend,id=bf0,policy=bogus",
          "Parameter 'policy' does not accept value 'bogus'" },
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
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/frontend-hook/bad-arguments-first",
                    test_bad_arguments_first);
    g_test_add_func("/frontend-hook/no-balloon-device",
                    test_no_balloon_device);
    g_test_add_func("/frontend-hook/virtio-balloon-registers",
                    test_virtio_balloon_registers);
    g_test_add_func("/frontend-hook/two-balloons-pending",
                    test_two_balloons_pending);
    g_test_add_func("/frontend-hook/floor", test_floor);
    g_test_add_func("/frontend-hook/bad-settings", test_bad_settings);
    g_test_add_func("/frontend-hook/bad-values-change-nothing",
                    test_bad_values_change_nothing);
    g_test_add_func("/frontend-hook/bad-settings-for-machine",
                    test_bad_settings_for_machine);
    return g_test_run();
}
