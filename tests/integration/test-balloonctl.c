/*
 * balloonctl against real VMs: status (table and JSON), resize one VM
 * past boot size and check what the guest sees, resize --all, every bad
 * input with its exit status and one-line reason, a stalled resize, and
 * the progress bar as a person sees it in a terminal (tmux).
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>
#include <sys/wait.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define GIB (1024 * MIB)
#define KIB_PER_MIB 1024

typedef struct Run {
    int status;
    char *out;
    char *err;
} Run;

static void run_free(Run *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* Run balloonctl with @args (NULL-terminated). */
static void run(Run *r, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    int i, wstatus;

    g_ptr_array_add(argv, (gpointer)g_getenv("UBF_BALLOONCTL"));
    for (i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, 0, NULL,
                               NULL, &r->out, &r->err, &wstatus, &err));
    g_assert_no_error(err);
    g_assert_true(WIFEXITED(wstatus));
    r->status = WEXITSTATUS(wstatus);
}

static char *qmp_arg(UbfVm *vm, const char *name)
{
    return g_strdup_printf("%s=%s/ctl.sock", name, ubf_vm_dir(vm));
}

static UbfVm *boot(guint64 vmem_mib)
{
    UbfVmConfig cfg = { .boot_mib = 1024, .virtio_balloon = TRUE,
                        .virtio_mem_mib = vmem_mib,
                        .modules = "virtio_balloon,virtio_mem",
                        .tool_qmp = TRUE };
    g_autoptr(GError) err = NULL;
    UbfVm *vm = ubf_vm_start(&cfg, &err);

    g_assert_no_error(err);
    return vm;
}

/* Exactly one line on stderr, containing @want, and exit @status. */
static void expect_refusal(Run *r, int status, const char *want)
{
    g_assert_cmpint(r->status, ==, status);
    g_assert_nonnull(strstr(r->err, want));
    g_assert_cmpint(strchr(r->err, '\n') - r->err, ==,
                    (long)strlen(r->err) - 1);
}

static void test_one_vm(void)
{
    g_autoptr(UbfVm) vm = boot(2048);
    g_autofree char *q = qmp_arg(vm, "vm1");
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    UbfGuestMem before, after;
    JsonObject *row;
    Run r = { 0 };

    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &before, &err));

    /* Grow past boot size and wait. */
    run(&r, (const char *[]) { "--qmp", q, "resize", "vm1", "3G", "--wait",
                               NULL });
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "vm1: done"));
    run_free(&r);
    g_assert_true(ubf_vm_wait_memtotal(vm, before.memtotal_kib +
                                       2048 * KIB_PER_MIB, 30000, &after,
                                       &err));
    g_assert_no_error(err);

    /* status --json agrees, sizes in bytes. */
    run(&r, (const char *[]) { "--qmp", q, "status", "--json", NULL });
    g_assert_cmpint(r.status, ==, 0);
    g_assert_true(json_parser_load_from_data(parser, r.out, -1, &err));
    row = json_array_get_object_element(
        json_node_get_array(json_parser_get_root(parser)), 0);
    g_assert_cmpstr(json_object_get_string_member(row, "name"), ==, "vm1");
    g_assert_cmpint(json_object_get_int_member(row, "actual"), ==, 3 * GIB);
    g_assert_cmpint(json_object_get_int_member(row, "target"), ==, 3 * GIB);
    g_assert_cmpint(json_object_get_int_member(row, "boot"), ==, GIB);
    run_free(&r);

    /* The table, as a person reads it. */
    run(&r, (const char *[]) { "--qmp", q, "status", NULL });
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "vm1"));
    g_assert_nonnull(strstr(r.out, "3 GiB"));
    g_assert_nonnull(strstr(r.out, "vmem0:virtio-mem*"));
    run_free(&r);

    /* Relative sizes. */
    run(&r, (const char *[]) { "--qmp", q, "resize", "-1G", "--wait", NULL });
    g_assert_cmpint(r.status, ==, 0);
    run_free(&r);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    2 * GIB);

    /* Bad input: the documented status, one line, nothing changes. */
    run(&r, (const char *[]) { "--qmp", q, "resize", "nope", "1G", NULL });
    expect_refusal(&r, 1, "unknown VM 'nope'");
    run_free(&r);
    run(&r, (const char *[]) { "--qmp", q, "resize", "3X", NULL });
    expect_refusal(&r, 1, "invalid size '3X': unknown unit");
    run_free(&r);
    run(&r, (const char *[]) { "--qmp", q, "resize", "4G", NULL });
    expect_refusal(&r, 1, "vm1: Parameter 'size' expects a guest size from "
                   "4096 to 3221225472 bytes");
    run_free(&r);
    run(&r, (const char *[]) { "--qmp", "x=/nonexistent/qmp.sock", "status",
                               NULL });
    expect_refusal(&r, 3, "x: cannot connect");
    run_free(&r);
    run(&r, (const char *[]) { "--qmp", q, "frobnicate", NULL });
    expect_refusal(&r, 1, "unknown command 'frobnicate'");
    run_free(&r);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-memory-resize", "target",
                                   &err), ==, 2 * GIB);

    /* A guest that cannot give memory: stalled or timed out, status 2. */
    {
        g_autoptr(JsonObject) ok = ubf_agent_command(ubf_vm_agent(vm),
                                                     "alloc 1500", 120000,
                                                     &err);

        g_assert_no_error(err);
    }
    run(&r, (const char *[]) { "--qmp", q, "resize", "256M", "--wait",
                               "--timeout", "3", NULL });
    g_assert_cmpint(r.status, ==, 2);
    run_free(&r);
}

