/*
 * What the hostile-guest qtests share (see hostile-qtest.h).
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "hostile-qtest.h"

void hostile_vm_start(HostileVM *vm, const char *args)
{
    QPCIAddress addr = { .devfn = HOSTILE_DEVFN };
    int fd;

    memset(vm, 0, sizeof(*vm));
    fd = g_file_open_tmp("ubf-hostile-XXXXXX.log", &vm->log_path, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    /* libqtest runs QEMU through the shell: keep its stderr in a file. */
    vm->qts = qtest_initf("-M q35 -nodefaults %s 2>%s", args, vm->log_path);
    pc_alloc_init(&vm->alloc, vm->qts, 0);
    vm->bus = qpci_new_pc(vm->qts, &vm->alloc);
    vm->dev = virtio_pci_new(vm->bus, &addr);
    g_assert_nonnull(vm->dev);
    qvirtio_pci_device_enable(vm->dev);
    vm->rss_start_kib = hostile_vm_rss_kib(vm);
}

void hostile_vm_stop(HostileVM *vm)
{
    qos_object_destroy(&vm->dev->obj);
    qpci_free_pc(vm->bus);
    alloc_destroy(&vm->alloc);
    qtest_quit(vm->qts);
    unlink(vm->log_path);
    g_free(vm->log_path);
}

int64_t hostile_vm_rss_kib(HostileVM *vm)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status",
                                            (int)qtest_pid(vm->qts));
    g_autofree char *status = NULL;
    const char *line;

    g_assert(g_file_get_contents(path, &status, NULL, NULL));
    line = strstr(status, "\nVmRSS:");
    g_assert_nonnull(line);
    return g_ascii_strtoll(line + strlen("\nVmRSS:"), NULL, 10);
}

unsigned int hostile_vm_log_count(HostileVM *vm, const char *needle)
{
    g_autofree char *log = NULL;
    g_auto(GStrv) lines = NULL;
    unsigned int n = 0;
    size_t i;

    g_assert(g_file_get_contents(vm->log_path, &log, NULL, NULL));
    lines = g_strsplit(log, "\n", -1);
    for (i = 0; lines[i]; i++) {
        n += lines[i][0] && (!needle || strstr(lines[i], needle));
    }
    return n;
}

void hostile_vm_assert_bounded(HostileVM *vm, int64_t max_growth_kib,
                               unsigned int max_lines)
{
    QDict *rsp = qtest_qmp(vm->qts, "{ 'execute': 'query-status' }");
    unsigned int lines = hostile_vm_log_count(vm, NULL);

    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    if (g_strcmp0(g_getenv("UBF_SANITIZE"), "1") == 0) {
        /*
         * ASan's quarantine holds freed memory: RSS says nothing then.
         * (Not ASAN_OPTIONS: meson sets it for every test.)
         */
        g_test_message("RSS grew by %" PRId64 " KiB (sanitizer build, "
                       "not checked)",
                       hostile_vm_rss_kib(vm) - vm->rss_start_kib);
    } else {
        g_assert_cmpint(hostile_vm_rss_kib(vm) - vm->rss_start_kib, <,
                        max_growth_kib);
    }
    if (lines > max_lines) {
        g_autofree char *log = NULL;

        g_file_get_contents(vm->log_path, &log, NULL, NULL);
        g_test_message("QEMU logged: %s", log);
    }
    g_assert_cmpuint(lines, <=, max_lines);
}

void hostile_vm_config_writel(HostileVM *vm, uint64_t off, uint32_t val)
{
    qpci_io_writel(vm->dev->pdev, vm->dev->bar,
                   vm->dev->device_cfg_offset + off, val);
}

QDict *hostile_vm_query_resize(HostileVM *vm)
{
    return qtest_qmp_assert_success_ref(vm->qts,
                                        "{ 'execute': 'query-memory-resize' }");
}

int64_t hostile_vm_resize_actual(HostileVM *vm)
{
    QDict *info = hostile_vm_query_resize(vm);
    int64_t actual = qdict_get_int(info, "actual");

    qobject_unref(info);
    return actual;
}

int64_t hostile_vm_query_balloon(HostileVM *vm)
{
    QDict *info = qtest_qmp_assert_success_ref(vm->qts,
                                               "{ 'execute': 'query-balloon' }");
    int64_t actual = qdict_get_int(info, "actual");

    qobject_unref(info);
    return actual;
}

unsigned int hostile_vm_count_events(HostileVM *vm, const char *event)
{
    unsigned int n = 0;
    QDict *ev;

    /* Events come in with the answers: ask something to collect them. */
    qobject_unref(qtest_qmp(vm->qts, "{ 'execute': 'query-status' }"));
    while ((ev = qtest_qmp_event_ref(vm->qts, event))) {
        qobject_unref(ev);
        n++;
    }
    return n;
}

void hostile_vm_step_ms(HostileVM *vm, int64_t ms)
{
    qtest_clock_step(vm->qts, ms * 1000 * 1000);
}

bool hostile_vm_submit(HostileVM *vm, QVirtQueue *vq, uint64_t out,
                       uint32_t out_len, uint64_t in, uint32_t in_len)
{
    return hostile_vm_submit_to(vm, &vm->dev->vdev, vq, out, out_len, in,
                                in_len);
}

bool hostile_vm_submit_to(HostileVM *vm, QVirtioDevice *vdev,
                          QVirtQueue *vq, uint64_t out, uint32_t out_len,
                          uint64_t in, uint32_t in_len)
{
    gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC;
    uint32_t head, got;

    /* Requests complete one by one: the descriptors are free again. */
    qvirtqueue_reset_pool(vq);
    head = qvirtqueue_add(vm->qts, vq, out, out_len, false, in_len != 0);
    if (in_len) {
        qvirtqueue_add(vm->qts, vq, in, in_len, true, false);
    }
    qvirtqueue_kick(vm->qts, vdev, vq, head);
    while (g_get_monotonic_time() < deadline) {
        if (qvirtqueue_get_buf(vm->qts, vq, &got, NULL)) {
            g_assert_cmpuint(got, ==, head);
            return true;
        }
        g_usleep(1000);
    }
    return false;
}
