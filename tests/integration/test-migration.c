/*
 * Live migration and snapshots, nothing lost: each backend alone and the
 * mixed template, resized, migrated; the destination has the same
 * query-memory-resize (target, actual, per node) and the guest the same
 * MemTotal, total and per node; a further resize there reaches its
 * target; a request in flight completes on the destination; a snapshot
 * to a file restores the same; stock QEMU 10.0 (the baseline build)
 * migrates to ours and back when nothing it cannot express is in flight,
 * and refuses cleanly, the source running on, when something is.
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
#define TIMEOUT_MS 240000

static UbfVm *start(const UbfVmConfig *cfg)
{
    g_autoptr(GError) err = NULL;
    UbfVm *vm = ubf_vm_start(cfg, &err);

    g_assert_no_error(err);
    return vm;
}

/* The same VM, from @qemu (NULL: ours), waiting for a migration. */
static UbfVm *start_destination(const UbfVmConfig *cfg, const char *qemu)
{
    UbfVmConfig dst = *cfg;

    dst.incoming = "defer";
    dst.qemu = qemu;
    return start(&dst);
}

/*
 * A baseline binary named by the environment (make check sets it), or
 * skip if it names none (a test run by hand); one it names must be there.
 */
static const char *baseline(const char *var)
{
    const char *path = g_getenv(var);

    if (!path) {
        g_autofree char *why = g_strdup_printf("%s is not set: no stock "
                                               "QEMU to migrate with", var);

        g_test_skip(why);
        return NULL;
    }
    if (!g_file_test(path, G_FILE_TEST_IS_EXECUTABLE)) {
        g_error("%s=%s is not an executable", var, path);
    }
    return path;
}

static void migrate(UbfVm *src, UbfVm *dst)
{
    g_autoptr(GError) err = NULL;
    gboolean ok = ubf_vm_migrate(src, dst, TIMEOUT_MS, &err);

    g_assert_no_error(err);
    g_assert_true(ok);
}

static JsonNode *qmp(UbfVm *vm, const char *command, const char *args)
{
    g_autoptr(GError) err = NULL;
    JsonNode *ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), command, args,
                                         30000, &err);

    g_assert_no_error(err);
    return ret;
}

/* One resize; wait for MEMORY_RESIZE_DONE, reached at @target. */
static void resize(UbfVm *vm, const char *command, const char *args,
                   gint64 target)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) done = ubf_vm_resize(vm, command, args, TIMEOUT_MS,
                                               &err);

    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(done, "reason"), ==,
                    "reached");
    g_assert_cmpint(json_object_get_int_member(done, "actual"), ==, target);
}

static void balloon(UbfVm *vm, gint64 target)
{
    g_autofree char *args = g_strdup_printf("{\"value\": %" G_GINT64_FORMAT
                                            "}", target);

    resize(vm, "balloon", args, target);
}

/*
 * What the user sees of the sizes, as one string: query-memory-resize's
 * target and actual, each backend's size and hot-added memory, each
 * node's figures.  Two VMs agree if their strings do.
 */
static char *frontend_view(UbfVm *vm)
{
    g_autoptr(JsonNode) ret = qmp(vm, "query-memory-resize", NULL);
    JsonObject *o = json_node_get_object(ret);
    JsonArray *a = json_object_get_array_member(o, "backends");
    GString *s = g_string_new(NULL);
    guint i;

    g_string_append_printf(s, "target %" G_GINT64_FORMAT " actual %"
                           G_GINT64_FORMAT,
                           json_object_get_int_member(o, "target"),
                           json_object_get_int_member(o, "actual"));
    for (i = 0; i < json_array_get_length(a); i++) {
        JsonObject *b = json_array_get_object_element(a, i);

        g_string_append_printf(s, "; %s %s %" G_GINT64_FORMAT " +%"
                               G_GINT64_FORMAT,
                               json_object_get_string_member(b, "id"),
                               json_object_get_string_member(b, "type"),
                               json_object_get_int_member(b, "size"),
                               json_object_get_int_member_with_default(
                                   b, "hot-added", 0));
    }
    a = json_object_get_array_member(o, "nodes");
    for (i = 0; i < json_array_get_length(a); i++) {
        JsonObject *n = json_array_get_object_element(a, i);

        g_string_append_printf(s, "; node %" G_GINT64_FORMAT ": plugged %"
                               G_GINT64_FORMAT " hot-added %" G_GINT64_FORMAT
                               " ballooned %" G_GINT64_FORMAT " actual %"
                               G_GINT64_FORMAT " max %" G_GINT64_FORMAT,
                               json_object_get_int_member(n, "node"),
                               json_object_get_int_member(n, "plugged"),
                               json_object_get_int_member(n, "hot-added"),
                               json_object_get_int_member_with_default(
                                   n, "ballooned", -1),
                               json_object_get_int_member(n, "actual"),
                               json_object_get_int_member(n, "maximum"));
    }
    return g_string_free(s, FALSE);
}

