/*
 * Unified balloon frontend: automatic sizing, around auto-size.c
 *
 * Once a second (on the virtual clock: not while the VM is stopped) the
 * guest's own report of its memory use is read from the backends, fed
 * to the decision (auto-size.c), and a size it returns is requested
 * from the engine as any resize request is.  The settings are the
 * balloon-frontend object's auto-* properties, put in force by
 * frontend-settings.c; memory-resize-auto changes them, a manual
 * request turns them off (frontend-object.c).
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "hw/qdev-core.h"
#include "qemu/module.h"
#include "qapi/qapi-types-memory-resize.h"
#include "balloon-frontend.h"
#include "balloon-frontend-internal.h"
#include "frontend-auto.h"
#include "auto-size.h"
#include "trace.h"

/* How often the guest's report is read, and the guest asked for one. */
#define FRONTEND_AUTO_PERIOD_MS 1000

/* A failed request is reported at most this often. */
#define FRONTEND_AUTO_WARN_MS (60 * 1000)

typedef struct FrontendAuto {
    AutoSize as;
    QEMUTimer *timer;
    BalloonFrontendSettings settings;   /* the ones in force */
    /*
     * Memory the guest does not count as its own (size - its total: the
     * kernel's reservations), from the last sample where neither moved;
     * -1 unknown.
     */
    int64_t reserved;
    int64_t last_size, last_total;
    int64_t last_warn_ms;
} FrontendAuto;

static FrontendAuto *frontend_auto_get(void);

QEMU_BUILD_BUG_ON((int)AUTO_SIZE_REASON__MAX !=
                  (int)MEMORY_RESIZE_AUTO_REASON__MAX);

/*
 * The limits in force: the settings', within what the backends reach;
 * with @ceiling, lowered to a host's ceiling (never below the minimum).
 */
static void frontend_auto_config(FrontendAuto *fa, AutoSizeConfig *cfg,
                                 bool ceiling)
{
    ResizeEngine *re = balloon_frontend_get_engine();
    int64_t lo, hi;

    resize_engine_limits_within(re, fa->settings.auto_node_maximum, &lo, &hi);
    cfg->enabled = fa->settings.auto_enabled;
    cfg->minimum = MAX(fa->settings.auto_minimum, lo);
    cfg->maximum = fa->settings.auto_maximum ?
                   MIN(fa->settings.auto_maximum, hi) : hi;
    if (ceiling && fa->settings.auto_ceiling) {
        /* a host's share: never below the minimum */
        cfg->maximum = MAX(MIN(cfg->maximum, fa->settings.auto_ceiling),
                           fa->settings.auto_minimum);
    }
    cfg->minimum = MIN(cfg->minimum, cfg->maximum);
    cfg->buffer_pct = fa->settings.auto_buffer;
    cfg->weight = fa->settings.auto_weight;
}

/*
 * The guest's demand from the freshest report a connected driver gave
 * in the last AUTO_SIZE_STALE_MS: its size minus what it says is
 * available.  With a total in the report, it is what the guest uses
 * (total - available) plus what it never counts (the reservations, as
 * last seen with size and total still), so that memory just given, not
 * online in the guest yet, is not taken for demand.  Guest-reported, so
 * clamped to [0, size].
 */
static void frontend_auto_sample(FrontendAuto *fa, AutoSizeSample *s)
{
    ResizeEngine *re = balloon_frontend_get_engine();
    ResizeSlot *slot;
    int64_t best_age = -1;
    int64_t total;

    s->now_ms = balloon_frontend_clock_ms();
    s->size = resize_engine_actual(re);
    s->demand = -1;
    s->pressure = -1;
    RESIZE_ENGINE_FOREACH(re, slot) {
        BalloonBackend *bb = resize_engine_slot_backend(slot);
        BalloonBackendReport r;
        BalloonBackendInfo info;

        balloon_backend_get_info(bb, &info);
        if (!info.driver_connected ||
            !balloon_backend_get_report(bb, &r) ||
            r.age_ms < 0 || r.age_ms > AUTO_SIZE_STALE_MS ||
            (best_age >= 0 && r.age_ms >= best_age)) {
            continue;
        }
        best_age = r.age_ms;
        if (!r.total) {
            s->demand = s->size - (int64_t)MIN(r.available,
                                               (uint64_t)s->size);
        } else {
            total = MIN(r.total, (uint64_t)s->size);
            if (s->size == fa->last_size && total == fa->last_total) {
                fa->reserved = s->size - total;
            }
            fa->last_size = s->size;
            fa->last_total = total;
            s->demand = total - (int64_t)MIN(r.available, (uint64_t)total) +
                        (fa->reserved >= 0 ? fa->reserved : s->size - total);
            s->demand = MIN(s->demand, s->size);
        }
        s->pressure = r.pressure;
    }
}

static void frontend_auto_tick(void *opaque)
{
    FrontendAuto *fa = opaque;
    AutoSizeSample s;
    AutoSizeReason old = fa->as.reason;
    int64_t target;
    Error *err = NULL;

    frontend_auto_config(fa, &fa->as.cfg, true);
    frontend_auto_sample(fa, &s);
    if (auto_size_update(&fa->as, &s, &target)) {
        trace_frontend_auto_resize(auto_size_reason_name(fa->as.reason),
                                   s.size, s.demand, target);
        if (!resize_engine_request_within(balloon_frontend_get_engine(),
                                          target,
                                          fa->settings.auto_node_maximum,
                                          "auto", s.now_ms, &err)) {
            /* e.g. a floor set meanwhile: decide afresh next time */
            auto_size_forget(&fa->as);
            if (s.now_ms - fa->last_warn_ms >= FRONTEND_AUTO_WARN_MS) {
                fa->last_warn_ms = s.now_ms;
                warn_report_err(err);
            } else {
                error_free(err);
            }
        }
        balloon_frontend_poke();
    } else if (fa->as.reason != old) {
        trace_frontend_auto_hold(auto_size_reason_name(fa->as.reason),
                                 s.size, s.demand, fa->as.desired);
    }
    timer_mod(fa->timer, s.now_ms + FRONTEND_AUTO_PERIOD_MS);
}

