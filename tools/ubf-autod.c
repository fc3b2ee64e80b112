/*
 * ubf-autod: host-level arbitration of automatic sizing
 *
 *   ubf-autod [-c URI]... [--qmp [NAME=]PATH]... [--config FILE]
 *             [--budget SIZE] [--reserve SIZE] [--interval MS]
 *             [--psi-threshold PCT] [--state FILE] [--count N]
 *
 * Every --interval (default 1000 ms) it reads each VM's automatic sizing
 * (query-memory-resize: demand, minimum, maximum, buffer, weight) and
 * what the host can give (/proc/meminfo's MemAvailable plus what the
 * VMs hold, minus --reserve; at most --budget; squeezed by 5 % of the
 * VMs' total while /proc/pressure/memory's "some avg10" is at or above
 * --psi-threshold).  When the VMs want more than that, it divides it
 * (lib/arbiter.h: minima, then demands, then buffers, by weight) and
 * sets each VM's ceiling (memory-resize-auto's ceiling) to its share,
 * so that the VMs never hold more than the supply; when they fit
 * again, the ceilings only keep the VMs within the supply, the slack
 * shared by weight as headroom.  VMs without automatic sizing count
 * with what they hold.  On SIGTERM or SIGINT it lifts every ceiling it
 * set and exits, within a second: a QMP socket that does not answer
 * costs a cycle at most AUTOD_QMP_CONNECT_MS + AUTOD_QMP_COMMAND_MS, and
 * is named once, when it stops answering, and again when it is back.
 * A call into libvirt has no such limit (see AUTOD_STOP_MS): if one
 * holds the loop, ubf-autod names it and exits without lifting.
 *
 * VMs are our QEMU's QMP sockets (--qmp) or every running domain of
 * each libvirt connection (-c, local or remote, like balloonctl).  Its
 * decisions go to standard error (the journal under systemd) when they
 * change, and each cycle's view to --state (JSON; balloonctl
 * auto-status shows it).
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "arbiter.h"
#include "size.h"
#include "version.h"
#include "vm-target.h"

#define AUTOD_DEFAULT_STATE "/run/ubf-autod/state.json"
#define AUTOD_SQUEEZE_PCT 5
/* A ceiling is moved only by at least this much (no churn). */
#define AUTOD_CEILING_STEP (16 * 1024 * 1024LL)
/*
 * A host that was short stays short until the VMs' wants fit with this
 * to spare: 5 % of the supply, at least 128 MiB (ubf_arbiter_divide()'s
 * hold).  Wants hovering about the supply otherwise flip it every cycle,
 * the slack handed out as headroom one cycle and taken back the next.
 */
#define AUTOD_HOLD_PCT 5
#define AUTOD_HOLD_MIN (128 * 1024 * 1024LL)

/*
 * A QMP socket that does not answer costs a cycle at most this much (to
 * connect, and then for each command), so that a cycle over VMs that
 * are away stays short and a signal is seen within a second.
 */
#define AUTOD_QMP_CONNECT_MS 250
#define AUTOD_QMP_COMMAND_MS 500

/*
 * libvirt's client sets no time limit on opening a connection (a
 * libvirtd that accepts and never answers holds virConnectOpen() for
 * good), and an open connection's calls end only when its keepalive
 * gives up (a probe every AUTOD_KEEPALIVE_S, three unanswered).
 * Signals are waited for on a thread of their own: it asks the loop to
 * stop (lifting the ceilings takes a QMP command or two per VM, each
 * bounded as above), and should one call hold the loop this long after
 * the signal, the thread names what the loop waits for and exits.
 */
#define AUTOD_STOP_MS 800
#define AUTOD_KEEPALIVE_S 2

typedef struct AutodVm {
    UbfVmTarget vm;
    gboolean unreachable;   /* said so (once, until it answers again) */
    gboolean managed;       /* automatic sizing on */
    gint64 ceiling;         /* in force, 0: none */
    gint64 buffer;
    gboolean seen;          /* answered this cycle */
    UbfArbiterTrend trend;  /* its growth, for its margin */
    UbfArbiterVm arb;
} AutodVm;