/* The guest's own MemTotal, total and per node, as one string. */
static char *guest_view(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    GString *s = g_string_new(NULL);
    UbfGuestMem mem;
    guint i;

    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
    g_string_append_printf(s, "MemTotal %" G_GINT64_FORMAT " kB",
                           mem.memtotal_kib);
    for (i = 0; i < mem.nnodes; i++) {
        g_string_append_printf(s, "; node %d %" G_GINT64_FORMAT " kB",
                               mem.nodes[i].node, mem.nodes[i].memtotal_kib);
    }
    return g_string_free(s, FALSE);
}

static gint64 guest_memtotal(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    UbfGuestMem mem;

    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
    return mem.memtotal_kib;
}

static void wait_memtotal(UbfVm *vm, gint64 want_kib)
{
    g_autoptr(GError) err = NULL;
    UbfGuestMem mem;

    if (!ubf_vm_wait_memtotal(vm, want_kib, 60000, &mem, &err)) {
        g_error("guest MemTotal %" G_GINT64_FORMAT " kB, want %"
                G_GINT64_FORMAT " kB: %s", mem.memtotal_kib, want_kib,
                err ? err->message : "");
    }
}

/*
 * Migrate @src to a new VM of the same @cfg and check that nothing
 * moved: the frontend's figures and the guest's.  Returns the
 * destination.
 */
static UbfVm *migrate_same(UbfVm *src, const UbfVmConfig *cfg)
{
    g_autofree char *frontend = frontend_view(src);
    g_autofree char *guest = guest_view(src);
    g_autofree char *frontend_dst = NULL, *guest_dst = NULL;
    UbfVm *dst = start_destination(cfg, NULL);

    migrate(src, dst);
    frontend_dst = frontend_view(dst);
    guest_dst = guest_view(dst);
    g_test_message("before: %s | %s", frontend, guest);
    g_assert_cmpstr(frontend_dst, ==, frontend);
    g_assert_cmpstr(guest_dst, ==, guest);
    return dst;
}

/* Guest reboot (system_reset) on @vm; wait for its agent. */
static void reboot(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = qmp(vm, "system_reset", NULL);

    g_assert_true(ubf_vm_wait_agent(vm, TIMEOUT_MS, &err));
    g_assert_no_error(err);
}

/*
 * virtio-balloon alone, 2 nodes: the pages in the balloon are known per
 * node on the destination too, the settings changed at run time go
 * along, a reset there re-applies the last target.
 */
static void test_virtio_balloon(void)
{
    static const char *extra[] = {
        "-object", "balloon-frontend,id=bf0,stall-timeout=7", NULL
    };
    UbfVmConfig cfg = { .boot_mib = 1024, .nodes = 2, .virtio_balloon = TRUE,
                        .modules = "virtio_balloon", .extra = extra,
                        .allow_reboot = TRUE };
    g_autoptr(UbfVm) src = start(&cfg);
    g_autoptr(UbfVm) dst = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(GError) err = NULL;
    gint64 boot = guest_memtotal(src);
    UbfGuestMem mem;

    balloon(src, 640 * MIB);
    wait_memtotal(src, boot - 384 * KIB_PER_MIB);
    ret = qmp(src, "qom-set", "{\"path\": \"/objects/bf0\", \"property\": "
              "\"stall-timeout\", \"value\": 9}");

    dst = migrate_same(src, &cfg);
    g_assert_cmpint(ubf_vm_qom_get_int(dst, "/objects/bf0", "stall-timeout",
                                       &err), ==, 9);
    g_assert_no_error(err);

    balloon(dst, 768 * MIB);
    wait_memtotal(dst, boot - 256 * KIB_PER_MIB);
    reboot(dst);
    /* The driver inflates again to the last target after the reboot. */
    g_assert_true(ubf_vm_wait_memtotal_near(dst, boot - 256 * KIB_PER_MIB,
                                            64, TIMEOUT_MS, &mem, &err));
    g_assert_no_error(err);
}

