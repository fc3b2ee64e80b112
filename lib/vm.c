/*
 * Start and drive a test VM: our QEMU, the test guest, QMP and the agent
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include <sys/prctl.h>
#include <signal.h>
#include "vm.h"

#define UBF_VM_QMP_TIMEOUT_MS 30000
#define UBF_VM_POLL_MS 200

struct UbfVm {
    char *dir;
    GSubprocess *proc;
    GPtrArray *argv;
    UbfQmp *qmp;
    UbfAgent *agent;
};

static const char *ubf_vm_env(const char *value, const char *var,
                              const char *fallback)
{
    if (value) {
        return value;
    }
    if (g_getenv(var)) {
        return g_getenv(var);
    }
    return fallback;
}

static void ubf_vm_arg(UbfVm *vm, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void ubf_vm_arg(UbfVm *vm, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(vm->argv, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static void ubf_vm_build_argv(UbfVm *vm, const UbfVmConfig *cfg)
{
    g_autofree char *guest_dir = g_strdup(ubf_vm_env(NULL, "UBF_GUEST_DIR",
                                                     "build/guest"));
    g_autofree char *kernel = g_build_filename(guest_dir, "vmlinuz", NULL);
    g_autofree char *initrd = g_build_filename(guest_dir, "initrd.img", NULL);
    guint nodes = MAX(cfg->nodes, 1);
    guint64 per_node = cfg->boot_mib / nodes;
    guint64 maxmem = cfg->maxmem_mib ? cfg->maxmem_mib :
                     cfg->boot_mib + nodes * cfg->virtio_mem_mib;
    guint i;

    ubf_vm_arg(vm, "%s", ubf_vm_env(cfg->qemu, "UBF_QEMU",
                                    "build/bin/qemu-system-x86_64"));
    ubf_vm_arg(vm, "-accel");
    ubf_vm_arg(vm, "%s", ubf_vm_env(cfg->accel, "UBF_ACCEL", "tcg"));
    ubf_vm_arg(vm, "-machine");
    ubf_vm_arg(vm, "q35");
    ubf_vm_arg(vm, "-nodefaults");
    ubf_vm_arg(vm, "-display");
    ubf_vm_arg(vm, "none");
    /*
     * At most 2 vCPUs: TCG runs each in a host thread, and these machines
     * have 2 cores.  Nodes past the second are memory-only.
     */
    ubf_vm_arg(vm, "-smp");
    ubf_vm_arg(vm, "%u", MIN(nodes, 2));
    ubf_vm_arg(vm, "-m");
    if (maxmem > cfg->boot_mib) {
        ubf_vm_arg(vm, "%" G_GUINT64_FORMAT "M,maxmem=%" G_GUINT64_FORMAT "M",
                   cfg->boot_mib, maxmem);
    } else {
        ubf_vm_arg(vm, "%" G_GUINT64_FORMAT "M", cfg->boot_mib);
    }
    for (i = 0; cfg->nodes && i < nodes; i++) {
        ubf_vm_arg(vm, "-object");
        ubf_vm_arg(vm, "memory-backend-ram,id=ram-node%u,size=%" G_GUINT64_FORMAT
                   "M", i, cfg->node_mib ? cfg->node_mib[i] : per_node);
        ubf_vm_arg(vm, "-numa");
        if (i < 2) {
            ubf_vm_arg(vm, "node,nodeid=%u,cpus=%u,memdev=ram-node%u", i, i,
                       i);
        } else {
            ubf_vm_arg(vm, "node,nodeid=%u,memdev=ram-node%u", i, i);
        }
    }
    for (i = 0; cfg->virtio_mem_mib && i < nodes; i++) {
        ubf_vm_arg(vm, "-object");
        ubf_vm_arg(vm, "memory-backend-ram,id=vmem-mem%u,size=%" G_GUINT64_FORMAT
                   "M", i, cfg->virtio_mem_mib);
        ubf_vm_arg(vm, "-device");
        if (cfg->nodes) {
            ubf_vm_arg(vm, "virtio-mem-pci,id=vmem%u,memdev=vmem-mem%u,node=%u",
                       i, i, i);
        } else {
            ubf_vm_arg(vm, "virtio-mem-pci,id=vmem%u,memdev=vmem-mem%u", i, i);
        }
    }
    if (cfg->virtio_balloon) {
        ubf_vm_arg(vm, "-device");
        ubf_vm_arg(vm, "virtio-balloon-pci,id=balloon0");
    }
    if (cfg->no_guest) {
        ubf_vm_arg(vm, "-S");
    } else {
        ubf_vm_arg(vm, "-kernel");
        ubf_vm_arg(vm, "%s", cfg->kernel ? cfg->kernel : kernel);
        ubf_vm_arg(vm, "-initrd");
        ubf_vm_arg(vm, "%s", cfg->initrd ? cfg->initrd : initrd);
        ubf_vm_arg(vm, "-append");
        ubf_vm_arg(vm, "console=ttyS0 panic=-1"
                   " memhp_default_state=%s ubf.modules=%s%s",
                   ubf_vm_memhp(cfg), cfg->modules ? cfg->modules : "",
                   cfg->ticker ? " ubf.tick=1" : "");
        if (!cfg->allow_reboot) {
            ubf_vm_arg(vm, "-no-reboot");
        }
        ubf_vm_arg(vm, "-serial");
        ubf_vm_arg(vm, "file:%s/console.log", vm->dir);
        ubf_vm_arg(vm, "-serial");
        ubf_vm_arg(vm, "unix:%s/agent.sock,server=on,wait=off", vm->dir);
    }
    ubf_vm_arg(vm, "-qmp");
    ubf_vm_arg(vm, "unix:%s/qmp.sock,server=on,wait=off", vm->dir);
    if (cfg->tool_qmp) {
        /* A QMP socket serves one client at a time. */
        ubf_vm_arg(vm, "-qmp");
        ubf_vm_arg(vm, "unix:%s/ctl.sock,server=on,wait=off", vm->dir);
    }
    if (cfg->incoming) {
        ubf_vm_arg(vm, "-incoming");
        ubf_vm_arg(vm, "%s", cfg->incoming);
        ubf_vm_arg(vm, "-S");
    }
    for (i = 0; cfg->extra && cfg->extra[i]; i++) {
        ubf_vm_arg(vm, "%s", cfg->extra[i]);
    }
    g_ptr_array_add(vm->argv, NULL);
}

