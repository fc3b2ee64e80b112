/*
 * Unified balloon frontend: automatic sizing (see auto-size.h)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "auto-size.h"

static const char *const auto_size_reason_names[AUTO_SIZE_REASON__MAX] = {
    [AUTO_SIZE_REASON_OFF] = "off",
    [AUTO_SIZE_REASON_NO_REPORT] = "no-report",
    [AUTO_SIZE_REASON_STEADY] = "steady",
    [AUTO_SIZE_REASON_GROW] = "grow",
    [AUTO_SIZE_REASON_PRESSURE] = "pressure",
    [AUTO_SIZE_REASON_SURPLUS] = "surplus",
    [AUTO_SIZE_REASON_SHRINK] = "shrink",
    [AUTO_SIZE_REASON_MINIMUM] = "minimum",
    [AUTO_SIZE_REASON_MAXIMUM] = "maximum",
};

const char *auto_size_reason_name(AutoSizeReason reason)
{
    return reason < AUTO_SIZE_REASON__MAX ? auto_size_reason_names[reason]
                                          : "?";
}

static int64_t auto_size_clamp(const AutoSize *as, int64_t size)
{
    return MIN(MAX(size, as->cfg.minimum), as->cfg.maximum);
}

/* @pct percent of @size; @size within the limits, so no overflow. */
static int64_t auto_size_pct(int64_t size, int pct)
{
    return size / 100 * pct + size % 100 * pct / 100;
}

void auto_size_init(AutoSize *as, const AutoSizeConfig *cfg)
{
    memset(as, 0, sizeof(*as));
    as->cfg = *cfg;
    as->demand = -1;
    as->desired = -1;
    as->pressure = -1;
    as->last_shrink_ms = INT64_MIN / 2;
    auto_size_forget(as);
    as->reason = AUTO_SIZE_REASON_OFF;
}

void auto_size_configure(AutoSize *as, const AutoSizeConfig *cfg)
{
    as->cfg = *cfg;
    if (!cfg->enabled) {
        auto_size_forget(as);
        as->reason = AUTO_SIZE_REASON_OFF;
    } else if (as->reason == AUTO_SIZE_REASON_OFF) {
        as->reason = AUTO_SIZE_REASON_NO_REPORT;    /* until the first */
    }
}

void auto_size_forget(AutoSize *as)
{
    as->target = -1;
    as->surplus_since_ms = -1;
    as->shrinking = false;
    as->demand = -1;            /* no trend across the break */
}

/* Ask for @want if it differs from @current. */
static bool auto_size_set(AutoSize *as, int64_t current, int64_t want,
                          int64_t *target)
{
    if (want == current) {
        return false;
    }
    if (want > current) {
        as->grows++;
    } else {
        as->shrinks++;
    }
    as->target = want;
    *target = want;
    return true;
}

bool auto_size_update(AutoSize *as, const AutoSizeSample *s,
                      int64_t *target)
{
    int64_t current, demand, ahead, raw, desired, slack, step, want;
    bool pressure = false;

    if (!as->cfg.enabled) {
        as->reason = AUTO_SIZE_REASON_OFF;
        return false;
    }
    current = as->target >= 0 ? as->target : s->size;
    if (s->pressure >= 0) {
        pressure = as->pressure >= 0 && s->pressure > as->pressure;
        as->pressure = s->pressure;
    }

    if (current > as->cfg.maximum || current < as->cfg.minimum) {
        /* New limits, or a size set before automatic sizing: obey. */
        as->reason = current > as->cfg.maximum ? AUTO_SIZE_REASON_MAXIMUM
                                               : AUTO_SIZE_REASON_MINIMUM;
        as->surplus_since_ms = -1;
        return auto_size_set(as, current, auto_size_clamp(as, current),
                             target);
    }
    if (s->demand < 0) {
        /* Nothing to go by: keep the size; never shrink blind. */
        as->demand = -1;
        as->desired = -1;
        as->surplus_since_ms = -1;
        as->shrinking = false;
        as->reason = AUTO_SIZE_REASON_NO_REPORT;
        return false;
    }

    /* The guest's word, within what it could ever be given. */
    demand = MIN(s->demand, as->cfg.maximum);
    ahead = demand;
    if (as->demand >= 0 && demand - as->demand > AUTO_SIZE_TREND_MIN &&
        s->now_ms > as->demand_ms) {
        /* growing: where it will be by the time it is given memory */
        int64_t dt = s->now_ms - as->demand_ms;

        ahead += MIN((demand - as->demand) / dt * AUTO_SIZE_LOOKAHEAD_MS,
                     as->cfg.maximum);
    }
    as->demand = demand;
    as->demand_ms = s->now_ms;
    ahead = MIN(ahead, as->cfg.maximum);
    raw = ahead + auto_size_pct(ahead, as->cfg.buffer_pct);
    if (pressure) {
        /* It ran short between reports: grow past the estimate. */
        raw = MAX(raw, current + MAX(auto_size_pct(current,
                                                   MIN(as->cfg.buffer_pct,
                                                       50)),
                                     AUTO_SIZE_SHRINK_STEP_MIN));
    }
    raw = ROUND_UP(MIN(raw, as->cfg.maximum + AUTO_SIZE_ALIGN),
                   AUTO_SIZE_ALIGN);
    desired = auto_size_clamp(as, raw);
    as->desired = desired;

    if (desired > current) {
        as->surplus_since_ms = -1;
        as->shrinking = false;
        as->reason = pressure ? AUTO_SIZE_REASON_PRESSURE
                              : AUTO_SIZE_REASON_GROW;
        return auto_size_set(as, current, desired, target);
    }
    slack = MAX(auto_size_pct(current, AUTO_SIZE_HYSTERESIS_PCT),
                AUTO_SIZE_HYSTERESIS_MIN);
    /* A small surplus is noise; one being given back goes all the way. */
    if (as->shrinking ? desired >= current : desired >= current - slack) {
        as->surplus_since_ms = -1;
        as->shrinking = false;
        if (raw > as->cfg.maximum && current == as->cfg.maximum) {
            as->reason = AUTO_SIZE_REASON_MAXIMUM;
        } else if (desired == as->cfg.minimum &&
                   current == as->cfg.minimum) {
            as->reason = AUTO_SIZE_REASON_MINIMUM;
        } else {
            as->reason = AUTO_SIZE_REASON_STEADY;
        }
        return false;
    }

    /* A surplus: give it back once it lasted, a step at a time. */
    if (as->surplus_since_ms < 0) {
        as->surplus_since_ms = s->now_ms;
    }
    if (s->now_ms - as->surplus_since_ms < AUTO_SIZE_SHRINK_HOLD_MS ||
        s->now_ms - as->last_shrink_ms < AUTO_SIZE_SHRINK_EVERY_MS) {
        as->reason = AUTO_SIZE_REASON_SURPLUS;
        return false;
    }
    step = MAX(auto_size_pct(current, AUTO_SIZE_SHRINK_STEP_PCT),
               AUTO_SIZE_SHRINK_STEP_MIN);
    want = ROUND_UP(current - step, AUTO_SIZE_ALIGN);
    if (want < desired + slack) {
        want = desired;         /* the last step lands on it */
    }
    as->last_shrink_ms = s->now_ms;
    as->shrinking = true;
    as->reason = AUTO_SIZE_REASON_SHRINK;
    return auto_size_set(as, current, want, target);
}