/* virtio-mem alone, one device per node, sized per node. */
static void test_virtio_mem(void)
{
    UbfVmConfig cfg = { .boot_mib = 1024, .nodes = 2, .virtio_mem_mib = 512,
                        .modules = "virtio_mem" };
    g_autoptr(UbfVm) src = start(&cfg);
    g_autoptr(UbfVm) dst = NULL;
    gint64 boot = guest_memtotal(src);

    resize(src, "memory-resize", "{\"nodes\": [{\"node\": 0, \"size\": "
           "805306368}, {\"node\": 1, \"size\": 671088640}]}",
           1024 * MIB + 384 * MIB);
    wait_memtotal(src, boot + 384 * KIB_PER_MIB);

    dst = migrate_same(src, &cfg);
    resize(dst, "memory-resize", "{\"nodes\": [{\"node\": 0, \"size\": "
           "536870912}, {\"node\": 1, \"size\": 1073741824}]}",
           1024 * MIB + 512 * MIB);
    wait_memtotal(dst, boot + 512 * KIB_PER_MIB);
}

static gboolean is_stalled(JsonObject *ev, gpointer unused)
{
    JsonObject *data = json_object_get_object_member(ev, "data");

    return !g_strcmp0(json_object_get_string_member(data, "state"),
                      "stalled");
}

/*
 * A request in flight: 3 GiB -> 640 MiB (virtio-mem unplugs 2 GiB, the
 * balloon takes 384 MiB), the migration started as soon as the request
 * is.  virtio-mem refuses to move while migration runs, which takes
 * seconds at 32 MiB/s; with a 1 s stall timeout, the source must not
 * call that stalled, nor hand virtio-mem's share to the balloon, nor
 * finish: the destination does, once, to the page.
 */
static void test_in_flight(void)
{
    static const char *extra[] = {
        "-object", "balloon-frontend,id=bf0,stall-timeout=1", NULL
    };
    UbfVmConfig cfg = { .boot_mib = 1024, .virtio_balloon = TRUE,
                        .virtio_mem_mib = 2048,
                        .modules = "virtio_balloon,virtio_mem",
                        .extra = extra };
    g_autoptr(UbfVm) src = start(&cfg);
    g_autoptr(UbfVm) dst = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(GPtrArray) events = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) done = NULL;
    g_autofree char *uri = NULL;
    gint64 boot = guest_memtotal(src);
    guint i;

    balloon(src, 3 * GIB);
    wait_memtotal(src, boot + 2048 * KIB_PER_MIB);
    g_clear_pointer(&ret, json_node_unref);
    ret = qmp(src, "migrate-set-parameters", "{\"max-bandwidth\": 33554432}");

    dst = start_destination(&cfg, NULL);
    g_clear_pointer(&ret, json_node_unref);
    ret = qmp(src, "balloon", "{\"value\": 671088640}");
    uri = g_strdup_printf("unix:%s/migrate.sock", ubf_vm_dir(dst));
    g_assert_true(ubf_vm_migrate_start(src, dst, uri, &err));
    g_assert_true(ubf_vm_migrate_wait(src, dst, TIMEOUT_MS, &err));
    g_assert_no_error(err);
    /* The 1 s that proved the point on the source is too short here. */
    g_clear_pointer(&ret, json_node_unref);
    ret = qmp(dst, "qom-set", "{\"path\": \"/objects/bf0\", \"property\": "
              "\"stall-timeout\", \"value\": 30}");
    g_assert_true(ubf_vm_cont(dst, TIMEOUT_MS, &err));
    g_assert_no_error(err);

    /* The source neither stalled nor finished: it was migrating. */
    events = ubf_qmp_take_events(ubf_vm_qmp(src), "MEMORY_RESIZE_STATE");
    for (i = 0; i < events->len; i++) {
        g_assert_false(is_stalled(g_ptr_array_index(events, i), NULL));
    }
    g_clear_pointer(&events, g_ptr_array_unref);
    events = ubf_qmp_take_events(ubf_vm_qmp(src), "MEMORY_RESIZE_DONE");
    g_assert_cmpuint(events->len, ==, 0);

    done = ubf_qmp_wait_event(ubf_vm_qmp(dst), "MEMORY_RESIZE_DONE",
                              ubf_vm_any_done, NULL, TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(
                        json_object_get_object_member(done, "data"),
                        "reason"), ==, "reached");
    wait_memtotal(dst, boot - 384 * KIB_PER_MIB);
    g_assert_cmpint(ubf_vm_qom_get_int(dst, "/machine/peripheral/vmem0",
                                       "size", &err), ==, 0);
    g_assert_cmpint(ubf_vm_qmp_int(dst, "query-balloon", "actual", &err), ==,
                    640 * MIB);
    /* Once: nothing else finished meanwhile. */
    g_clear_pointer(&events, g_ptr_array_unref);
    events = ubf_qmp_take_events(ubf_vm_qmp(dst), "MEMORY_RESIZE_DONE");
    g_assert_cmpuint(events->len, ==, 0);

    balloon(dst, 2 * GIB);
    wait_memtotal(dst, boot + 1024 * KIB_PER_MIB);
}