typedef struct Autod {
    char **uris;
    virConnectPtr *conns;   /* one per URI, kept; NULL while it is down */
    gboolean *down;         /* its failure was said (once, until back) */
    GPtrArray *vms;         /* AutodVm */
    gint64 budget;          /* 0: none */
    gint64 reserve;
    int interval_ms;
    double psi_threshold;
    char *state_path;
    gboolean state_failing;
    gboolean was_short;
    gint quit;              /* atomic: a signal came */
    GMutex busy_lock;
    const char *busy;       /* what the loop waits for, or NULL */
    gint64 busy_since;      /* since when (monotonic) */
    sigset_t signals;       /* SIGTERM and SIGINT, blocked everywhere */
} Autod;

/* The loop is about to wait for @what (a URI or a VM), or no more. */
static void autod_busy(Autod *a, const char *what)
{
    g_mutex_lock(&a->busy_lock);
    a->busy = what;
    a->busy_since = g_get_monotonic_time();
    g_mutex_unlock(&a->busy_lock);
}

static AutodVm *autod_vm_new(void)
{
    AutodVm *v = g_new0(AutodVm, 1);

    ubf_arbiter_trend_init(&v->trend);
    return v;
}

static void autod_vm_free(gpointer p)
{
    AutodVm *v = p;

    ubf_vm_target_clear(&v->vm);
    g_free(v);
}

static void autod_quiet(void *opaque, virErrorPtr err)
{
}

/* A /proc/meminfo value in bytes, -1 if absent. */
static gint64 autod_meminfo(const char *key)
{
    g_autofree char *text = NULL;
    g_autofree char *pat = g_strdup_printf("\n%s:", key);
    char *p;

    if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL)) {
        return -1;
    }
    p = strstr(text, pat);
    return p ? g_ascii_strtoll(p + strlen(pat), NULL, 10) * 1024 : -1;
}

/* /proc/pressure/memory's "some avg10", -1 if the kernel has no PSI. */
static double autod_psi(void)
{
    g_autofree char *text = NULL;
    char *p;

    if (!g_file_get_contents("/proc/pressure/memory", &text, NULL, NULL)) {
        return -1;
    }
    p = strstr(text, "some avg10=");
    return p ? g_ascii_strtod(p + 11, NULL) : -1;
}

/*
 * The connection to URI @u, kept from cycle to cycle (a remote URI opens
 * an ssh or TLS session): opened again only once it died.
 */
static virConnectPtr autod_connection(Autod *a, guint u)
{
    if (a->conns[u] && virConnectIsAlive(a->conns[u]) != 1) {
        virConnectClose(a->conns[u]);
        a->conns[u] = NULL;
    }
    if (!a->conns[u]) {
        autod_busy(a, a->uris[u]);
        a->conns[u] = virConnectOpen(a->uris[u]);
        if (a->conns[u] &&
            virConnectSetKeepAlive(a->conns[u], AUTOD_KEEPALIVE_S, 3) < 0) {
            g_warning("%s: no keepalive: %s", a->uris[u],
                      virGetLastErrorMessage());
        }
        if (!a->conns[u]) {
            if (!a->down[u]) {
                g_warning("%s: %s (retrying every cycle)", a->uris[u],
                          virGetLastErrorMessage());
                a->down[u] = TRUE;
            }
            return NULL;
        }
        if (a->down[u]) {
            g_message("%s: connected again", a->uris[u]);
            a->down[u] = FALSE;
        }
    }
    return a->conns[u];
}