static void frontend_auto_report_interval(int64_t interval_ms)
{
    ResizeEngine *re = balloon_frontend_get_engine();
    ResizeSlot *slot;

    RESIZE_ENGINE_FOREACH(re, slot) {
        balloon_backend_set_report_interval(resize_engine_slot_backend(slot),
                                            interval_ms);
    }
}

static FrontendAuto *frontend_auto_get(void)
{
    static FrontendAuto *fa;

    if (!fa) {
        fa = g_new0(FrontendAuto, 1);
        /* off until the settings say otherwise */
        fa->settings.auto_buffer = AUTO_SIZE_BUFFER_DEFAULT;
        fa->settings.auto_weight = AUTO_SIZE_WEIGHT_DEFAULT;
        fa->timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, frontend_auto_tick, fa);
        fa->reserved = -1;
        fa->last_warn_ms = INT64_MIN / 2;
        frontend_auto_config(fa, &fa->as.cfg, true);
        auto_size_init(&fa->as, &fa->as.cfg);
    }
    return fa;
}

void frontend_auto_apply(const BalloonFrontendSettings *s)
{
    FrontendAuto *fa = frontend_auto_get();
    bool was = fa->settings.auto_enabled;

    trace_balloon_frontend_setting("auto", s->auto_enabled);
    trace_balloon_frontend_setting("auto-minimum", s->auto_minimum);
    trace_balloon_frontend_setting("auto-maximum", s->auto_maximum);
    trace_balloon_frontend_setting("auto-ceiling", s->auto_ceiling);
    trace_balloon_frontend_setting("auto-node-maximum", s->auto_node_maximum);
    trace_balloon_frontend_setting("auto-buffer", s->auto_buffer);
    trace_balloon_frontend_setting("auto-weight", s->auto_weight);
    fa->settings = *s;
    frontend_auto_config(fa, &fa->as.cfg, true);
    auto_size_configure(&fa->as, &fa->as.cfg);
    if (s->auto_enabled && !was) {
        frontend_auto_report_interval(FRONTEND_AUTO_PERIOD_MS);
        timer_mod(fa->timer, balloon_frontend_clock_ms() +
                  FRONTEND_AUTO_PERIOD_MS);
    } else if (s->auto_enabled && phase_check(PHASE_MACHINE_READY)) {
        /* new limits (a host's ceiling) apply now, not in up to 1 s */
        timer_mod(fa->timer, balloon_frontend_clock_ms());
    } else if (!s->auto_enabled && was) {
        frontend_auto_report_interval(0);
        timer_del(fa->timer);
    }
}

/*
 * A backend came: it reports if automatic sizing is on.  The guest was
 * reset: decide afresh (a new boot may reserve otherwise).
 */
static void frontend_auto_event(Notifier *n, void *data)
{
    BalloonFrontendEvent *ev = data;
    FrontendAuto *fa = frontend_auto_get();

    switch (ev->type) {
    case BALLOON_FRONTEND_EVENT_BACKEND_ADDED:
        if (fa->settings.auto_enabled) {
            balloon_backend_set_report_interval(ev->bb,
                                                FRONTEND_AUTO_PERIOD_MS);
        }
        break;
    case BALLOON_FRONTEND_EVENT_GUEST_RESET:
        auto_size_forget(&fa->as);
        fa->reserved = -1;
        fa->last_size = fa->last_total = 0;
        break;
    default:
        break;
    }
}

static Notifier frontend_auto_listener = { .notify = frontend_auto_event };

static void frontend_auto_register(void)
{
    balloon_frontend_add_listener(&frontend_auto_listener);
}

type_init(frontend_auto_register)

MemoryResizeAutoInfo *frontend_auto_info(void)
{
    FrontendAuto *fa = frontend_auto_get();
    MemoryResizeAutoInfo *info = g_new0(MemoryResizeAutoInfo, 1);
    AutoSizeConfig cfg;

    /* the VM's own limits; the ceiling is reported apart */
    frontend_auto_config(fa, &cfg, false);
    info->enabled = cfg.enabled;
    info->minimum = cfg.minimum;
    info->maximum = cfg.maximum;
    info->buffer = cfg.buffer_pct;
    info->weight = cfg.weight;
    if (fa->settings.auto_ceiling) {
        info->has_ceiling = true;
        info->ceiling = fa->settings.auto_ceiling;
    }
    if (fa->settings.auto_node_maximum) {
        info->has_node_maximum = true;
        info->node_maximum = fa->settings.auto_node_maximum;
    }
    if (cfg.enabled && fa->as.demand >= 0 &&
        fa->as.reason != AUTO_SIZE_REASON_NO_REPORT) {
        info->has_demand = info->has_desired = true;
        info->demand = fa->as.demand;
        info->desired = fa->as.desired;
    }
    info->reason = cfg.enabled ? (MemoryResizeAutoReason)fa->as.reason
                               : MEMORY_RESIZE_AUTO_REASON_OFF;
    info->grows = fa->as.grows;
    info->shrinks = fa->as.shrinks;
    return info;
}
