/*
 * Automatic sizing on a real guest: with auto=on the frontend sizes a
 * Linux guest (virtio-balloon + virtio-mem, 1 GiB boot, up to 3 GiB) to
 * its demand plus the buffer.  The guest agent's workload touches
 * anonymous memory at 64 MiB/s up to 1.5 GiB, holds it and frees it:
 * the guest must see no OOM kill, grow while the workload grows (its
 * available memory never runs out) and give the memory back once the
 * workload freed it.  Then: a manual 'balloon' turns automatic sizing
 * off and is reached; memory-resize-auto turns it on again; bad
 * settings are refused with their range and change nothing.  The
 * Linux guest has two NUMA nodes and a per-node maximum: node 0 (which
 * the policy fills first) stops there and node 1 takes the rest, as the
 * guest itself sees per node.  The same
 * workload on Linux's hv_balloon under TCG (Hyper-V Dynamic Memory with
 * status reports, ballooning and hot-add).
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define GIB (1024 * MIB)
#define KIB_PER_MIB 1024
#define AUTO_MIN (768 * MIB)
#define AUTO_MAX (3 * GIB)
#define NODE_MAX (1280 * MIB)
#define PEAK_MIB 1536
#define RATE_MIBS 64
#define HOLD_S 15
/* Documented: a surplus is given back after 10 s, 10 % every 2 s. */
#define RETURN_TIMEOUT_MS 90000

/* query-memory-resize's answer. */
static JsonObject *query(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute(ubf_vm_qmp(vm),
                                              "query-memory-resize", NULL,
                                              10000, &err);

    g_assert_no_error(err);
    return json_object_ref(json_node_get_object(ret));
}

static const char *auto_reason(JsonObject *info)
{
    return json_object_get_string_member(
        json_object_get_object_member(info, "automatic"), "reason");
}

static JsonObject *agent(UbfVm *vm, const char *command)
{
    g_autoptr(GError) err = NULL;
    JsonObject *ret = ubf_agent_command(ubf_vm_agent(vm), command, 30000,
                                        &err);

    g_assert_no_error(err);
    return ret;
}

/* Wait until the guest size is @size (the frontend's 'actual'). */
static gint64 wait_actual(UbfVm *vm, gint64 size, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * (gint64)1000;
    gint64 start = g_get_monotonic_time(), actual;

    for (;;) {
        g_autoptr(JsonObject) info = query(vm);

        actual = json_object_get_int_member(info, "actual");
        if (actual == size) {
            break;
        }
        if (g_get_monotonic_time() > deadline) {
            g_autoptr(JsonGenerator) gen = json_generator_new();
            g_autoptr(JsonNode) node = json_node_init_object(
                json_node_alloc(), info);
            g_autofree char *text = NULL;

            json_generator_set_root(gen, node);
            text = json_generator_to_data(gen, NULL);
            g_test_message("not %" G_GINT64_FORMAT " bytes: %s", size, text);
            break;
        }
        g_usleep(250 * 1000);
    }
    g_assert_cmpint(actual, ==, size);
    return (g_get_monotonic_time() - start) / 1000;
}

static void qmp_error_is(UbfVm *vm, const char *args, const char *want)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute_json(ubf_vm_qmp(vm),
                                                   "memory-resize-auto",
                                                   args, 5000, &err);

    g_assert_null(ret);
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, want));
}

/*
 * Idle down to AUTO_MIN, the workload, and back to AUTO_MIN: the guest
 * sees no OOM kill, grows past the peak, gives the memory back.
 * @first_wait_ms: for the first shrink (hv-balloon holds requests 50 s
 * after its driver connects).  With @node_max, no node is ever larger
 * (the frontend's figure, and the guest's own MemTotal of the node),
 * and the last node grows by more than a few blocks for the peak.
 */
