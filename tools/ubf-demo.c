/*
 * ubf-demo: boot a 2-node Linux guest with virtio-balloon and one
 * virtio-mem device per node, resize it with one command per step
 * (QMP 'balloon' or 'memory-resize': the frontend decides which backends
 * move), and print what the guest itself sees after each step.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"
#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define STEP_TIMEOUT_MS 120000

typedef struct DemoStep {
    const char *what;       /* printed */
    const char *command;    /* QMP command */
    const char *args;       /* its arguments */
} DemoStep;

static void demo_print_header(void)
{
    printf("%-52s %10s %12s %12s %12s\n", "step", "QMP actual",
           "guest total", "node 0", "node 1");
    printf("%-52s %10s %12s %12s %12s\n", "", "(MiB)", "(MiB)", "(MiB)",
           "(MiB)");
}

static gboolean demo_print_state(UbfVm *vm, const char *what, GError **error)
{
    UbfGuestMem mem;
    gint64 actual;

    if (strcmp(what, "boot") != 0) {
        g_autoptr(JsonObject) done = ubf_qmp_wait_event(
            ubf_vm_qmp(vm), "MEMORY_RESIZE_DONE", ubf_vm_any_done, NULL,
            STEP_TIMEOUT_MS, error);

        if (!done) {
            return FALSE;
        }
    }
    if (!ubf_vm_wait_settled(vm, 1000, STEP_TIMEOUT_MS, &mem, error)) {
        return FALSE;
    }
    actual = ubf_vm_qmp_int(vm, "query-balloon", "actual", error);
    if (actual < 0) {
        return FALSE;
    }
    printf("%-52s %10" G_GINT64_FORMAT " %12.1f %12.1f %12.1f\n", what,
           actual / MIB, mem.memtotal_kib / 1024.0,
           mem.nnodes > 0 ? mem.nodes[0].memtotal_kib / 1024.0 : 0.0,
           mem.nnodes > 1 ? mem.nodes[1].memtotal_kib / 1024.0 : 0.0);
    fflush(stdout);
    return TRUE;
}

int main(int argc, char **argv)
{
    gboolean version = FALSE;
    static const DemoStep steps[] = {
        { "balloon 3 GiB (past boot size)", "balloon",
          "{\"value\": 3221225472}" },
        { "balloon 512 MiB (below boot size)", "balloon",
          "{\"value\": 536870912}" },
        { "memory-resize 1.5 GiB + 5 MiB (not block aligned)",
          "memory-resize", "{\"size\": 1615855616}" },
        { "balloon 1 GiB (boot size)", "balloon",
          "{\"value\": 1073741824}" },
    };
    g_autofree char *qemu = NULL, *guest = NULL;
    GOptionEntry entries[] = {
        { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &qemu,
          "QEMU binary (default build/bin/qemu-system-x86_64)", "PATH" },
        { "guest", 0, 0, G_OPTION_ARG_FILENAME, &guest,
          "test guest folder (default build/guest)", "DIR" },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version,
          "print the version and exit", NULL },
        { NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "- boot a 2-node guest and resize it");
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = NULL;
    g_autofree char *kernel = NULL, *initrd = NULL, *cmdline = NULL;
    UbfVmConfig cfg = {
        .boot_mib = 1024,
        .nodes = 2,
        .virtio_balloon = TRUE,
        .virtio_mem_mib = 1024,
        .modules = "virtio_balloon,virtio_mem",
    };
    guint i;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "ubf-demo: %s\n", err->message);
        return 1;
    }
    if (version) {
        ubf_print_version("ubf-demo");
        return 0;
    }
    cfg.qemu = qemu;
    if (guest) {
        kernel = g_build_filename(guest, "vmlinuz", NULL);
        initrd = g_build_filename(guest, "initrd.img", NULL);
        cfg.kernel = kernel;
        cfg.initrd = initrd;
    }

    printf("Booting a 2-node Linux guest (512 MiB per node) with virtio-balloon"
           " and a 1 GiB virtio-mem device per node, accelerator %s...\n",
           g_getenv("UBF_ACCEL") ? g_getenv("UBF_ACCEL") : "tcg");
    vm = ubf_vm_start(&cfg, &err);
    if (!vm) {
        fprintf(stderr, "ubf-demo: %s\n", err->message);
        return 1;
    }
    cmdline = ubf_vm_command_line(vm);
    printf("QEMU %s: %s\n\n", ubf_qmp_version(ubf_vm_qmp(vm)), cmdline);
    demo_print_header();
    if (!demo_print_state(vm, "boot", &err)) {
        fprintf(stderr, "ubf-demo: %s\n", err->message);
        return 1;
    }
    for (i = 0; i < G_N_ELEMENTS(steps); i++) {
        g_autoptr(JsonNode) ret = ubf_qmp_execute_json(
            ubf_vm_qmp(vm), steps[i].command, steps[i].args, 10000, &err);

        if (!ret || !demo_print_state(vm, steps[i].what, &err)) {
            fprintf(stderr, "ubf-demo: %s: %s\n", steps[i].what,
                    err->message);
            return 1;
        }
    }
    printf("\nDone: every size above is what the guest itself reports"
           " (/proc/meminfo and /sys/devices/system/node).\n");
    return 0;
}