/*
 * A shrink that has begun when the migration starts: 3 GiB -> 640 MiB
 * (virtio-mem unplugs 2 GiB, then the balloon takes 384 MiB), the
 * migration started once the guest gave up @data MiB: while virtio-mem
 * unplugs (256), or while the balloon inflates (2176).  Once the target
 * is reached, the destination's guest has the MemTotal QMP says, to
 * the page: nothing the guest did while the source sent its state is
 * lost or counted twice.
 */
static void test_mid_shrink(gconstpointer data)
{
    gint64 given_mib = GPOINTER_TO_INT(data);
    UbfVmConfig cfg = { .boot_mib = 1024, .virtio_balloon = TRUE,
                        .virtio_mem_mib = 2048,
                        .modules = "virtio_balloon,virtio_mem" };
    g_autoptr(UbfVm) src = start(&cfg);
    g_autoptr(UbfVm) dst = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) done = NULL;
    g_autofree char *uri = NULL;
    gint64 boot = guest_memtotal(src), actual;
    UbfGuestMem mem;

    balloon(src, 3 * GIB);
    wait_memtotal(src, boot + 2048 * KIB_PER_MIB);

    dst = start_destination(&cfg, NULL);
    ret = qmp(src, "balloon", "{\"value\": 671088640}");
    while (guest_memtotal(src) > boot + (2048 - given_mib) * KIB_PER_MIB) {
        g_usleep(20 * 1000);
    }
    g_test_message("the guest had %" G_GINT64_FORMAT " kB when the migration "
                   "started", guest_memtotal(src));
    uri = g_strdup_printf("unix:%s/migrate.sock", ubf_vm_dir(dst));
    g_assert_true(ubf_vm_migrate_start(src, dst, uri, &err));
    g_assert_no_error(err);
    g_assert_true(ubf_vm_migrate_finish(src, dst, TIMEOUT_MS, &err));
    g_assert_no_error(err);

    /* Reached on the source, or on the destination once it goes on. */
    done = ubf_qmp_wait_event(ubf_vm_qmp(dst), "MEMORY_RESIZE_DONE",
                              ubf_vm_any_done, NULL, 5000, NULL);
    if (!done) {
        g_autoptr(GPtrArray) src_done = ubf_qmp_take_events(
            ubf_vm_qmp(src), "MEMORY_RESIZE_DONE");

        if (src_done->len) {
            done = json_object_ref(g_ptr_array_index(src_done,
                                                     src_done->len - 1));
        } else {
            done = ubf_qmp_wait_event(ubf_vm_qmp(dst), "MEMORY_RESIZE_DONE",
                                      ubf_vm_any_done, NULL, TIMEOUT_MS,
                                      &err);
            g_assert_no_error(err);
        }
    }
    g_assert_cmpstr(json_object_get_string_member(
                        json_object_get_object_member(done, "data"),
                        "reason"), ==, "reached");
    actual = ubf_vm_qmp_int(dst, "query-balloon", "actual", &err);
    g_assert_true(ubf_vm_wait_settled(dst, 2000, 60000, &mem, &err));
    g_assert_no_error(err);
    g_test_message("destination: QMP %" G_GINT64_FORMAT " MiB, guest "
                   "MemTotal %" G_GINT64_FORMAT " kB (boot %" G_GINT64_FORMAT
                   " kB)", actual / MIB, mem.memtotal_kib, boot);
    g_assert_cmpint(mem.memtotal_kib, ==, boot - 384 * KIB_PER_MIB);
}

/*
 * Automatic sizing's settings and a host's ceiling migrate (paused VMs,
 * no guest): the destination, started with the defaults, has the
 * source's after the migration.
 */