static void workload_phase(UbfVm *vm, const UbfGuestMem *boot,
                           guint first_wait_ms, gint64 node_max)
{
    gint64 boot_kib = boot->memtotal_kib, last_grew_kib = 0;
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) st0 = NULL;
    gint64 oom0, max_actual = 0, min_avail_kib = G_MAXINT64, ms;
    gint64 t0, first_growth_ms = -1;
    UbfGuestMem mem;
    const char *result = NULL;
    int samples = 0;

    /* Idle: its small demand takes it down to the minimum, slowly. */
    ms = wait_actual(vm, AUTO_MIN, first_wait_ms);
    g_test_message("idle guest: 1 GiB -> 768 MiB (the minimum) in %"
                   G_GINT64_FORMAT " ms", ms);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot_kib - 256 * KIB_PER_MIB,
                                       30000, &mem, &err));

    /* The workload: grows, holds, frees. */
    st0 = agent(vm, "workload-status");
    oom0 = json_object_get_int_member(st0, "oom_kills");
    json_object_unref(agent(vm, "workload 64 1536 15"));
    t0 = g_get_monotonic_time();
    for (;;) {
        g_autoptr(JsonObject) info = query(vm);
        g_autoptr(JsonObject) mi = agent(vm, "meminfo");
        g_autoptr(JsonObject) st = agent(vm, "workload-status");
        gint64 actual = json_object_get_int_member(info, "actual");
        gint64 avail = json_object_get_int_member(mi, "memavailable_kib");

        if (node_max) {
            JsonArray *nodes = json_object_get_array_member(info, "nodes");
            guint n, last = boot->nnodes - 1;

            for (n = 0; n < json_array_get_length(nodes); n++) {
                g_assert_cmpint(json_object_get_int_member(
                                    json_array_get_object_element(nodes, n),
                                    "actual"), <=, node_max);
            }
            g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
            for (n = 0; n < mem.nnodes; n++) {
                g_assert_cmpint(mem.nodes[n].memtotal_kib, <=,
                                node_max / 1024);
            }
            last_grew_kib = MAX(last_grew_kib,
                                mem.nodes[last].memtotal_kib -
                                boot->nodes[last].memtotal_kib);
        }
        samples++;
        if (actual > AUTO_MIN && first_growth_ms < 0) {
            first_growth_ms = (g_get_monotonic_time() - t0) / 1000;
        }
        max_actual = MAX(max_actual, actual);
        min_avail_kib = MIN(min_avail_kib, avail);
        if (!json_object_get_boolean_member(st, "running")) {
            result = g_intern_string(json_object_get_string_member(st,
                                                                   "result"));
            g_assert_cmpint(json_object_get_int_member(st, "oom_kills"), ==,
                            oom0);
            break;
        }
        g_assert_cmpint((g_get_monotonic_time() - t0) / G_USEC_PER_SEC, <,
                        300);
        g_usleep(500 * 1000);
    }
    g_test_message("workload: %s; %d samples; first growth after %"
                   G_GINT64_FORMAT " ms; largest size %" G_GINT64_FORMAT
                   " MiB; least MemAvailable %" G_GINT64_FORMAT " MiB",
                   result, samples, first_growth_ms, max_actual / MIB,
                   min_avail_kib / KIB_PER_MIB);
    g_assert_cmpstr(result, ==, "done");
    /* it grew past its boot size for the peak, within the maximum */
    g_assert_cmpint(max_actual, >=, PEAK_MIB * MIB);
    g_assert_cmpint(max_actual, <=, AUTO_MAX);
    g_assert_cmpint(min_avail_kib, >, 0);
    if (node_max) {
        g_test_message("node %u grew by up to %" G_GINT64_FORMAT " MiB, "
                       "the others held at %" G_GINT64_FORMAT " MiB",
                       boot->nnodes - 1, last_grew_kib / KIB_PER_MIB,
                       node_max / MIB);
        g_assert_cmpint(last_grew_kib, >=, 128 * KIB_PER_MIB);
    }

    /* Freed: the memory goes back, down to the minimum again. */
    ms = wait_actual(vm, AUTO_MIN, RETURN_TIMEOUT_MS);
    g_test_message("memory given back (to 768 MiB) %" G_GINT64_FORMAT
                   " ms after the workload ended", ms);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot_kib - 256 * KIB_PER_MIB,
                                       30000, &mem, &err));
    g_assert_no_error(err);
    {
        g_autoptr(JsonObject) info = query(vm);
        JsonObject *a = json_object_get_object_member(info, "automatic");

        g_assert_cmpint(json_object_get_int_member(a, "grows"), >, 0);
        g_assert_cmpint(json_object_get_int_member(a, "shrinks"), >, 0);
        g_assert_true(json_object_has_member(a, "demand"));
    }
}