/* Add the running domains of each -c URI not known yet. */
static void autod_discover(Autod *a)
{
    guint u;

    for (u = 0; a->uris && a->uris[u]; u++) {
        virConnectPtr conn = autod_connection(a, u);
        virDomainPtr *doms = NULL;
        int n, i;

        if (!conn) {
            continue;
        }
        autod_busy(a, a->uris[u]);
        n = virConnectListAllDomains(conn, &doms,
                                     VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        for (i = 0; i < n; i++) {
            unsigned char uuid[VIR_UUID_BUFLEN];
            gboolean known = FALSE;
            guint j;

            virDomainGetUUID(doms[i], uuid);
            for (j = 0; j < a->vms->len; j++) {
                AutodVm *v = a->vms->pdata[j];

                known |= v->vm.dom && !memcmp(v->vm.uuid, uuid, sizeof(uuid));
            }
            if (!known) {
                AutodVm *v = autod_vm_new();
                g_autoptr(GError) err = NULL;

                if (ubf_vm_target_init_domain(&v->vm, doms[i], &err)) {
                    g_ptr_array_add(a->vms, v);
                    continue;
                }
                g_warning("%s", err->message);
                v->vm.dom = NULL;       /* freed below, with the others */
                autod_vm_free(v);
            }
            virDomainFree(doms[i]);
        }
        free(doms);
    }
}

/* Read one VM's automatic sizing into v->arb; FALSE if it is gone. */
static gboolean autod_read(AutodVm *v)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_vm_target_execute(&v->vm,
                                                    "query-memory-resize",
                                                    NULL, &err);
    JsonObject *info, *au;
    gint64 demand;

    if (!ret) {
        if (!v->unreachable && !v->vm.dom) {
            g_warning("%s: cannot reach it: %s (trying again every cycle)",
                      v->vm.name, err->message);
            v->unreachable = TRUE;
        }
        return FALSE;
    }
    if (v->unreachable) {
        g_message("%s: reachable again", v->vm.name);
        v->unreachable = FALSE;
    }
    info = json_node_get_object(ret);
    /* absent without a balloon-frontend object */
    au = json_object_has_member(info, "automatic") ?
         json_object_get_object_member(info, "automatic") : NULL;
    v->arb.actual = json_object_get_int_member(info, "actual");
    v->managed = au && json_object_get_boolean_member(au, "enabled");
    if (!v->managed) {
        /* not ours to size: it holds what it has */
        v->arb.minimum = v->arb.maximum = v->arb.actual;
        v->arb.demand = v->arb.want = v->arb.actual;
        v->arb.margin = 0;
        v->arb.weight = 1;
        v->ceiling = 0;
        return TRUE;
    }
    v->arb.minimum = json_object_get_int_member(au, "minimum");
    v->arb.maximum = json_object_get_int_member(au, "maximum");
    v->arb.weight = json_object_get_int_member(au, "weight");
    v->buffer = json_object_get_int_member(au, "buffer");
    v->ceiling = json_object_get_int_member_with_default(au, "ceiling", 0);
    demand = json_object_get_int_member_with_default(au, "demand", -1);
    if (demand < 0) {
        v->arb.demand = v->arb.want = -1;
        v->arb.margin = 0;
        ubf_arbiter_margin(&v->trend, -1, 0);
        return TRUE;
    }
    {
        gint64 margin = ubf_arbiter_margin(&v->trend, demand,
                                           g_get_monotonic_time());

        /*
         * What it uses, what it may grow by before its next share
         * reaches it, and what it wants: both, plus its buffer.
         */
        v->arb.demand = demand;
        v->arb.margin = margin;
        v->arb.want = demand + margin + (demand + margin) / 100 * v->buffer;
    }
    return TRUE;
}

/*
 * Set @v's ceiling to @ceiling (0: none): always when it goes down, when
 * it goes up only by at least AUTOD_CEILING_STEP (no churn).
 */