static void test_auto_settings(void)
{
    static const char *src_extra[] = {
        "-object", "balloon-frontend,id=bf0,auto=on,auto-minimum=512M,"
        "auto-maximum=2G,auto-buffer=40,auto-weight=7000", NULL
    };
    static const char *dst_extra[] = {
        "-object", "balloon-frontend,id=bf0", NULL
    };
    UbfVmConfig cfg = { .boot_mib = 1024, .virtio_balloon = TRUE,
                        .virtio_mem_mib = 2048, .no_guest = TRUE,
                        .extra = src_extra };
    UbfVmConfig dcfg = cfg;
    g_autoptr(UbfVm) src = NULL;
    g_autoptr(UbfVm) dst = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(GError) err = NULL;

    src = start(&cfg);
    ret = qmp(src, "memory-resize-auto", "{\"ceiling\": 1610612736, "
              "\"node-maximum\": 2147483648}");
    /* running (firmware only): a VM never started migrates as such */
    g_clear_pointer(&ret, json_node_unref);
    ret = qmp(src, "cont", NULL);
    dcfg.extra = dst_extra;
    dst = start_destination(&dcfg, NULL);
    g_assert_false(ubf_vm_qom_get_int(dst, "/objects/bf0", "auto-weight",
                                      &err) == 7000);
    {
        g_autofree char *uri = g_strdup_printf("unix:%s/migrate.sock",
                                               ubf_vm_dir(dst));
        gboolean done = FALSE;
        int i;

        g_assert_true(ubf_vm_migrate_start(src, dst, uri, &err));
        for (i = 0; i < 300 && !done; i++) {
            g_autoptr(JsonNode) st = qmp(src, "query-migrate", NULL);
            g_autoptr(JsonNode) ds = qmp(dst, "query-status", NULL);

            done = !g_strcmp0(json_object_get_string_member_with_default(
                                  json_node_get_object(st), "status", ""),
                              "completed") &&
                   !g_strcmp0(json_object_get_string_member(
                                  json_node_get_object(ds), "status"),
                              "paused");
            g_usleep(100 * 1000);
        }
        g_assert_true(done);
    }
    g_assert_cmpint(ubf_vm_qom_get_int(dst, "/objects/bf0", "auto-minimum",
                                       &err), ==, 512 * MIB);
    g_assert_cmpint(ubf_vm_qom_get_int(dst, "/objects/bf0", "auto-maximum",
                                       &err), ==, 2 * GIB);
    g_assert_cmpint(ubf_vm_qom_get_int(dst, "/objects/bf0", "auto-ceiling",
                                       &err), ==, 1536 * MIB);
    g_assert_cmpint(ubf_vm_qom_get_int(dst, "/objects/bf0",
                                       "auto-node-maximum", &err), ==,
                    2 * GIB);
    g_assert_cmpint(ubf_vm_qom_get_int(dst, "/objects/bf0", "auto-buffer",
                                       &err), ==, 40);
    g_assert_cmpint(ubf_vm_qom_get_int(dst, "/objects/bf0", "auto-weight",
                                       &err), ==, 7000);
    g_clear_pointer(&ret, json_node_unref);
    ret = qmp(dst, "qom-get", "{\"path\": \"/objects/bf0\", "
              "\"property\": \"auto\"}");
    g_assert_true(json_node_get_boolean(ret));
}

/*
 * A snapshot: migrate to a file with a request in flight, restore it in
 * a new QEMU; the request completes there, and a further one too.
 */
static void test_file(void)
{
    UbfVmConfig cfg = { .boot_mib = 1024, .virtio_balloon = TRUE,
                        .virtio_mem_mib = 1024,
                        .modules = "virtio_balloon,virtio_mem" };
    g_autoptr(UbfVm) src = start(&cfg);
    g_autoptr(UbfVm) dst = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) done = NULL;
    g_autofree char *path = g_build_filename(ubf_vm_dir(src), "snapshot",
                                             NULL);
    g_autofree char *frontend = NULL;
    gint64 boot = guest_memtotal(src);

    balloon(src, 896 * MIB);
    wait_memtotal(src, boot - 128 * KIB_PER_MIB);
    ret = qmp(src, "balloon", "{\"value\": 1610612736}");
    g_assert_true(ubf_vm_save(src, path, TIMEOUT_MS, &err));
    g_assert_no_error(err);
    frontend = frontend_view(src);
    g_test_message("saved: %s", frontend);

    dst = start_destination(&cfg, NULL);
    g_assert_true(ubf_vm_restore(dst, path, TIMEOUT_MS, &err));
    g_assert_no_error(err);
    done = ubf_qmp_wait_event(ubf_vm_qmp(dst), "MEMORY_RESIZE_DONE",
                              ubf_vm_any_done, NULL, TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpint(json_object_get_int_member(
                        json_object_get_object_member(done, "data"),
                        "actual"), ==, 1536 * MIB);
    wait_memtotal(dst, boot + 512 * KIB_PER_MIB);
    balloon(dst, 1024 * MIB);
    wait_memtotal(dst, boot);
}

/* The size of the backend of @type, as query-memory-resize says. */
static gint64 backend_size(UbfVm *vm, const char *type)
{
    g_autoptr(JsonNode) ret = qmp(vm, "query-memory-resize", NULL);
    JsonArray *a = json_object_get_array_member(json_node_get_object(ret),
                                                "backends");
    guint i;

    for (i = 0; i < json_array_get_length(a); i++) {
        JsonObject *b = json_array_get_object_element(a, i);

        if (!g_strcmp0(json_object_get_string_member(b, "type"), type)) {
            return json_object_get_int_member(b, "size");
        }
    }
    g_assert_not_reached();
}