static void test_virtio_workload(void)
{
    /*
     * Free page reporting on: the pages the guest reports stay its own
     * (not ballooned, not demand), which the MemTotal checks see.
     */
    const char *extra[] = {
        "-global", "virtio-balloon-device.free-page-reporting=on",
        "-object", "balloon-frontend,id=bf0,auto=on,auto-minimum=768M,"
        "auto-maximum=3G,auto-node-maximum=1280M,policy=prefer,"
        "prefer-node=0", NULL };
    /* 2 x 512 MiB boot, 1 GiB of virtio-mem on each node */
    UbfVmConfig cfg = {
        .boot_mib = 1024,
        .nodes = 2,
        .virtio_balloon = TRUE,
        .virtio_mem_mib = 1024,
        .modules = "virtio_balloon,virtio_mem",
        .extra = extra,
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonNode) ret = NULL;
    UbfGuestMem boot, mem;
    gint64 boot_kib;

    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    boot_kib = boot.memtotal_kib;
    workload_phase(vm, &boot, RETURN_TIMEOUT_MS, NODE_MAX);

    /* Bad settings: refused with the range, nothing changes. */
    qmp_error_is(vm, "{\"buffer\": 3}", "'auto-buffer' expects 5 to 2000");
    qmp_error_is(vm, "{\"weight\": 0}", "'auto-weight' expects 1 to 10000");
    qmp_error_is(vm, "{\"minimum\": 2147483648, \"maximum\": 1073741824}",
                 "'auto-minimum' (2147483648 bytes) expects at most "
                 "'auto-maximum'");
    qmp_error_is(vm, "{\"maximum\": 64424509440}",
                 "'auto-maximum' expects a size from 0 to 3221225472");
    qmp_error_is(vm, "{\"node-maximum\": 268435456}",
                 "'auto-node-maximum' expects 0 or a size from 536870912 "
                 "(the largest node's boot memory) to 3221225472 bytes");
    qmp_error_is(vm, "{\"node-maximum\": 536870912, \"minimum\": "
                 "2147483648}", "'auto-node-maximum' lets the nodes reach "
                 "1073741824 bytes, below 'auto-minimum'");
    g_assert_cmpint(ubf_vm_qom_get_int(vm, "/objects/bf0",
                                       "auto-node-maximum", &err), ==,
                    NODE_MAX);
    g_assert_cmpint(ubf_vm_qom_get_int(vm, "/objects/bf0", "auto-buffer",
                                       &err), ==, 20);
    g_assert_cmpint(ubf_vm_qom_get_int(vm, "/objects/bf0", "auto-maximum",
                                       &err), ==, AUTO_MAX);

    /* A manual request wins and turns automatic sizing off. */
    {
        g_autoptr(JsonObject) done = ubf_vm_balloon(vm, 2 * GIB, 60000,
                                                    &err);
        g_autoptr(JsonObject) info = NULL;

        g_assert_no_error(err);
        g_assert_cmpstr(json_object_get_string_member(done, "reason"), ==,
                        "reached");
        info = query(vm);
        g_assert_cmpstr(auto_reason(info), ==, "off");
        g_assert_false(json_object_get_boolean_member(
            json_object_get_object_member(info, "automatic"), "enabled"));
    }
    g_assert_true(ubf_vm_wait_memtotal(vm, boot_kib + 1024 * KIB_PER_MIB,
                                       30000, &mem, &err));

    /* On again: back to demand + buffer (here the minimum). */
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "memory-resize-auto",
                               "{\"enabled\": true}", 5000, &err);
    g_assert_no_error(err);
    wait_actual(vm, AUTO_MIN, RETURN_TIMEOUT_MS);
}

/*
 * The same workload on Linux's hv_balloon under TCG: its status reports
 * (status-report=on) are the demand; hv-balloon balloons and hot-adds.
 */