/* The last lines QEMU printed, to explain a failure. */
static char *ubf_vm_log_tail(UbfVm *vm)
{
    g_autofree char *path = g_build_filename(vm->dir, "qemu.log", NULL);
    g_autofree char *text = NULL;
    gsize len;

    if (!g_file_get_contents(path, &text, &len, NULL) || len == 0) {
        return g_strdup("(QEMU printed nothing)");
    }
    g_strchomp(text);
    return g_strdup(len > 600 ? text + len - 600 : text);
}

/* Connect to QMP, giving up early if QEMU exits (bad options, say). */
static UbfQmp *ubf_vm_connect_qmp(UbfVm *vm, const char *sock,
                                  GError **error)
{
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)UBF_VM_QMP_TIMEOUT_MS * 1000;

    for (;;) {
        g_autoptr(GError) err = NULL;
        UbfQmp *qmp = ubf_qmp_connect(sock, 250, &err);

        if (qmp) {
            return qmp;
        }
        if (!g_subprocess_get_identifier(vm->proc) ||
            g_get_monotonic_time() >= deadline) {
            g_autofree char *tail = ubf_vm_log_tail(vm);

            g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                        "QEMU did not start: %s", tail);
            return NULL;
        }
    }
}


/*
 * In QEMU's process before exec: die with the test.  A test that aborts
 * on a failed assertion never reaches ubf_vm_free(), and its VM would
 * otherwise keep running (and eating a core) after the test is gone.
 */