static void autod_set_ceiling(AutodVm *v, gint64 ceiling)
{
    g_autoptr(JsonObject) args = json_object_new();
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(GError) err = NULL;

    if (!v->managed || ceiling == v->ceiling ||
        (ceiling > v->ceiling && v->ceiling &&
         ceiling - v->ceiling < AUTOD_CEILING_STEP)) {
        return;
    }
    json_object_set_int_member(args, "ceiling", ceiling);
    ret = ubf_vm_target_execute(&v->vm, "memory-resize-auto", args, &err);
    if (!ret) {
        g_warning("%s: ceiling not set: %s", v->vm.name, err->message);
        return;
    }
    if (ceiling) {
        g_debug("%s: ceiling %" G_GINT64_FORMAT " MiB (wants %"
                G_GINT64_FORMAT " MiB, uses %" G_GINT64_FORMAT
                " MiB + %" G_GINT64_FORMAT " MiB margin, weight %u)",
                v->vm.name, ceiling >> 20, v->arb.want >> 20,
                v->arb.demand >> 20, v->arb.margin >> 20, v->arb.weight);
    } else {
        g_debug("%s: ceiling lifted", v->vm.name);
    }
    v->ceiling = ceiling;
}

/*
 * Every VM's ceiling is its share, so the VMs never hold more than the
 * supply in all.  Lowered ceilings first; a VM above its new ceiling
 * still holds what it has until it shrank, so a ceiling is raised only
 * as far as what nobody holds (or may take) allows.
 */
static void autod_apply(Autod *a, gint64 supply)
{
    gint64 committed = 0;
    guint i;

    for (i = 0; i < a->vms->len; i++) {
        AutodVm *v = a->vms->pdata[i];

        if (v->seen && v->managed &&
            (!v->ceiling || v->arb.share < v->ceiling)) {
            autod_busy(a, v->vm.name);
            autod_set_ceiling(v, v->arb.share);
        }
    }
    for (i = 0; i < a->vms->len; i++) {
        AutodVm *v = a->vms->pdata[i];

        if (v->seen) {
            committed += v->managed && v->ceiling ?
                         MAX(v->arb.actual, v->ceiling) : v->arb.actual;
        }
    }
    for (i = 0; i < a->vms->len; i++) {
        AutodVm *v = a->vms->pdata[i];
        gint64 room, raise;

        if (!v->seen || !v->managed || v->arb.share <= v->ceiling) {
            continue;
        }
        room = supply - committed;
        raise = MIN(v->arb.share, v->ceiling + MAX(room, 0));
        raise = raise / UBF_ARBITER_ALIGN * UBF_ARBITER_ALIGN;
        if (raise > v->ceiling) {
            gint64 before = MAX(v->arb.actual, v->ceiling);

            autod_busy(a, v->vm.name);
            autod_set_ceiling(v, MAX(raise, v->arb.minimum));
            committed += MAX(v->arb.actual, v->ceiling) - before;
        }
    }
}

/* One member of the object @jb is building. */
static void autod_json_int(JsonBuilder *jb, const char *name, gint64 value)
{
    json_builder_set_member_name(jb, name);
    json_builder_add_int_value(jb, value);
}

static void autod_json_bool(JsonBuilder *jb, const char *name,
                            gboolean value)
{
    json_builder_set_member_name(jb, name);
    json_builder_add_boolean_value(jb, value);
}

static void autod_json_double(JsonBuilder *jb, const char *name,
                              double value)
{
    json_builder_set_member_name(jb, name);
    json_builder_add_double_value(jb, value);
}

static void autod_json_str(JsonBuilder *jb, const char *name,
                           const char *value)
{
    json_builder_set_member_name(jb, name);
    json_builder_add_string_value(jb, value);
}

