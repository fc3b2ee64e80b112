/*
 * One command reaches any guest size: a 1 GiB Linux guest with
 * virtio-balloon and a 2 GiB virtio-mem device goes to 3 GiB and then to
 * 512 MiB with a single 'balloon' each; QMP and the guest itself agree,
 * the events libvirt listens to arrive, and bad input changes nothing.
 * Run twice: with the guest onlining hot-plugged memory movable, and
 * with the kernel choosing (UBF_GUEST_MEMHP=online), as many
 * distributions do.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define GIB (1024 * MIB)
#define KIB_PER_MIB 1024
#define RESIZE_TIMEOUT_MS 180000

static gboolean int_member_is(JsonObject *ev, gpointer opaque)
{
    JsonObject *data = json_object_get_object_member(ev, "data");
    const gint64 *want = opaque;   /* { "actual" or "target" value } */

    return json_object_get_int_member(data, "actual") == *want;
}

static JsonObject *query_resize(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    JsonNode *ret = ubf_qmp_execute(ubf_vm_qmp(vm), "query-memory-resize",
                                    NULL, 5000, &err);
    JsonObject *obj;

    g_assert_no_error(err);
    obj = json_object_ref(json_node_get_object(ret));
    json_node_unref(ret);
    return obj;
}

/* One 'balloon' command; wait for MEMORY_RESIZE_DONE and BALLOON_CHANGE. */
static void resize_to(UbfVm *vm, gint64 target)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) data = ubf_vm_balloon(vm, target,
                                                RESIZE_TIMEOUT_MS, &err);
    g_autoptr(JsonObject) change = NULL;
    g_autoptr(JsonObject) info = NULL;

    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(data, "reason"), ==,
                    "reached");
    g_assert_cmpint(json_object_get_int_member(data, "target"), ==, target);
    g_assert_cmpint(json_object_get_int_member(data, "actual"), ==, target);

    /* libvirt's balloon-change tracking sees the final size. */
    change = ubf_qmp_wait_event(ubf_vm_qmp(vm), "BALLOON_CHANGE",
                                int_member_is, &target, 10000, &err);
    g_assert_no_error(err);

    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    target);
    info = query_resize(vm);
    g_assert_cmpint(json_object_get_int_member(info, "target"), ==, target);
    g_assert_cmpint(json_object_get_int_member(info, "actual"), ==, target);
    g_assert_cmpstr(json_object_get_string_member(info, "state"), ==, "idle");
    g_assert_cmpint(json_object_get_int_member(info, "done"), ==,
                    json_object_get_int_member(info, "todo"));
}

static void expect_error(UbfVm *vm, const char *command, const char *args,
                         const char *message)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), command,
                                                   args, 5000, &err);

    g_assert_null(ret);
    g_assert_error(err, UBF_QMP_ERROR, UBF_QMP_ERROR_COMMAND);
    if (!strstr(err->message, message)) {
        g_error("%s %s: expected \"%s\", got \"%s\"", command, args, message,
                err->message);
    }
}

/* Run an HMP command; its output must contain @want. */
static void hmp_expect(UbfVm *vm, const char *line, const char *want)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) args = NULL;
    g_autoptr(JsonNode) ret = NULL;
    const char *out;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "command-line");
    json_builder_add_string_value(b, line);
    json_builder_end_object(b);
    args = json_builder_get_root(b);
    ret = ubf_qmp_execute(ubf_vm_qmp(vm), "human-monitor-command",
                          json_node_get_object(args), 5000, &err);
    g_assert_no_error(err);
    out = json_node_get_string(ret);
    if (!strstr(out, want)) {
        g_error("HMP '%s': expected \"%s\" in \"%s\"", line, want, out);
    }
}