static void ubf_vm_child_setup(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

UbfVm *ubf_vm_start(const UbfVmConfig *cfg, GError **error)
{
    g_autoptr(UbfVm) vm = g_new0(UbfVm, 1);
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autofree char *log = NULL;
    g_autofree char *sock = NULL;
    guint boot_timeout = cfg->boot_timeout_ms ? cfg->boot_timeout_ms : 120000;

    vm->argv = g_ptr_array_new_with_free_func(g_free);
    vm->dir = g_dir_make_tmp("ubf-vm-XXXXXX", error);
    if (!vm->dir) {
        return NULL;
    }
    ubf_vm_build_argv(vm, cfg);

    launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_INHERIT);
    g_subprocess_launcher_set_child_setup(launcher, ubf_vm_child_setup, NULL,
                                          NULL);
    log = g_build_filename(vm->dir, "qemu.log", NULL);
    g_subprocess_launcher_set_stdout_file_path(launcher, log);
    g_subprocess_launcher_take_stderr_fd(launcher, -1);
    g_subprocess_launcher_set_flags(launcher, G_SUBPROCESS_FLAGS_STDERR_MERGE);
    vm->proc = g_subprocess_launcher_spawnv(
        launcher, (const char *const *)vm->argv->pdata, error);
    if (!vm->proc) {
        return NULL;
    }

    sock = g_build_filename(vm->dir, "qmp.sock", NULL);
    vm->qmp = ubf_vm_connect_qmp(vm, sock, error);
    if (!vm->qmp) {
        return NULL;
    }
    if (cfg->no_guest || cfg->incoming) {
        return g_steal_pointer(&vm);
    }
    g_free(sock);
    sock = g_build_filename(vm->dir, "agent.sock", NULL);
    vm->agent = ubf_agent_connect(sock, boot_timeout, error);
    if (!vm->agent) {
        g_prefix_error(error, "guest did not boot (console in %s): ",
                       vm->dir);
        return NULL;
    }
    return g_steal_pointer(&vm);
}

void ubf_vm_free(UbfVm *vm)
{
    if (!vm) {
        return;
    }
    g_clear_pointer(&vm->agent, ubf_agent_free);
    if (vm->qmp) {
        g_autoptr(JsonNode) ret = ubf_qmp_execute(vm->qmp, "quit", NULL, 5000,
                                                  NULL);
        g_clear_pointer(&vm->qmp, ubf_qmp_free);
    }
    if (vm->proc) {
        gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

        /* The identifier goes away once GLib has reaped the process. */
        while (g_subprocess_get_identifier(vm->proc) &&
               g_get_monotonic_time() < deadline) {
            g_usleep(50 * 1000);
        }
        if (g_subprocess_get_identifier(vm->proc)) {
            g_subprocess_force_exit(vm->proc);
            g_subprocess_wait(vm->proc, NULL, NULL);
        }
        g_object_unref(vm->proc);
    }
    if (vm->dir && !g_getenv("UBF_KEEP_VM_DIR")) {
        g_autoptr(GFile) dir = g_file_new_for_path(vm->dir);
        g_autoptr(GFileEnumerator) en = g_file_enumerate_children(
            dir, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL, NULL);
        GFileInfo *info;

        while (en && (info = g_file_enumerator_next_file(en, NULL, NULL))) {
            g_autoptr(GFile) f = g_file_get_child(dir,
                                                  g_file_info_get_name(info));

            g_file_delete(f, NULL, NULL);
            g_object_unref(info);
        }
        g_rmdir(vm->dir);
    }
    g_free(vm->dir);
    if (vm->argv) {
        g_ptr_array_free(vm->argv, TRUE);
    }
    g_free(vm);
}

/* Run @command with @args (JSON), expecting success. */
static gboolean ubf_vm_qmp_ok(UbfVm *vm, const char *command,
                              const char *args, GError **error)
{
    g_autoptr(JsonNode) ret = ubf_qmp_execute_json(vm->qmp, command, args,
                                                   UBF_VM_QMP_TIMEOUT_MS,
                                                   error);

    return ret != NULL;
}

static gboolean ubf_vm_set_return_path(UbfVm *vm, gboolean on,
                                       GError **error)
{
    g_autofree char *args = g_strdup_printf(
        "{\"capabilities\": [{\"capability\": \"return-path\", "
        "\"state\": %s}]}", on ? "true" : "false");

    return ubf_vm_qmp_ok(vm, "migrate-set-capabilities", args, error);
}