/* Stock's view: query-balloon, and the guest. */
static void assert_stock_sizes(UbfVm *vm, gint64 actual, gint64 memtotal)
{
    g_autoptr(GError) err = NULL;

    wait_memtotal(vm, memtotal);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    actual);
    g_assert_no_error(err);
}

/*
 * Rolling upgrades, both ways, with virtio-balloon and virtio-mem:
 * stock -> ours after a resize on stock (the frontend takes the size it
 * finds as the last target: a reset re-applies it); ours -> stock with a
 * request in flight fails cleanly (stock cannot take the frontend's
 * state), the source runs on and completes it; then, finished, ours ->
 * stock works.
 */
static void test_stock(void)
{
    const char *stock = baseline("UBF_BASELINE_QEMU");
    UbfVmConfig cfg = { .boot_mib = 1024, .virtio_balloon = TRUE,
                        .virtio_mem_mib = 1024,
                        .modules = "virtio_balloon,virtio_mem",
                        .allow_reboot = TRUE };
    g_autoptr(UbfVm) old = NULL;
    g_autoptr(UbfVm) ours = NULL;
    g_autoptr(UbfVm) refused = NULL;
    g_autoptr(UbfVm) back = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(JsonNode) status = NULL;
    g_autoptr(JsonObject) done = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *frontend = NULL;
    UbfVmConfig old_cfg = cfg;
    gint64 boot, ballooned, plugged;

    if (!stock) {
        return;
    }
    old_cfg.qemu = stock;
    old = start(&old_cfg);
    boot = guest_memtotal(old);
    /* On stock: balloon 256 MiB out, plug 512 MiB. */
    ret = qmp(old, "balloon", "{\"value\": 805306368}");
    g_clear_pointer(&ret, json_node_unref);
    ret = qmp(old, "qom-set", "{\"path\": \"/machine/peripheral/vmem0\", "
              "\"property\": \"requested-size\", \"value\": 536870912}");
    wait_memtotal(old, boot + 256 * KIB_PER_MIB);

    ours = start_destination(&cfg, NULL);
    migrate(old, ours);
    g_assert_cmpint(guest_memtotal(ours), ==, boot + 256 * KIB_PER_MIB);
    g_assert_cmpint(ubf_vm_qmp_int(ours, "query-balloon", "actual", &err), ==,
                    1280 * MIB);
    frontend = frontend_view(ours);
    g_test_message("from stock: %s", frontend);
    g_assert_nonnull(strstr(frontend, "target 1342177280 actual 1342177280"));
    /* One node: the ballooned pages are its own, record or not. */
    g_assert_nonnull(strstr(frontend, "ballooned 268435456"));
    balloon(ours, 1536 * MIB);
    wait_memtotal(ours, boot + 512 * KIB_PER_MIB);

    /* A request virtio-mem cannot finish while migrating: refused. */
    g_clear_pointer(&ret, json_node_unref);
    ret = qmp(ours, "balloon", "{\"value\": 1073741824}");
    refused = start_destination(&cfg, stock);
    uri = g_strdup_printf("unix:%s/migrate.sock", ubf_vm_dir(refused));
    g_assert_true(ubf_vm_migrate_start(ours, refused, uri, &err));
    g_assert_false(ubf_vm_migrate_finish(ours, refused, TIMEOUT_MS, &err));
    g_test_message("refused: %s", err->message);
    g_clear_error(&err);
    status = qmp(ours, "query-status", NULL);
    g_assert_cmpstr(json_object_get_string_member(
                        json_node_get_object(status), "status"), ==,
                    "running");
    done = ubf_qmp_wait_event(ubf_vm_qmp(ours), "MEMORY_RESIZE_DONE",
                              ubf_vm_any_done, NULL, TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(
                        json_object_get_object_member(done, "data"),
                        "reason"), ==, "reached");
    wait_memtotal(ours, boot);

    /*
     * Nothing in flight: to stock, which goes on with the sizes.  Its
     * query-balloon counts boot RAM and the balloon only.
     */
    ballooned = -backend_size(ours, "virtio-balloon");
    plugged = backend_size(ours, "virtio-mem");
    back = start_destination(&cfg, stock);
    migrate(ours, back);
    assert_stock_sizes(back, 1024 * MIB - ballooned, boot);
    g_clear_pointer(&ret, json_node_unref);
    ret = qmp(back, "balloon", "{\"value\": 805306368}");
    assert_stock_sizes(back, 768 * MIB,
                       boot - 256 * KIB_PER_MIB + plugged / 1024);
}

