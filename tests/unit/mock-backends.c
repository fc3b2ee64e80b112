/*
 * Mock resize backends for the frontend's unit tests (mock-backends.h)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "mock-backends.h"

GString *mock_events;
char *mock_stop_error;
int64_t mock_now_ms;
int64_t mock_tick_no;

static void mock_get_info(BalloonBackend *bb, BalloonBackendInfo *info)
{
    *info = container_of(bb, Mock, bb)->info;
}

static bool mock_set_target(BalloonBackend *bb, int64_t size, Error **errp)
{
    Mock *m = container_of(bb, Mock, bb);

    if (m->refuse && m->set_calls >= m->accept_calls) {
        error_setg(errp, "%s refuses", bb->id);
        return false;
    }
    g_assert_cmpint(size, >=, m->info.min_size);
    g_assert_cmpint(size, <=, m->info.max_size);
    g_assert_cmpint(size % (int64_t)m->info.granularity, ==, 0);
    m->target = size;
    m->set_calls++;
    m->set_at_tick = mock_tick_no;
    g_string_append_printf(mock_events, "set:%s:%" PRId64 " ", bb->id,
                           size / (int64_t)MiB);
    return true;
}

static const BalloonBackendClass mock_classes[] = {
    [MOCK_VIRTIO_BALLOON] = {
        .type = "virtio-balloon", .role = BALLOON_BACKEND_ROLE_BALLOON,
        .get_info = mock_get_info, .set_target = mock_set_target },
    [MOCK_VIRTIO_MEM] = {
        .type = "virtio-mem", .role = BALLOON_BACKEND_ROLE_PLUG,
        .get_info = mock_get_info, .set_target = mock_set_target },
    [MOCK_HV_BALLOON] = {
        .type = "hv-balloon", .role = BALLOON_BACKEND_ROLE_BALLOON,
        .get_info = mock_get_info, .set_target = mock_set_target },
};

void mock_init(Mock *m, MockKind kind, const char *id,
               int64_t min, int64_t max, uint64_t gran)
{
    memset(m, 0, sizeof(*m));
    m->bb.klass = &mock_classes[kind];
    m->bb.id = (char *)id;
    m->info.driver_connected = true;
    m->info.node = -1;
    m->info.min_size = min;
    m->info.max_size = max;
    m->info.granularity = gran;
    m->rate = 256 * MiB;
    m->stuck_lo = INT64_MIN;
    m->stuck_hi = INT64_MAX;
}

void mock_virtio_balloon(Mock *m, const char *id)
{
    mock_init(m, MOCK_VIRTIO_BALLOON, id,
              -(BASE - 4 * KiB), 0, 4 * KiB);
}

void mock_virtio_mem(Mock *m, const char *id, int64_t max)
{
    mock_init(m, MOCK_VIRTIO_MEM, id, 0, max, BLOCK);
}

void mock_hv_balloon(Mock *m, const char *id, int64_t memdev)
{
    mock_init(m, MOCK_HV_BALLOON, id, -(BASE - 4 * KiB),
              memdev, 4 * KiB);
    m->hotadd_align = 128 * MiB;
}

void mock_step(Mock *m)
{
    int64_t diff = m->target - m->info.size;
    int64_t step;

    if (!m->info.driver_connected || diff == 0 || m->rate == 0) {
        return;
    }
    step = MIN(ABS(diff), m->rate);
    if (m->hotadd_align && diff > 0 && m->info.size >= 0) {
        /* hv-balloon hot-adds whole aligned chunks, never past target */
        int64_t chunk = QEMU_ALIGN_DOWN(step, m->hotadd_align);

        step = chunk ? chunk : step;
    }
    /* A guest that cannot go past stuck_lo/stuck_hi stops there. */
    if (diff > 0) {
        m->info.size = MIN(m->info.size + step,
                           MAX(m->stuck_hi, m->info.size));
    } else {
        m->info.size = MAX(m->info.size - step,
                           MIN(m->stuck_lo, m->info.size));
    }
}

static void mock_on_stopped(ResizeEngine *re, ResizeStopReason why,
                            int64_t target, int64_t actual)
{
    g_string_append_printf(mock_events, "stop:%s ",
                           resize_engine_stop_reason_str(why));
    g_free(mock_stop_error);
    mock_stop_error = why == RESIZE_STOP_FAILED ? g_strdup(re->error) : NULL;
}

static void mock_on_state(ResizeEngine *re, ResizeState old, ResizeState state)
{
    g_string_append_printf(mock_events, "state:%s ",
                           resize_engine_state_str(state));
}

const ResizeEngineOps mock_engine_ops = {
    .state_changed = mock_on_state,
    .stopped = mock_on_stopped,
};

void mock_setup(ResizeEngine *re)
{
    if (mock_events) {
        g_string_free(mock_events, TRUE);
    }
    mock_events = g_string_new(NULL);
    g_clear_pointer(&mock_stop_error, g_free);
    mock_now_ms = 0;
    mock_tick_no = 0;
    resize_engine_init(re, &mock_engine_ops, NULL, BASE);
}

void mock_run(ResizeEngine *re, Mock **mocks, int n, int max_ticks)
{
    int i, t;

    for (t = 0; t < max_ticks && resize_engine_busy(re); t++) {
        for (i = 0; i < n; i++) {
            mock_step(mocks[i]);
        }
        mock_now_ms += TICK_MS;
        mock_tick_no++;
        resize_engine_tick(re, mock_now_ms);
    }
}