/* Wait until @vm's status is @want (running, or paused by -S). */
static gboolean ubf_vm_wait_status(UbfVm *vm, const char *want,
                                   guint timeout_ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autoptr(JsonNode) ret = ubf_qmp_execute(vm->qmp, "query-status",
                                                  NULL, UBF_VM_QMP_TIMEOUT_MS,
                                                  error);
        const char *status;

        if (!ret) {
            return FALSE;
        }
        status = json_object_get_string_member(json_node_get_object(ret),
                                               "status");
        if (!g_strcmp0(status, want)) {
            return TRUE;
        }
        if (g_get_monotonic_time() >= deadline) {
            g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                        "destination '%s', not '%s', after %u ms", status,
                        want, timeout_ms);
            return FALSE;
        }
        g_usleep(50 * 1000);
    }
}

gboolean ubf_vm_cont(UbfVm *vm, guint timeout_ms, GError **error)
{
    g_autofree char *sock = NULL;

    if (!ubf_vm_qmp_ok(vm, "cont", NULL, error) ||
        !ubf_vm_wait_status(vm, "running", timeout_ms, error)) {
        return FALSE;
    }
    if (!vm->agent) {
        sock = g_build_filename(vm->dir, "agent.sock", NULL);
        vm->agent = ubf_agent_connect(sock, timeout_ms, error);
    }
    return vm->agent != NULL;
}

/* Wait until the migration @vm sends ends; its status. */
static char *ubf_vm_wait_migration(UbfVm *vm, guint timeout_ms,
                                   char **desc, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autoptr(JsonNode) ret = ubf_qmp_execute(vm->qmp, "query-migrate",
                                                  NULL, UBF_VM_QMP_TIMEOUT_MS,
                                                  error);
        JsonObject *o;
        const char *status;

        if (!ret) {
            return NULL;
        }
        o = json_node_get_object(ret);
        status = json_object_get_string_member_with_default(o, "status",
                                                            "none");
        if (!g_strcmp0(status, "completed") || !g_strcmp0(status, "failed") ||
            !g_strcmp0(status, "cancelled")) {
            *desc = g_strdup(json_object_get_string_member_with_default(
                                 o, "error-desc", ""));
            return g_strdup(status);
        }
        if (g_get_monotonic_time() >= deadline) {
            g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                        "migration still '%s' after %u ms", status,
                        timeout_ms);
            return NULL;
        }
        g_usleep(50 * 1000);
    }
}

gboolean ubf_vm_migrate_start(UbfVm *src, UbfVm *dst, const char *uri,
                              GError **error)
{
    g_autofree char *args = g_strdup_printf("{\"uri\": \"%s\"}", uri);

    return ubf_vm_set_return_path(dst, TRUE, error) &&
           ubf_vm_qmp_ok(dst, "migrate-incoming", args, error) &&
           ubf_vm_set_return_path(src, TRUE, error) &&
           ubf_vm_qmp_ok(src, "migrate", args, error);
}

gboolean ubf_vm_migrate_wait(UbfVm *src, UbfVm *dst, guint timeout_ms,
                             GError **error)
{
    g_autofree char *desc = NULL;
    g_autofree char *status = ubf_vm_wait_migration(src, timeout_ms, &desc,
                                                    error);

    if (!status) {
        return FALSE;
    }
    if (g_strcmp0(status, "completed")) {
        g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                    "migration %s: %s", status, desc);
        return FALSE;
    }
    return ubf_vm_wait_status(dst, "paused", timeout_ms, error);
}

gboolean ubf_vm_migrate_finish(UbfVm *src, UbfVm *dst, guint timeout_ms,
                               GError **error)
{
    return ubf_vm_migrate_wait(src, dst, timeout_ms, error) &&
           ubf_vm_cont(dst, timeout_ms, error);
}

gboolean ubf_vm_migrate(UbfVm *src, UbfVm *dst, guint timeout_ms,
                        GError **error)
{
    g_autofree char *uri = g_strdup_printf("unix:%s/migrate.sock", dst->dir);

    return ubf_vm_migrate_start(src, dst, uri, error) &&
           ubf_vm_migrate_finish(src, dst, timeout_ms, error);
}