static const char *hv_extra[] = {
    "-cpu", NULL,
    "-global", "ICH9-LPC.disable_s4=1",
    "-device", "vmbus-bridge",
    "-object", "memory-backend-ram,id=hvmem,size=4G",
    "-device", "hv-balloon,id=hvb0,memdev=hvmem",
    NULL
};

/* Wait until hv-balloon's driver is connected and past its hold. */
static void wait_hv_ready(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) done = NULL;
    gint64 actual = ubf_vm_qmp_int(vm, "query-balloon", "actual", &err);

    /* A request waits through the hold, and finishes after it. */
    done = ubf_vm_balloon(vm, actual - 4 * MIB, TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(done, "reason"), ==,
                    "reached");
}

/* The last "ubf-tick N" on @vm's console (0 if none). */
static int last_tick(UbfVm *vm)
{
    g_autofree char *console = ubf_vm_console(vm);
    const char *p = g_strrstr(console, "ubf-tick ");

    return p ? atoi(p + strlen("ubf-tick ")) : 0;
}

/*
 * hv-balloon with Linux's hv_balloon: memory hot-added, then memory
 * ballooned.  Stock hv-balloon
 * (QEMU with only the Hyper-V-under-TCG series) cannot take that state:
 * refused, the source runs on unchanged.  Then to ours: the guest goes
 * on running (its console keeps ticking), the sizes are the same, and
 * on the destination the balloon gives back and hot-adds more.  The
 * mixed template (virtio-balloon next to hv-balloon, both drivers) also
 * migrates paused, hv-balloon half-way through a transaction, which the
 * destination finishes.
 */
static void test_hv_balloon(gconstpointer data)
{
    gboolean mixed = GPOINTER_TO_INT(data);
    const char *stock = mixed ? NULL : baseline("UBF_BASELINE_HV_QEMU");
    UbfVmConfig cfg = { .boot_mib = 1024, .maxmem_mib = UBF_VM_HV_MAXMEM_MIB,
                        .virtio_balloon = mixed, .extra = hv_extra,
                        .modules = mixed ? "hv_vmbus,hv_balloon,"
                                           "virtio_balloon"
                                         : "hv_vmbus,hv_balloon",
                        .boot_timeout_ms = TIMEOUT_MS, .ticker = TRUE };
    g_autoptr(UbfVm) src = NULL;
    g_autoptr(UbfVm) refused = NULL;
    g_autoptr(UbfVm) dst = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *before = NULL, *after = NULL, *uri = NULL;
    g_autoptr(JsonNode) status = NULL;
    gint64 boot, deadline;
    int tick;

    if (!mixed && !stock) {
        return;
    }
    hv_extra[1] = ubf_vm_hv_cpu();
    src = start(&cfg);
    boot = guest_memtotal(src);
    wait_hv_ready(src);
    balloon(src, 1536 * MIB);
    wait_memtotal(src, boot + 512 * KIB_PER_MIB);
    balloon(src, 1024 * MIB);
    wait_memtotal(src, boot);

    if (stock) {
        before = frontend_view(src);
        refused = start_destination(&cfg, stock);
        uri = g_strdup_printf("unix:%s/migrate.sock", ubf_vm_dir(refused));
        g_assert_true(ubf_vm_migrate_start(src, refused, uri, &err));
        g_assert_false(ubf_vm_migrate_finish(src, refused, TIMEOUT_MS,
                                             &err));
        g_test_message("refused: %s", err->message);
        g_clear_error(&err);
        after = frontend_view(src);
        g_assert_cmpstr(after, ==, before);
        g_assert_cmpint(guest_memtotal(src), ==, boot);
        status = qmp(src, "query-status", NULL);
        g_assert_cmpstr(json_object_get_string_member(
                            json_node_get_object(status), "status"), ==,
                        "running");
    }

    if (mixed) {
        /*
         * hv-balloon half-way through a transaction: on a paused VM the
         * request is sent (hv-balloon gives back the 512 MiB it holds
         * at once, and posts the hot-add of 512 MiB more) but the guest
         * cannot answer; migrated so, the guest's answer arrives on the
         * destination, which finishes the request, once.
         */
        g_autoptr(JsonNode) ret = qmp(src, "stop", NULL);
        g_autoptr(JsonNode) req = qmp(src, "balloon",
                                      "{\"value\": 2147483648}");
        g_autoptr(JsonObject) done = NULL;
        g_autoptr(GPtrArray) events = NULL;

        dst = start_destination(&cfg, NULL);
        migrate(src, dst);
        events = ubf_qmp_take_events(ubf_vm_qmp(src), "MEMORY_RESIZE_DONE");
        g_assert_cmpuint(events->len, ==, 0);
        done = ubf_qmp_wait_event(ubf_vm_qmp(dst), "MEMORY_RESIZE_DONE",
                                  ubf_vm_any_done, NULL, TIMEOUT_MS, &err);
        g_assert_no_error(err);
        g_assert_cmpstr(json_object_get_string_member(
                            json_object_get_object_member(done, "data"),
                            "reason"), ==, "reached");
        wait_memtotal(dst, boot + 1024 * KIB_PER_MIB);
        g_clear_pointer(&events, g_ptr_array_unref);
        events = ubf_qmp_take_events(ubf_vm_qmp(dst), "MEMORY_RESIZE_DONE");
        g_assert_cmpuint(events->len, ==, 0);
        g_clear_pointer(&src, ubf_vm_free);
        src = g_steal_pointer(&dst);
    }

    dst = migrate_same(src, &cfg);
    /* The guest runs: its console goes on from where it was. */
    tick = last_tick(src);
    deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (last_tick(dst) <= tick + 2) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(200 * 1000);
    }
    g_test_message("console ticks on the destination: %d -> %d", tick,
                   last_tick(dst));

    balloon(dst, 2 * GIB);
    wait_memtotal(dst, boot + 1024 * KIB_PER_MIB);
    /*
     * Linux's hv_balloon takes pages for the balloon from the zones
     * kernel allocations use, not from movable hot-added memory: a
     * shrink must leave the guest enough of its boot memory.
     */
    balloon(dst, 1536 * MIB);
    wait_memtotal(dst, boot + 512 * KIB_PER_MIB);
}