static void test_one_command_any_size(void)
{
    UbfVmConfig cfg = {
        .boot_mib = 1024,
        .virtio_balloon = TRUE,
        .virtio_mem_mib = 2048,
        .modules = "virtio_balloon,virtio_mem",
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonObject) info = NULL;
    g_autoptr(GPtrArray) stray = NULL;
    g_autofree char *line = NULL;
    gboolean movable = !strcmp(ubf_vm_memhp(&cfg), "online_movable");
    UbfGuestMem boot, mem;
    JsonArray *backends;
    gint64 stuck;

    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    g_assert_no_error(err);

    info = query_resize(vm);
    g_assert_cmpint(json_object_get_int_member(info, "actual"), ==, GIB);
    g_assert_cmpint(json_object_get_int_member(info, "max-size"), ==, 3 * GIB);
    backends = json_object_get_array_member(info, "backends");
    g_assert_cmpint(json_array_get_length(backends), ==, 2);
    g_assert_cmpstr(json_object_get_string_member(
                        json_array_get_object_element(backends, 1), "type"),
                    ==, "virtio-mem");

    /* Grow past boot size with the balloon command: virtio-mem plugs. */
    resize_to(vm, 3 * GIB);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot.memtotal_kib +
                                       2048 * KIB_PER_MIB, 30000, &mem,
                                       &err));
    g_assert_no_error(err);
    g_assert_cmpint(ubf_vm_qom_get_int(vm, "/machine/peripheral/vmem0",
                                       "size", &err), ==, 2 * GIB);

    /*
     * Shrink below boot size: unplug everything, then inflate 512 MiB.
     * A guest that onlined the plugged memory where it liked (not
     * online_movable) may not give all of it back: the balloon then takes
     * what virtio-mem could not, and the guest still ends at 512 MiB.
     */
    resize_to(vm, 512 * MIB);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot.memtotal_kib -
                                       512 * KIB_PER_MIB, 30000, &mem,
                                       &err));
    g_assert_no_error(err);
    stuck = ubf_vm_qom_get_int(vm, "/machine/peripheral/vmem0", "size", &err);
    g_assert_no_error(err);
    if (movable) {
        g_assert_cmpint(stuck, ==, 0);
    } else {
        g_test_message("without online_movable, virtio-mem kept %"
                       G_GINT64_FORMAT " MiB plugged", stuck / MIB);
        g_assert_cmpint(stuck, >=, 0);
        g_assert_cmpint(stuck, <, 2 * GIB);
    }

    /* Every bad input is refused, names the parameter, changes nothing. */
    g_clear_pointer(&stray, g_ptr_array_unref);
    stray = ubf_qmp_take_events(ubf_vm_qmp(vm), NULL);
    expect_error(vm, "balloon", "{\"value\": 0}",
                 "Parameter 'value' expects a size");
    expect_error(vm, "balloon", "{\"value\": -1073741824}",
                 "Parameter 'value' expects a size");
    expect_error(vm, "balloon", "{\"value\": 3221229568}",
                 "Parameter 'value' expects a guest size from 4096 to "
                 "3221225472 bytes");
    expect_error(vm, "memory-resize", "{\"size\": -5}",
                 "Parameter 'size' expects a guest size from 4096 to "
                 "3221225472 bytes");
    expect_error(vm, "memory-resize", "{\"size\": 4611686018427387904}",
                 "Parameter 'size' expects a guest size from 4096 to "
                 "3221225472 bytes");
    expect_error(vm, "memory-resize", "{}", "Parameter 'size' is missing");
    expect_error(vm, "memory-resize",
                 "{\"nodes\": [{\"node\": 3, \"size\": 1073741824}]}",
                 "Parameter 'nodes' names node 3, but the guest has nodes 0 "
                 "to 0");
    expect_error(vm, "memory-resize",
                 "{\"nodes\": [{\"node\": 0, \"size\": 1073741824},"
                 " {\"node\": 0, \"size\": 1073741824}]}",
                 "Parameter 'nodes' lists node 0 twice");
    expect_error(vm, "memory-resize",
                 "{\"size\": 2147483648,"
                 " \"nodes\": [{\"node\": 0, \"size\": 1073741824}]}",
                 "Parameter 'size' is 2147483648 but the nodes add up to "
                 "1073741824 bytes");

    g_clear_pointer(&info, json_object_unref);
    info = query_resize(vm);
    g_assert_cmpint(json_object_get_int_member(info, "target"), ==, 512 * MIB);
    g_assert_cmpint(json_object_get_int_member(info, "actual"), ==, 512 * MIB);
    g_assert_cmpstr(json_object_get_string_member(info, "state"), ==, "idle");
    g_clear_pointer(&stray, g_ptr_array_unref);
    stray = ubf_qmp_take_events(ubf_vm_qmp(vm), NULL);
    g_assert_cmpint(stray->len, ==, 0);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
    g_assert_cmpint(mem.memtotal_kib, ==, boot.memtotal_kib -
                    512 * KIB_PER_MIB);

    /* memory-resize with a per-node list is the same request. */
    g_clear_pointer(&stray, g_ptr_array_unref);
    {
        g_autoptr(JsonObject) done = ubf_vm_resize(
            vm, "memory-resize",
            "{\"nodes\": [{\"node\": 0, \"size\": 1610612736}]}",
            RESIZE_TIMEOUT_MS, &err);

        g_assert_no_error(err);
    }
    g_assert_true(ubf_vm_wait_memtotal(vm, boot.memtotal_kib +
                                       512 * KIB_PER_MIB, 30000, &mem, &err));
    g_assert_no_error(err);

    /* HMP: thin wrappers over the same commands. */
    hmp_expect(vm, "info memory-resize",
               "target: 1536 MiB, actual: 1536 MiB, state: idle");
    /* Per-node sizes move virtio-mem; the balloon is not node-aware. */
    line = g_strdup_printf("  vmem0: virtio-mem, driver connected, +%"
                           G_GINT64_FORMAT " MiB", 1024 + stuck / MIB);
    hmp_expect(vm, "info memory-resize", line);
    g_free(line);
    line = g_strdup_printf("  balloon0: virtio-balloon, driver connected, -%"
                           G_GINT64_FORMAT " MiB", 512 + stuck / MIB);
    hmp_expect(vm, "info memory-resize", line);
    g_free(line);
    line = g_strdup_printf("  0: boot 1024 MiB, plugged %" G_GINT64_FORMAT
                           " MiB, hot-added 0 MiB, ballooned %"
                           G_GINT64_FORMAT " MiB, actual 1536 MiB, maximum "
                           "3072 MiB", 1024 + stuck / MIB,
                           512 + stuck / MIB);
    hmp_expect(vm, "info memory-resize", line);
    hmp_expect(vm, "memory_resize 0",
               "Parameter 'size' expects a guest size from 4096 to "
               "3221225472 bytes");
    hmp_expect(vm, "memory_resize 1G", "");
    {
        g_autoptr(JsonObject) done = ubf_qmp_wait_event(
            ubf_vm_qmp(vm), "MEMORY_RESIZE_DONE", ubf_vm_any_done, NULL,
            RESIZE_TIMEOUT_MS, &err);

        g_assert_no_error(err);
    }
    hmp_expect(vm, "info balloon", "balloon: actual=1024");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/unified-resize/one-command-any-size",
                    test_one_command_any_size);
    return g_test_run();
}