gboolean ubf_vm_save(UbfVm *src, const char *path, guint timeout_ms,
                     GError **error)
{
    g_autofree char *args = g_strdup_printf("{\"uri\": \"file:%s\"}",
                                            path);
    g_autofree char *desc = NULL;
    g_autofree char *status = NULL;

    /* A file has no way back (a migrated-in VM may have it set). */
    if (!ubf_vm_set_return_path(src, FALSE, error) ||
        !ubf_vm_qmp_ok(src, "migrate", args, error)) {
        return FALSE;
    }
    status = ubf_vm_wait_migration(src, timeout_ms, &desc, error);
    if (status && g_strcmp0(status, "completed")) {
        g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                    "saving to %s: %s: %s", path, status, desc);
        return FALSE;
    }
    return status != NULL;
}

gboolean ubf_vm_restore(UbfVm *dst, const char *path, guint timeout_ms,
                        GError **error)
{
    g_autofree char *args = g_strdup_printf("{\"uri\": \"file:%s\"}",
                                            path);

    return ubf_vm_qmp_ok(dst, "migrate-incoming", args, error) &&
           ubf_vm_wait_status(dst, "paused", timeout_ms, error) &&
           ubf_vm_cont(dst, timeout_ms, error);
}

char *ubf_vm_console(UbfVm *vm)
{
    g_autofree char *path = g_build_filename(vm->dir, "console.log", NULL);
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return g_strdup("");
    }
    return text;
}

gboolean ubf_vm_wait_agent(UbfVm *vm, guint timeout_ms, GError **error)
{
    return ubf_agent_resync(vm->agent, timeout_ms, error);
}

UbfQmp *ubf_vm_qmp(UbfVm *vm)
{
    return vm->qmp;
}

UbfAgent *ubf_vm_agent(UbfVm *vm)
{
    return vm->agent;
}

GPid ubf_vm_pid(UbfVm *vm)
{
    const char *id = g_subprocess_get_identifier(vm->proc);

    return id ? (GPid)atoi(id) : 0;
}

const char *ubf_vm_dir(UbfVm *vm)
{
    return vm->dir;
}

char *ubf_vm_command_line(UbfVm *vm)
{
    return g_strjoinv(" ", (char **)vm->argv->pdata);
}

gboolean ubf_vm_wait_memtotal_near(UbfVm *vm, gint64 want_kib,
                                   gint64 tolerance_kib, guint timeout_ms,
                                   UbfGuestMem *mem, GError **error)
{
    return ubf_agent_wait_memtotal(vm->agent, want_kib, tolerance_kib,
                                   timeout_ms, mem, error);
}

gboolean ubf_vm_wait_memtotal(UbfVm *vm, gint64 want_kib, guint timeout_ms,
                              UbfGuestMem *mem, GError **error)
{
    return ubf_vm_wait_memtotal_near(vm, want_kib, 0, timeout_ms, mem, error);
}

gboolean ubf_vm_wait_settled(UbfVm *vm, guint stable_ms, guint timeout_ms,
                             UbfGuestMem *mem, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    gint64 since = g_get_monotonic_time();
    gint64 last = -1;

    for (;;) {
        if (!ubf_agent_meminfo(vm->agent, mem, error)) {
            return FALSE;
        }
        if (mem->memtotal_kib != last) {
            last = mem->memtotal_kib;
            since = g_get_monotonic_time();
        } else if (g_get_monotonic_time() - since >= (gint64)stable_ms * 1000) {
            return TRUE;
        }
        if (g_get_monotonic_time() >= deadline) {
            g_set_error(error, UBF_AGENT_ERROR, UBF_AGENT_ERROR_FAILED,
                        "guest MemTotal still changing after %u ms",
                        timeout_ms);
            return FALSE;
        }
        g_usleep(UBF_VM_POLL_MS * 1000);
    }
}

JsonObject *ubf_vm_resize(UbfVm *vm, const char *command,
                          const char *args_json, guint timeout_ms,
                          GError **error)
{
    g_autoptr(JsonNode) ret = ubf_qmp_execute_json(vm->qmp, command,
                                                   args_json,
                                                   UBF_VM_QMP_TIMEOUT_MS,
                                                   error);
    g_autoptr(JsonObject) done = NULL;

    if (!ret) {
        return NULL;
    }
    done = ubf_qmp_wait_event(vm->qmp, "MEMORY_RESIZE_DONE", ubf_vm_any_done,
                              NULL, timeout_ms, error);
    if (!done) {
        return NULL;
    }
    return json_object_ref(json_object_get_object_member(done, "data"));
}