/*
 * Under TCG, each sync of a RAM block's dirty bits for migration resets
 * the dirty state of the TLB entries mapping it, so that the guest's
 * next write to a page sets the page's bit again.  With NUMA memdevs
 * the nodes' memory are blocks of their own, and here node 1's (768 MiB)
 * is larger than node 0's, the block at ram_addr 0: QEMU reset the TLB
 * of node 0's range instead and, the range being larger than node 0,
 * aborted (tlb_reset_dirty_range_all's assertion; fixed by the first
 * patch of hv-balloon-hardening).  The guest writes memory all through
 * the migration; on the destination its workload goes on and ends.
 */
static void test_numa_dirty(void)
{
    static const guint64 node_mib[] = { 256, 768 };
    UbfVmConfig cfg = { .boot_mib = 1024, .nodes = 2, .node_mib = node_mib,
                        .virtio_balloon = TRUE,
                        .modules = "virtio_balloon" };
    g_autoptr(UbfVm) src = start(&cfg);
    g_autoptr(UbfVm) dst = NULL;
    g_autoptr(JsonObject) ret = NULL;
    g_autoptr(GError) err = NULL;
    gint64 deadline;

    ret = ubf_agent_command(ubf_vm_agent(src), "workload 32 512 5", 10000,
                            &err);
    g_assert_no_error(err);
    dst = start_destination(&cfg, NULL);
    migrate(src, dst);
    deadline = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;
    for (;;) {
        g_autoptr(JsonObject) st = ubf_agent_command(ubf_vm_agent(dst),
                                                     "workload-status",
                                                     10000, &err);

        g_assert_no_error(err);
        if (!json_object_get_boolean_member(st, "running")) {
            g_test_message("workload on the destination: %s",
                           json_object_get_string_member(st, "result"));
            g_assert_cmpstr(json_object_get_string_member(st, "result"), ==,
                            "done");
            break;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(500 * 1000);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/migration/virtio-balloon", test_virtio_balloon);
    g_test_add_func("/migration/virtio-mem", test_virtio_mem);
    g_test_add_func("/migration/in-flight", test_in_flight);
    g_test_add_data_func("/migration/mid-shrink/unplugging",
                         GINT_TO_POINTER(256), test_mid_shrink);
    g_test_add_data_func("/migration/mid-shrink/inflating",
                         GINT_TO_POINTER(2176), test_mid_shrink);
    g_test_add_func("/migration/auto-settings", test_auto_settings);
    g_test_add_func("/migration/file", test_file);
    g_test_add_func("/migration/numa-dirty", test_numa_dirty);
    g_test_add_func("/migration/stock", test_stock);
    g_test_add_data_func("/migration/hv-balloon", GINT_TO_POINTER(FALSE),
                         test_hv_balloon);
    g_test_add_data_func("/migration/mixed-template", GINT_TO_POINTER(TRUE),
                         test_hv_balloon);
    return g_test_run();
}