static void autod_write_state(Autod *a, gint64 supply, gint64 avail,
                              double psi, gboolean short_host)
{
    g_autoptr(JsonBuilder) jb = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    guint i;

    json_builder_begin_object(jb);
    autod_json_int(jb, "time", g_get_real_time() / G_USEC_PER_SEC);
    autod_json_int(jb, "supply", supply);
    autod_json_int(jb, "budget", a->budget);
    autod_json_int(jb, "mem-available", avail);
    autod_json_double(jb, "psi-some-avg10", psi);
    autod_json_bool(jb, "short", short_host);
    json_builder_set_member_name(jb, "vms");
    json_builder_begin_array(jb);
    for (i = 0; i < a->vms->len; i++) {
        AutodVm *v = a->vms->pdata[i];

        json_builder_begin_object(jb);
        autod_json_str(jb, "name", v->vm.name);
        autod_json_bool(jb, "reachable", v->seen);
        autod_json_bool(jb, "managed", v->managed);
        autod_json_int(jb, "actual", v->arb.actual);
        autod_json_int(jb, "demand", v->arb.demand);
        autod_json_int(jb, "margin", v->arb.margin);
        autod_json_int(jb, "want", v->arb.want);
        autod_json_int(jb, "minimum", v->arb.minimum);
        autod_json_int(jb, "weight", v->arb.weight);
        autod_json_int(jb, "share", v->arb.share);
        autod_json_int(jb, "ceiling", v->ceiling);
        json_builder_end_object(jb);
    }
    json_builder_end_array(jb);
    json_builder_end_object(jb);
    root = json_builder_get_root(jb);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    /* Said once when writing starts failing, once when it works again. */
    if (!g_file_set_contents(a->state_path, text, -1, &err)) {
        if (!a->state_failing) {
            g_warning("state: %s (trying again every cycle)", err->message);
        }
        a->state_failing = TRUE;
    } else if (a->state_failing) {
        g_message("state: %s written again", a->state_path);
        a->state_failing = FALSE;
    }
}

static void autod_cycle(Autod *a)
{
    g_autofree UbfArbiterVm *arb = NULL;
    gint64 avail = autod_meminfo("MemAvailable");
    gint64 held = 0, supply;
    double psi = autod_psi();
    gboolean short_host;
    guint i, n = 0;

    autod_discover(a);
    for (i = 0; i < a->vms->len; i++) {
        AutodVm *v = a->vms->pdata[i];

        /* a VM away costs up to AUTOD_QMP_*_MS: see a signal meanwhile */
        g_main_context_iteration(NULL, FALSE);
        if (g_atomic_int_get(&a->quit)) {
            return;
        }
        autod_busy(a, v->vm.name);
        v->seen = autod_read(v);
        if (!v->seen && v->vm.dom) {
            /* the domain stopped (or libvirtd is away): forget it */
            g_message("%s: gone", v->vm.name);
            g_ptr_array_remove_index(a->vms, i--);
            continue;
        }
        held += v->seen ? v->arb.actual : 0;
    }

    /* What the host can give its VMs. */
    supply = avail >= 0 ? avail + held - a->reserve : held;
    if (a->psi_threshold > 0 && psi >= a->psi_threshold) {
        supply = MIN(supply, held - held / 100 * AUTOD_SQUEEZE_PCT);
    }
    if (a->budget) {
        supply = MIN(supply, a->budget);
    }

    arb = g_new0(UbfArbiterVm, a->vms->len);
    for (i = 0; i < a->vms->len; i++) {
        AutodVm *v = a->vms->pdata[i];

        if (v->seen) {
            arb[n++] = v->arb;
        }
    }
    short_host = ubf_arbiter_divide(arb, n, MAX(supply, 0),
                                    a->was_short ?
                                    MAX(AUTOD_HOLD_MIN,
                                        supply / 100 * AUTOD_HOLD_PCT) : 0);
    for (i = 0, n = 0; i < a->vms->len; i++) {
        AutodVm *v = a->vms->pdata[i];

        if (v->seen) {
            v->arb = arb[n++];
        }
    }
    autod_apply(a, supply);
    if (short_host != a->was_short) {
        g_message(short_host ? "host short: %" G_GINT64_FORMAT " MiB to give;"
                  " ceilings set by weight" : "host no longer short (%"
                  G_GINT64_FORMAT " MiB to give): ceilings lifted",
                  supply >> 20);
    }
    a->was_short = short_host;
    autod_busy(a, NULL);
    autod_write_state(a, supply, avail, psi, short_host);
}

/*
 * The signal thread: SIGTERM or SIGINT stops the loop, which lifts the
 * ceilings and exits; should one call hold it AUTOD_STOP_MS after the
 * signal, say what it waits for and exit from here.
 */