JsonObject *ubf_vm_balloon(UbfVm *vm, gint64 value, guint timeout_ms,
                           GError **error)
{
    g_autofree char *args = g_strdup_printf("{\"value\": %" G_GINT64_FORMAT
                                            "}", value);

    return ubf_vm_resize(vm, "balloon", args, timeout_ms, error);
}

gboolean ubf_vm_any_done(JsonObject *event, gpointer unused)
{
    JsonObject *data = json_object_get_object_member(event, "data");
    const char *reason = json_object_get_string_member(data, "reason");

    /* The promise every test holds the frontend to. */
    if (!g_strcmp0(reason, "reached") &&
        json_object_get_int_member(data, "actual") !=
        json_object_get_int_member(data, "target")) {
        g_error("MEMORY_RESIZE_DONE says reached with actual %" G_GINT64_FORMAT
                " and target %" G_GINT64_FORMAT,
                json_object_get_int_member(data, "actual"),
                json_object_get_int_member(data, "target"));
    }
    return TRUE;
}

gboolean ubf_vm_reason_is(JsonObject *event, gpointer reason)
{
    JsonObject *data = json_object_get_object_member(event, "data");

    ubf_vm_any_done(event, NULL);
    return g_strcmp0(json_object_get_string_member(data, "reason"),
                     reason) == 0;
}

const char *ubf_vm_memhp(const UbfVmConfig *cfg)
{
    return cfg->memhp ? cfg->memhp :
           g_getenv("UBF_GUEST_MEMHP") ? g_getenv("UBF_GUEST_MEMHP") :
           "online_movable";
}

gint64 ubf_vm_qmp_int(UbfVm *vm, const char *command, const char *member,
                      GError **error)
{
    g_autoptr(JsonNode) ret = ubf_qmp_execute(vm->qmp, command, NULL,
                                              UBF_VM_QMP_TIMEOUT_MS, error);

    if (!ret) {
        return -1;
    }
    return json_object_get_int_member(json_node_get_object(ret), member);
}

JsonObject *ubf_vm_backend(UbfVm *vm, const char *type, GError **error)
{
    g_autoptr(JsonNode) ret = ubf_qmp_execute(vm->qmp, "query-memory-resize",
                                              NULL, UBF_VM_QMP_TIMEOUT_MS,
                                              error);
    JsonArray *b;
    guint i;

    if (!ret) {
        return NULL;
    }
    b = json_object_get_array_member(json_node_get_object(ret), "backends");
    for (i = 0; i < json_array_get_length(b); i++) {
        JsonObject *o = json_array_get_object_element(b, i);

        if (!g_strcmp0(json_object_get_string_member(o, "type"), type)) {
            return json_object_ref(o);
        }
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                "query-memory-resize lists no %s backend", type);
    return NULL;
}

const char *ubf_vm_hv_cpu(void)
{
    if (g_strcmp0(g_getenv("UBF_ACCEL"), "kvm") == 0) {
        return "host,hv-relaxed,hv-vpindex,hv-synic,hv-time,hv-runtime";
    }
    return "qemu64,hv-relaxed,hv-vpindex,hv-synic,hv-time";
}

gint64 ubf_vm_proc_kib(UbfVm *vm, const char *file, const char *field)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/%s",
                                            (int)ubf_vm_pid(vm), file);
    g_autofree char *key = g_strdup_printf("\n%s:", field);
    g_autofree char *text = NULL;
    const char *line;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return -1;
    }
    line = strstr(text, key);
    return line ? g_ascii_strtoll(line + strlen(key), NULL, 10) : -1;
}

gint64 ubf_vm_rss_kib(UbfVm *vm)
{
    return ubf_vm_proc_kib(vm, "status", "VmRSS");
}

gint64 ubf_vm_qom_get_int(UbfVm *vm, const char *path, const char *property,
                          GError **error)
{
    g_autofree char *args = g_strdup_printf(
        "{\"path\": \"%s\", \"property\": \"%s\"}", path, property);
    g_autoptr(JsonNode) ret = ubf_qmp_execute_json(vm->qmp, "qom-get", args,
                                                   UBF_VM_QMP_TIMEOUT_MS,
                                                   error);

    return ret ? json_node_get_int(ret) : -1;
}
