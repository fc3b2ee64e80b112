/*
 * Unified balloon frontend: automatic sizing, the decision of which size
 *
 * A pure state machine, no QOM and no guest: the frontend feeds it one
 * sample a second (the guest size and what the guest said it uses) and
 * asks the planner for the size it returns.  Time is a parameter, so
 * that the unit tests drive it with a mock clock.
 *
 * The rule, in Hyper-V Dynamic Memory's terms: the guest should have its
 * demand plus a buffer (a percentage of the demand) free, within
 * [minimum, maximum].  A shortage is met at once; a surplus beyond the
 * hysteresis band is given back only once it lasted
 * AUTO_SIZE_SHRINK_HOLD_MS, by at most AUTO_SIZE_SHRINK_STEP_PCT percent
 * of the size every AUTO_SIZE_SHRINK_EVERY_MS, all the way down to the
 * demand plus the buffer.  While the demand grows, the estimate looks
 * AUTO_SIZE_LOOKAHEAD_MS ahead at the rate it grew.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_AUTO_SIZE_H
#define UBF_AUTO_SIZE_H

/* Sizes are rounded up to this: no request for a few pages' change. */
#define AUTO_SIZE_ALIGN (4 * 1024 * 1024LL)
/* The buffer's range and default, as Hyper-V's (percent of demand). */
#define AUTO_SIZE_BUFFER_MIN 5
#define AUTO_SIZE_BUFFER_MAX 2000
#define AUTO_SIZE_BUFFER_DEFAULT 20
/* The weight's range and default, as Hyper-V's memory weight. */
#define AUTO_SIZE_WEIGHT_MIN 1
#define AUTO_SIZE_WEIGHT_MAX 10000
#define AUTO_SIZE_WEIGHT_DEFAULT 5000
/* A surplus smaller than this (percent of the size) is left alone. */
#define AUTO_SIZE_HYSTERESIS_PCT 5
#define AUTO_SIZE_HYSTERESIS_MIN (64 * 1024 * 1024LL)
/* Shrinking: after this long a surplus, steps of this much this often. */
#define AUTO_SIZE_SHRINK_HOLD_MS (10 * 1000)
#define AUTO_SIZE_SHRINK_STEP_PCT 10
#define AUTO_SIZE_SHRINK_STEP_MIN (64 * 1024 * 1024LL)
#define AUTO_SIZE_SHRINK_EVERY_MS (2 * 1000)
/*
 * Growing, the demand is taken this far ahead at the rate it grew since
 * the last sample: a report is up to a second old when it is read, and
 * the guest takes a moment to use what it is given.
 */
#define AUTO_SIZE_LOOKAHEAD_MS (2 * 1000)
/* ...when it grew by more than this since the last sample (not noise). */
#define AUTO_SIZE_TREND_MIN (32 * 1024 * 1024LL)
/* A report older than this is no report: hold, never shrink on it. */
#define AUTO_SIZE_STALE_MS (5 * 1000)

typedef struct AutoSizeConfig {
    bool enabled;
    int64_t minimum;        /* bytes */
    int64_t maximum;        /* bytes */
    int buffer_pct;         /* free memory kept, percent of demand */
    int weight;             /* for host-level arbitration (1-10000) */
} AutoSizeConfig;

/* One sample: what the frontend knows now. */
typedef struct AutoSizeSample {
    int64_t now_ms;
    int64_t size;           /* the guest size (the frontend's 'actual') */
    /*
     * Bytes the guest needs: its size minus what it reports available;
     * -1 if no guest driver reported (or the report is stale).
     */
    int64_t demand;
    /*
     * Cumulative count of the guest's signs of shortage (OOM kills,
     * allocation stalls), if it reports them; -1 if not.
     */
    int64_t pressure;
} AutoSizeSample;

/* Why the last decision was what it was (MemoryResizeAutoReason). */
typedef enum AutoSizeReason {
    AUTO_SIZE_REASON_OFF,           /* automatic sizing is off */
    AUTO_SIZE_REASON_NO_REPORT,     /* no (fresh) report from the guest */
    AUTO_SIZE_REASON_STEADY,        /* the size fits the demand */
    AUTO_SIZE_REASON_GROW,          /* demand + buffer above the size */
    AUTO_SIZE_REASON_PRESSURE,      /* the guest showed signs of shortage */
    AUTO_SIZE_REASON_SURPLUS,       /* a surplus, not lasted long enough */
    AUTO_SIZE_REASON_SHRINK,        /* a lasting surplus: give it back */
    AUTO_SIZE_REASON_MINIMUM,       /* held at the minimum */
    AUTO_SIZE_REASON_MAXIMUM,       /* held at the maximum */
    AUTO_SIZE_REASON__MAX,
} AutoSizeReason;

typedef struct AutoSize {
    AutoSizeConfig cfg;
    int64_t demand;             /* last demand seen, -1 if none */
    int64_t demand_ms;          /* when */
    int64_t desired;            /* demand + buffer, within the limits */
    int64_t target;             /* the last size asked for, -1 if none */
    AutoSizeReason reason;
    int64_t surplus_since_ms;   /* -1 while there is none */
    bool shrinking;             /* giving a surplus back, step by step */
    int64_t last_shrink_ms;
    int64_t pressure;           /* last pressure count, -1 if unknown */
    uint64_t grows;             /* decisions made, for the statistics */
    uint64_t shrinks;
} AutoSize;

/* Start with @cfg (checked by the caller), nothing decided yet. */
void auto_size_init(AutoSize *as, const AutoSizeConfig *cfg);

/*
 * Take new settings; the next update applies them (a size now outside
 * [minimum, maximum] is moved inside at once).
 */
void auto_size_configure(AutoSize *as, const AutoSizeConfig *cfg);

/*
 * Forget what was decided (the target was set by someone else, the
 * guest was reset): the next update decides afresh from the size.
 */
void auto_size_forget(AutoSize *as);

/*
 * Feed @s.  Returns true and sets *@target when the guest should be
 * resized to *@target bytes; false when the size is to stay.
 */
bool auto_size_update(AutoSize *as, const AutoSizeSample *s,
                      int64_t *target);

/* A name for @reason, for trace events. */
const char *auto_size_reason_name(AutoSizeReason reason);

#endif