static void test_all(void)
{
    g_autoptr(UbfVm) a = boot(0);
    g_autoptr(UbfVm) b = boot(0);
    g_autofree char *qa = qmp_arg(a, "a");
    g_autofree char *qb = qmp_arg(b, "b");
    g_autoptr(GError) err = NULL;
    Run r = { 0 };

    run(&r, (const char *[]) { "--qmp", qa, "--qmp", qb, "resize", "--all",
                               "75%", "--wait", NULL });
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "a: done"));
    g_assert_nonnull(strstr(r.out, "b: done"));
    run_free(&r);
    g_assert_cmpint(ubf_vm_qmp_int(a, "query-balloon", "actual", &err), ==,
                    768 * MIB);
    g_assert_cmpint(ubf_vm_qmp_int(b, "query-balloon", "actual", &err), ==,
                    768 * MIB);

    run(&r, (const char *[]) { "--qmp", qa, "--qmp", qb, "resize", "1G",
                               NULL });
    expect_refusal(&r, 1, "several targets: name the VM or use --all");
    run_free(&r);
}

/* The progress bar in a real terminal, read back with tmux. */
static void test_progress_bar(void)
{
    g_autoptr(UbfVm) vm = boot(2048);
    g_autofree char *q = qmp_arg(vm, "vm1");
    g_autofree char *session = g_strdup_printf("ubf-%d", getpid());
    g_autofree char *cmd = g_strdup_printf(
        "%s --qmp %s resize 3G --wait; echo EXIT=$?; sleep 30",
        g_getenv("UBF_BALLOONCTL"), q);
    g_autofree char *screen = NULL;
    gboolean saw_bar = FALSE;
    int i;

    if (!g_find_program_in_path("tmux")) {
        g_test_skip("tmux is not installed");
        return;
    }
    g_assert_true(g_spawn_command_line_sync(
        g_strdup_printf("tmux new-session -d -s %s -x 120 -y 10 '%s'",
                        session, cmd), NULL, NULL, NULL, NULL));
    for (i = 0; i < 600 && !(screen && strstr(screen, "EXIT=")); i++) {
        g_autofree char *grab = g_strdup_printf(
            "tmux capture-pane -p -t %s", session);

        g_free(screen);
        screen = NULL;
        g_spawn_command_line_sync(grab, &screen, NULL, NULL, NULL);
        if (screen && strstr(screen, "vm1 [") && strstr(screen, "%")) {
            saw_bar = TRUE;
        }
        g_usleep(50 * 1000);
    }
    g_spawn_command_line_sync(g_strdup_printf("tmux kill-session -t %s",
                                              session), NULL, NULL, NULL,
                              NULL);
    g_test_message("terminal:\n%s", screen);
    g_assert_nonnull(screen);
    g_assert_true(saw_bar);
    /* The finished bar: full, 100 %, then the result. */
    g_assert_nonnull(strstr(screen, "vm1 [##############################] 100% "
                            "3 GiB -> 3 GiB (idle)\n"));
    g_assert_nonnull(strstr(screen, "vm1: done"));
    g_assert_nonnull(strstr(screen, "EXIT=0"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/balloonctl/one-vm", test_one_vm);
    g_test_add_func("/balloonctl/all", test_all);
    g_test_add_func("/balloonctl/progress-bar", test_progress_bar);
    return g_test_run();
}