static gpointer autod_signals(gpointer opaque)
{
    Autod *a = opaque;
    gint64 sent, stuck = 0;
    const char *busy = NULL;
    int sig;

    if (sigwait(&a->signals, &sig)) {
        return NULL;
    }
    sent = g_get_monotonic_time();
    g_atomic_int_set(&a->quit, TRUE);
    g_main_context_wakeup(NULL);
    while (stuck < AUTOD_STOP_MS * 1000LL) {
        g_usleep(10 * 1000);
        g_mutex_lock(&a->busy_lock);
        busy = a->busy;
        stuck = g_get_monotonic_time() - MAX(sent, a->busy_since);
        g_mutex_unlock(&a->busy_lock);
    }
    g_printerr("ubf-autod: %s: no answer %d ms after %s; exiting, "
               "ceilings it set left in place\n", busy ? busy : "a VM",
               AUTOD_STOP_MS, sig == SIGTERM ? "SIGTERM" : "SIGINT");
    _exit(1);
}

/* libvirt's event loop, for its keepalive (never returns). */
static gpointer autod_libvirt_events(gpointer unused)
{
    while (virEventRunDefaultImpl() == 0) {
        /* nothing: libvirt's callbacks do the work */
    }
    return NULL;
}

/*
 * A setting comes from the command line ("--interval") or the config
 * file ("FILE: interval"); errors name it the way the user wrote it.
 */
typedef struct AutodSetting {
    const char *key;
    char *text;
    gboolean from_file;
} AutodSetting;

static char *autod_setting_name(const AutodSetting *s, const char *config)
{
    return s->from_file ? g_strdup_printf("%s: %s", config, s->key)
                        : g_strdup_printf("--%s", s->key);
}

static gboolean autod_parse_size(const AutodSetting *s, const char *config,
                                 gint64 *out)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *name = autod_setting_name(s, config);

    if (!s->text) {
        return TRUE;
    }
    if (!strcmp(s->text, "0")) {
        *out = 0;               /* no budget, no reserve */
        return TRUE;
    }
    if (strchr("+-", s->text[0]) || g_str_has_suffix(s->text, "%")) {
        fprintf(stderr, "ubf-autod: %s expects a size (bytes, or with a "
                "unit: 64G) or 0, not '%s'\n", name, s->text);
        return FALSE;
    }
    if (!ubf_size_parse(s->text, 0, out, &err)) {
        fprintf(stderr, "ubf-autod: %s: %s\n", name, err->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean autod_parse_number(const AutodSetting *s, const char *config,
                                   double min, double max, gboolean whole,
                                   const char *unit, double *out)
{
    g_autofree char *name = autod_setting_name(s, config);
    char *end;
    double v;

    if (!s->text) {
        return TRUE;
    }
    errno = 0;
    v = g_ascii_strtod(s->text, &end);
    if (!*s->text || *end || errno || !(v >= min && v <= max) ||
        (whole && v != (gint64)v)) {
        fprintf(stderr, "ubf-autod: %s expects %.15g to %.15g (%s), not '%s'\n",
                name, min, max, unit, s->text);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

/* Two VMs of one name, or a name left empty, cannot be told apart. */
static gboolean autod_check_names(char **qmp_paths)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal,
                                                       g_free, NULL);
    guint i;

    for (i = 0; qmp_paths && qmp_paths[i]; i++) {
        const char *eq = strchr(qmp_paths[i], '=');
        g_autofree char *name = NULL;

        if (eq == qmp_paths[i] || (eq && !eq[1]) || !*qmp_paths[i]) {
            fprintf(stderr, "ubf-autod: --qmp expects [NAME=]PATH, not "
                    "'%s'\n", qmp_paths[i]);
            return FALSE;
        }
        name = eq ? g_strndup(qmp_paths[i], eq - qmp_paths[i])
                  : g_path_get_basename(qmp_paths[i]);
        if (g_hash_table_contains(seen, name)) {
            fprintf(stderr, "ubf-autod: --qmp: two VMs named '%s' (name "
                    "them: NAME=PATH)\n", name);
            return FALSE;
        }
        g_hash_table_add(seen, g_steal_pointer(&name));
    }
    return TRUE;
}

/* The config file's [autod] group; options given on the command line win. */
static gboolean autod_load_config(const char *path, AutodSetting *settings,
                                  char **state, char ***uris)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) err = NULL;
    AutodSetting *s;

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        fprintf(stderr, "ubf-autod: %s: %s\n", path, err->message);
        return FALSE;
    }
    for (s = settings; s->key; s++) {
        if (!s->text) {
            s->text = g_key_file_get_string(kf, "autod", s->key, NULL);
            s->from_file = s->text != NULL;
        }
    }
    if (!*state) {
        *state = g_key_file_get_string(kf, "autod", "state", NULL);
    }
    if (!*uris) {
        *uris = g_key_file_get_string_list(kf, "autod", "connect", NULL,
                                           NULL);
    }
    return TRUE;
}

