/*
 * A guest that does not answer: without its balloon driver the request
 * waits (no-guest-driver) and is applied once the driver loads; with a
 * driver that cannot make progress it is reported stalled after the
 * configured time, and completes when the guest frees memory.  A VM
 * paused mid-resize is never stalled.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define KIB_PER_MIB 1024
#define RESIZE_TIMEOUT_MS 180000

static gboolean state_is(JsonObject *ev, gpointer opaque)
{
    JsonObject *data = json_object_get_object_member(ev, "data");

    return g_strcmp0(json_object_get_string_member(data, "state"),
                     opaque) == 0;
}

static void wait_event(UbfVm *vm, const char *name, UbfQmpEventFilter f,
                       const char *want, guint timeout_ms)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) ev = ubf_qmp_wait_event(ubf_vm_qmp(vm), name, f,
                                                  (gpointer)want, timeout_ms,
                                                  &err);

    g_assert_no_error(err);
}

static char *resize_state(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute(ubf_vm_qmp(vm),
                                              "query-memory-resize", NULL,
                                              5000, &err);

    g_assert_no_error(err);
    return g_strdup(json_object_get_string_member(json_node_get_object(ret),
                                                  "state"));
}

static void agent_do(UbfVm *vm, const char *command)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) ret = ubf_agent_command(ubf_vm_agent(vm), command,
                                                  120000, &err);

    g_assert_no_error(err);
}

static void test_driver_loads_later(void)
{
    const char *extra[] = { "-object",
                            "balloon-frontend,id=bf0,stall-timeout=1", NULL };
    UbfVmConfig cfg = { .boot_mib = 1024, .virtio_balloon = TRUE,
                        .modules = "", .extra = extra };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonNode) ret = NULL;
    g_autofree char *state = NULL;
    UbfGuestMem boot, mem;

    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));

    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 805306368}", 5000, &err);
    g_assert_no_error(err);
    wait_event(vm, "MEMORY_RESIZE_STATE", state_is, "no-guest-driver", 5000);

    /* Longer than the stall timeout: still waiting, not stalled. */
    g_usleep(3 * G_USEC_PER_SEC);
    state = resize_state(vm);
    g_assert_cmpstr(state, ==, "no-guest-driver");
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
    g_assert_cmpint(mem.memtotal_kib, ==, boot.memtotal_kib);

    agent_do(vm, "load virtio_balloon");
    wait_event(vm, "MEMORY_RESIZE_DONE", ubf_vm_reason_is, "reached",
               RESIZE_TIMEOUT_MS);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot.memtotal_kib -
                                       256 * KIB_PER_MIB, 30000, &mem, &err));
    g_assert_no_error(err);
}

static void qmp_do(UbfVm *vm, const char *cmd, const char *args)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), cmd, args,
                                                   5000, &err);

    g_assert_no_error(err);
}

/*
 * A VM paused in the middle of a resize, for longer than the stall
 * timeout (2 s here): the guest cannot move, so the request is not
 * stalled; after 'cont' it completes.  The guest holds 600 MiB so the
 * inflate cannot finish before 'stop' lands.
 */
static void test_paused_mid_resize(UbfVm *vm, const UbfGuestMem *boot)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) ev = NULL;
    g_autoptr(GPtrArray) states = NULL;
    UbfGuestMem mem;
    gint64 until;
    guint i;

    ev = ubf_vm_balloon(vm, 1024 * MIB, RESIZE_TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(ev, "reason"), ==,
                    "reached");
    g_clear_pointer(&ev, json_object_unref);

    agent_do(vm, "alloc 600");
    g_ptr_array_unref(ubf_qmp_take_events(ubf_vm_qmp(vm), NULL));
    qmp_do(vm, "balloon", "{\"value\": 402653184}");
    ev = ubf_qmp_wait_event(ubf_vm_qmp(vm), "BALLOON_CHANGE", NULL, NULL,
                            RESIZE_TIMEOUT_MS, &err);
    g_assert_no_error(err);
    qmp_do(vm, "stop", NULL);

    /* Twice the stall timeout, paused: resizing all along. */
    until = g_get_monotonic_time() + 4 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < until) {
        g_autofree char *state = resize_state(vm);

        g_assert_cmpstr(state, ==, "resizing");
        g_usleep(200 * 1000);
    }
    states = ubf_qmp_take_events(ubf_vm_qmp(vm), "MEMORY_RESIZE_STATE");
    for (i = 0; i < states->len; i++) {
        g_assert_false(state_is(g_ptr_array_index(states, i), "stalled"));
    }

    qmp_do(vm, "cont", NULL);
    agent_do(vm, "free");
    wait_event(vm, "MEMORY_RESIZE_DONE", ubf_vm_reason_is, "reached",
               RESIZE_TIMEOUT_MS);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot->memtotal_kib -
                                       640 * KIB_PER_MIB, 30000, &mem, &err));
    g_assert_no_error(err);
}

static void test_stalled_then_reached(void)
{
    const char *extra[] = { "-object",
                            "balloon-frontend,id=bf0,stall-timeout=2", NULL };
    UbfVmConfig cfg = { .boot_mib = 1024, .virtio_balloon = TRUE,
                        .modules = "virtio_balloon", .extra = extra };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonNode) ret = NULL;
    g_autofree char *state = NULL;
    UbfGuestMem boot, mem;

    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));

    /* The guest holds 600 MiB: it cannot give 640 MiB to the balloon. */
    agent_do(vm, "alloc 600");
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 402653184}", 5000, &err);
    g_assert_no_error(err);
    wait_event(vm, "MEMORY_RESIZE_DONE", ubf_vm_reason_is, "stalled",
               RESIZE_TIMEOUT_MS);
    state = resize_state(vm);
    g_assert_cmpstr(state, ==, "stalled");

    /* The guest lets go: the same request completes. */
    agent_do(vm, "free");
    wait_event(vm, "MEMORY_RESIZE_DONE", ubf_vm_reason_is, "reached",
               RESIZE_TIMEOUT_MS);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot.memtotal_kib -
                                       640 * KIB_PER_MIB, 30000, &mem, &err));
    g_assert_no_error(err);

    test_paused_mid_resize(vm, &boot);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/guest-driver/driver-loads-later",
                    test_driver_loads_later);
    g_test_add_func("/guest-driver/stalled-then-reached",
                    test_stalled_then_reached);
    return g_test_run();
}