static void test_hv_workload(void)
{
    const char *extra[] = {
        "-cpu", ubf_vm_hv_cpu(),
        "-global", "ICH9-LPC.disable_s4=1",
        "-device", "vmbus-bridge",
        "-object", "memory-backend-ram,id=hvmem,size=2G",
        "-device", "hv-balloon,id=hvb0,memdev=hvmem,status-report=on",
        "-object", "balloon-frontend,id=bf0,auto=on,auto-minimum=768M,"
        "auto-maximum=3G", NULL };
    UbfVmConfig cfg = {
        .boot_mib = 1024,
        .maxmem_mib = UBF_VM_HV_MAXMEM_MIB,
        .modules = "hv_vmbus,hv_balloon",
        /*
         * Linux's hv_balloon takes its pages from the normal zones only:
         * memory hot-added online_movable could never be ballooned back
         * (the frontend says "stalled: the guest cannot free more
         * memory").  Let the kernel choose, as most distributions do.
         */
        .memhp = "online",
        .extra = extra,
        .boot_timeout_ms = 240000,
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    UbfGuestMem boot;

    if (!vm && g_strcmp0(g_getenv("UBF_ACCEL"), "kvm") == 0) {
        g_test_skip("hv-balloon needs KVM with Hyper-V SynIC");
        return;
    }
    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    /* its driver holds requests for 50 s after it connects */
    workload_phase(vm, &boot, 180000, 0);
}

#define HOST_BUDGET (2560 * MIB)

static UbfVm *small_vm(guint weight)
{
    g_autofree char *obj = g_strdup_printf(
        "balloon-frontend,id=bf0,auto=on,auto-minimum=384M,"
        "auto-maximum=1536M,auto-buffer=50,auto-weight=%u", weight);
    const char *extra[] = { "-object", obj, NULL };
    UbfVmConfig cfg = {
        .boot_mib = 512,
        .virtio_balloon = TRUE,
        .virtio_mem_mib = 1024,
        .modules = "virtio_balloon,virtio_mem",
        .extra = extra,
        .tool_qmp = TRUE,
    };
    g_autoptr(GError) err = NULL;
    UbfVm *vm = ubf_vm_start(&cfg, &err);

    g_assert_no_error(err);
    return vm;
}

/*
 * ubf-autod's child setup: its output to the log (@opaque: an fd), and
 * it goes when the test does, even on a failed assertion.
 */
static void autod_child_setup(gpointer opaque)
{
    int fd = GPOINTER_TO_INT(opaque);

    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* The VMs' shares in ubf-autod's state file, and whether it is short. */
static gboolean autod_state(const char *path, gint64 *share, guint n)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *st;
    JsonArray *vms;
    guint i;

    if (!json_parser_load_from_mapped_file(parser, path, NULL)) {
        return FALSE;
    }
    st = json_node_get_object(json_parser_get_root(parser));
    vms = json_object_get_array_member(st, "vms");
    for (i = 0; i < n && i < json_array_get_length(vms); i++) {
        share[i] = json_object_get_int_member(
            json_array_get_object_element(vms, i), "share");
    }
    return json_object_get_boolean_member(st, "short");
}

/*
 * Three VMs (weights 6000, 4000, 2000; 50 % buffer) with staggered
 * peaks of 500 MiB under a 2.5 GiB host budget: their demands fit, their
 * wants (about 3 GiB at the peaks) do not.  ubf-autod keeps the sum of
 * their sizes within the budget (sampled twice a second), nobody sees an
 * OOM kill, and while the host is short the shares follow the weights;
 * stopped, it lifts every ceiling.
 */
static void test_host_budget(void)
{
    static const guint weights[] = { 6000, 4000, 2000 };
    g_autoptr(UbfVm) vm0 = small_vm(weights[0]);
    g_autoptr(UbfVm) vm1 = small_vm(weights[1]);
    g_autoptr(UbfVm) vm2 = small_vm(weights[2]);
    UbfVm *vm[3] = { vm0, vm1, vm2 };
    g_autofree char *state = NULL, *log = NULL;
    g_autofree char *out = NULL;
    int log_fd;
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    gint64 oom0[3], max_sum = 0, t0;
    gboolean started[3] = { FALSE }, done[3] = { FALSE };
    gboolean saw_short = FALSE, ordered = FALSE;
    GPid pid;
    int i, status;

    for (i = 0; i < 3; i++) {
        g_autoptr(JsonObject) st = agent(vm[i], "workload-status");

        oom0[i] = json_object_get_int_member(st, "oom_kills");
    }
    state = g_build_filename(ubf_vm_dir(vm[0]), "autod.json", NULL);
    g_ptr_array_add(argv, g_strdup(g_getenv("UBF_AUTOD")));
    for (i = 0; i < 3; i++) {
        g_ptr_array_add(argv, g_strdup_printf("--qmp=vm%d=%s/ctl.sock", i,
                                              ubf_vm_dir(vm[i])));
    }
    g_ptr_array_add(argv, g_strdup("--budget=2560M"));
    g_ptr_array_add(argv, g_strdup("--reserve=0"));
    g_ptr_array_add(argv, g_strdup("--psi-threshold=0"));
    g_ptr_array_add(argv, g_strdup("--interval=500"));
    g_ptr_array_add(argv, g_strdup_printf("--state=%s", state));
    g_ptr_array_add(argv, NULL);
    log = g_build_filename(ubf_vm_dir(vm[0]), "autod.log", NULL);
    log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    g_assert_cmpint(log_fd, >=, 0);
    g_assert_true(g_spawn_async(NULL, (char **)argv->pdata, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD,
                                autod_child_setup, GINT_TO_POINTER(log_fd),
                                &pid, &err));
    close(log_fd);
    g_assert_no_error(err);
    /* it runs: its first view is there */
    for (i = 0; i < 100 && !g_file_test(state, G_FILE_TEST_EXISTS); i++) {
        g_usleep(100 * 1000);
    }
    g_assert_true(g_file_test(state, G_FILE_TEST_EXISTS));

    t0 = g_get_monotonic_time();
    while (!done[0] || !done[1] || !done[2]) {
        gint64 sum = 0, share[3] = { 0 }, actual[3];
        gint64 elapsed_s = (g_get_monotonic_time() - t0) / G_USEC_PER_SEC;

        /* the three sizes first, a few ms apart, then the guests */
        for (i = 0; i < 3; i++) {
            g_autoptr(JsonObject) info = query(vm[i]);

            actual[i] = json_object_get_int_member(info, "actual");
            sum += actual[i];
        }
        for (i = 0; i < 3; i++) {
            if (!started[i] && elapsed_s >= 5 + 8 * i) {
                json_object_unref(agent(vm[i], "workload 64 500 25"));
                started[i] = TRUE;
            } else if (started[i] && !done[i]) {
                g_autoptr(JsonObject) st = agent(vm[i], "workload-status");

                if (!json_object_get_boolean_member(st, "running")) {
                    if (g_strcmp0(json_object_get_string_member(st,
                                                                "result"),
                                  "done")) {
                        /* what ubf-autod saw and did, to say why */
                        g_autofree char *text = NULL, *said = NULL;

                        g_file_get_contents(state, &text, NULL, NULL);
                        g_file_get_contents(log, &said, NULL, NULL);
                        g_test_message("vm%d's workload: %s at %"
                                       G_GINT64_FORMAT " s; ubf-autod's "
                                       "last view: %s; it said: %s", i,
                                       json_object_get_string_member(
                                           st, "result"), elapsed_s,
                                       text ? g_strdelimit(text, "\n", ' ')
                                            : "-",
                                       said ? g_strdelimit(said, "\n", '|')
                                            : "-");
                    }
                    g_assert_cmpstr(json_object_get_string_member(st,
                                                                  "result"),
                                    ==, "done");
                    g_assert_cmpint(json_object_get_int_member(
                                        st, "oom_kills"), ==, oom0[i]);
                    done[i] = TRUE;
                }
            }
        }
        max_sum = MAX(max_sum, sum);
        if (sum > HOST_BUDGET) {
            g_autofree char *text = NULL;

            if (g_file_get_contents(state, &text, NULL, NULL)) {
                g_strdelimit(text, "\n", ' ');
            }
            g_test_message("over the budget: %" G_GINT64_FORMAT ", %"
                           G_GINT64_FORMAT ", %" G_GINT64_FORMAT " MiB; "
                           "ubf-autod's last view: %s", actual[0] / MIB,
                           actual[1] / MIB, actual[2] / MIB, text);
        }
        g_assert_cmpint(sum, <=, HOST_BUDGET);
        if (autod_state(state, share, 3)) {
            saw_short = TRUE;
            if (started[2] && !done[0] &&
                share[0] > share[1] && share[1] > share[2]) {
                ordered = TRUE;
            }
        }
        g_assert_cmpint(elapsed_s, <, 300);
        g_usleep(500 * 1000);
    }
    {
        g_autofree char *text = NULL;

        if (g_file_get_contents(log, &text, NULL, NULL)) {
            g_strdelimit(text, "\n", '|');
            g_test_message("ubf-autod said: %s", text);
        }
    }
    g_test_message("largest sum of the three sizes: %" G_GINT64_FORMAT
                   " MiB (budget 2560 MiB); host short: %s; shares by "
                   "weight seen: %s", max_sum / MIB, saw_short ? "yes" : "no",
                   ordered ? "yes" : "no");
    g_assert_true(saw_short);
    g_assert_true(ordered);

    /* balloonctl shows what it decided */
    {
        g_autofree char *cmd = g_strdup_printf("%s auto-status --state %s",
                                               g_getenv("UBF_BALLOONCTL"),
                                               state);

        g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status,
                                                &err));
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        g_assert_nonnull(strstr(out, "vm0"));
        g_assert_nonnull(strstr(out, "CEILING"));
    }

    /* stopped, it leaves nothing behind */
    kill(pid, SIGTERM);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_spawn_close_pid(pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (i = 0; i < 3; i++) {
        g_autoptr(JsonObject) info = query(vm[i]);

        g_assert_false(json_object_has_member(
            json_object_get_object_member(info, "automatic"), "ceiling"));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/auto/virtio-workload", test_virtio_workload);
    g_test_add_func("/auto/hv-workload", test_hv_workload);
    g_test_add_func("/auto/host-budget", test_host_budget);
    return g_test_run();
}