int main(int argc, char **argv)
{
    gboolean version = FALSE;
    g_autofree char *config = NULL, *state = NULL;
    g_auto(GStrv) qmp_paths = NULL;
    AutodSetting settings[] = {
        { "budget" }, { "reserve" }, { "interval" }, { "psi-threshold" },
        { "count" }, { NULL }
    };
    AutodSetting *budget = &settings[0], *reserve = &settings[1];
    AutodSetting *interval = &settings[2], *psi = &settings[3];
    AutodSetting *count = &settings[4];
    double interval_ms = 1000, psi_threshold = 10, cycles_max = 0;
    int cycles;
    GOptionEntry entries[] = {
        { "connect", 'c', 0, G_OPTION_ARG_STRING_ARRAY, NULL,
          "libvirt connection URI (repeat for several)", "URI" },
        { "qmp", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &qmp_paths,
          "QMP socket of a VM, optionally named (repeat)", "[NAME=]PATH" },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &config,
          "configuration file ([autod] group)", "FILE" },
        { "budget", 0, 0, G_OPTION_ARG_STRING, &budget->text,
          "most memory the VMs may have in all (default: no budget)",
          "SIZE" },
        { "reserve", 0, 0, G_OPTION_ARG_STRING, &reserve->text,
          "memory kept for the host (default 1G)", "SIZE" },
        { "interval", 0, 0, G_OPTION_ARG_STRING, &interval->text,
          "one cycle every MS milliseconds, 100-60000 (default 1000)", "MS" },
        { "psi-threshold", 0, 0, G_OPTION_ARG_STRING, &psi->text,
          "squeeze the VMs while memory pressure (some avg10) is at or "
          "above PCT, 0 to 100, 0: never (default 10)", "PCT" },
        { "state", 0, 0, G_OPTION_ARG_FILENAME, &state,
          "where each cycle's view goes (default "
          AUTOD_DEFAULT_STATE ")", "FILE" },
        { "count", 0, 0, G_OPTION_ARG_STRING, &count->text,
          "stop after N cycles, 1-1000000 (default: never)", "N" },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version,
          "print the version and exit", NULL },
        { NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) uris = NULL;
    Autod a = { 0 };
    guint i;

    entries[0].arg_data = &uris;
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(ctx, "Divide a host's memory among its "
                                 "VMs' automatic sizing, by weight.");
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "ubf-autod: %s\n", err->message);
        return 1;
    }
    if (version) {
        ubf_print_version("ubf-autod");
        return 0;
    }
    if (config && !autod_load_config(config, settings, &state, &uris)) {
        return 1;
    }
    a.reserve = 1024 * 1024 * 1024LL;
    if (!autod_parse_size(budget, config, &a.budget) ||
        !autod_parse_size(reserve, config, &a.reserve) ||
        !autod_parse_number(interval, config, 100, 60000, TRUE,
                            "milliseconds", &interval_ms) ||
        !autod_parse_number(psi, config, 0, 100, FALSE, "%",
                            &psi_threshold) ||
        !autod_parse_number(count, config, 1, 1000000, TRUE, "cycles",
                            &cycles_max) ||
        !autod_check_names(qmp_paths)) {
        return 1;
    }
    for (i = 0; settings[i].key; i++) {
        g_free(settings[i].text);
    }
    a.interval_ms = interval_ms;
    a.psi_threshold = psi_threshold;
    if ((!uris || !uris[0]) && (!qmp_paths || !qmp_paths[0])) {
        fprintf(stderr, "ubf-autod: no VMs: give -c URI or --qmp PATH\n");
        return 1;
    }
    a.uris = uris;
    a.state_path = state ? state : (char *)AUTOD_DEFAULT_STATE;
    {
        /* Its folder, as systemd's RuntimeDirectory= would make it */
        g_autofree char *dir = g_path_get_dirname(a.state_path);

        if (g_mkdir_with_parents(dir, 0755) < 0) {
            fprintf(stderr, "ubf-autod: --state: cannot create %s: %s\n",
                    dir, g_strerror(errno));
            return 1;
        }
    }
    a.vms = g_ptr_array_new_with_free_func(autod_vm_free);
    a.conns = g_new0(virConnectPtr, uris ? g_strv_length(uris) : 0);
    a.down = g_new0(gboolean, uris ? g_strv_length(uris) : 0);
    virSetErrorFunc(NULL, autod_quiet);
    signal(SIGPIPE, SIG_IGN);
    for (i = 0; qmp_paths && qmp_paths[i]; i++) {
        AutodVm *v = autod_vm_new();
        char *eq = strchr(qmp_paths[i], '=');
        g_autofree char *name = eq && eq != qmp_paths[i] ?
            g_strndup(qmp_paths[i], eq - qmp_paths[i]) : NULL;

        ubf_vm_target_init_qmp(&v->vm, name, name ? eq + 1 : qmp_paths[i]);
        v->vm.connect_timeout_ms = AUTOD_QMP_CONNECT_MS;
        v->vm.timeout_ms = AUTOD_QMP_COMMAND_MS;
        g_ptr_array_add(a.vms, v);
    }
    /* blocked before any thread starts, so that only ours takes them */
    g_mutex_init(&a.busy_lock);
    sigemptyset(&a.signals);
    sigaddset(&a.signals, SIGTERM);
    sigaddset(&a.signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &a.signals, NULL);
    g_thread_unref(g_thread_new("signals", autod_signals, &a));
    if (uris && virEventRegisterDefaultImpl() == 0) {
        g_thread_unref(g_thread_new("libvirt-events", autod_libvirt_events,
                                    NULL));
    }
    g_message("budget %" G_GINT64_FORMAT " MiB, reserve %" G_GINT64_FORMAT
              " MiB, every %d ms, PSI threshold %.1f %%", a.budget >> 20,
              a.reserve >> 20, a.interval_ms, a.psi_threshold);

    for (cycles = 0; !g_atomic_int_get(&a.quit) &&
         (!cycles_max || cycles < cycles_max); cycles++) {
        gint64 next = g_get_monotonic_time() + a.interval_ms * 1000LL;

        autod_cycle(&a);
        while (!g_atomic_int_get(&a.quit) && g_get_monotonic_time() < next) {
            g_main_context_iteration(NULL, FALSE);
            g_usleep(MIN(50000, MAX(next - g_get_monotonic_time(), 0)));
        }
    }
    /*
     * Leave nothing behind: every ceiling we set goes.  (A VM away when
     * we last saw it is not waited for: it keeps its ceiling, which its
     * automatic sizing shows, until something sets it again.)
     */
    for (i = 0; i < a.vms->len; i++) {
        AutodVm *v = a.vms->pdata[i];

        autod_busy(&a, v->vm.name);
        if (v->seen && v->ceiling && autod_read(v)) {
            autod_set_ceiling(v, 0);
        }
    }
    g_message("stopped: ceilings lifted");
    g_ptr_array_free(a.vms, TRUE);
    for (i = 0; uris && uris[i]; i++) {
        if (a.conns[i]) {
            virConnectClose(a.conns[i]);
        }
    }
    g_free(a.conns);
    g_free(a.down);
    return 0;
}
