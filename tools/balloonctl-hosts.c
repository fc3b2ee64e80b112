/*
 * balloonctl: libvirt hosts, their connections, threads and events
 *
 * Each host (-c URI, --fleet) is worked on by a thread of its own; a
 * host that fails does not stop the others and gets nothing applied (a
 * part-way resize is rolled back); one that does not answer within
 * HOST_TIMEOUT_S is left behind.  Events (MEMORY_RESIZE_DONE,
 * BALLOON_CHANGE) come through libvirt's QEMU monitor pass-through.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdio.h>
#include <string.h>

#include "balloonctl.h"

/* Which hosts' parts are running, and since when. */
static GMutex hosts_lock;
static GCond hosts_cond;

/* A failure of @t: its line, its status (the worst kept). */
void target_fail(Target *t, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_free(t->error);
    t->error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    t->result = MAX(t->result, code);
    t->done = TRUE;
}

JsonObject *target_try_query(Target *t, GError **error)
{
    g_autoptr(JsonNode) ret = ubf_vm_target_execute(&t->vm,
                                                    "query-memory-resize",
                                                    NULL, error);

    t->last_query = g_get_monotonic_time();
    return ret ? json_object_ref(json_node_get_object(ret)) : NULL;
}

/*
 * An error reaching @t: EXIT_REFUSED when the VM refused (the reason),
 * EXIT_CONNECT when it could not be reached.
 */
int target_error_code(GError *err)
{
    return g_error_matches(err, UBF_QMP_ERROR, UBF_QMP_ERROR_COMMAND) ?
           EXIT_REFUSED : EXIT_CONNECT;
}

/* Is @t's host connection gone (not just the domain)? */
static gboolean target_host_lost(Target *t)
{
    return t->host && virConnectIsAlive(t->host->conn) != 1;
}

/* libvirtd went away: find the domain again (see vm-target.h). */
gboolean target_reconnect(Target *t)
{
    int ret = ubf_vm_target_reconnect(&t->vm, t->host->uri);

    if (ret < 0) {
        target_fail(t, EXIT_STALLED, "the domain stopped while libvirtd "
                    "was away");
        return FALSE;
    }
    if (ret > 0) {
        /* a new connection of its own: no events registered there */
        t->poll_only = TRUE;
    }
    return ret > 0;
}

/* ---- hosts: one libvirt connection each, worked on concurrently ---- */

/* libvirt prints errors itself by default: keep stderr to one line. */
void libvirt_quiet(void *opaque, virErrorPtr err)
{
}

/* "user@host" of @uri, or the URI itself when it names no host. */
static char *host_label_of(const char *uri)
{
    g_autoptr(GUri) u = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);

    if (!u || !g_uri_get_host(u) || !*g_uri_get_host(u)) {
        return g_strdup(uri);
    }
    if (g_uri_get_user(u)) {
        return g_strdup_printf("%s@%s", g_uri_get_user(u),
                               g_uri_get_host(u));
    }
    return g_strdup(g_uri_get_host(u));
}

void host_add(const char *label, const char *uri)
{
    Host *h = g_new0(Host, 1);

    h->uri = g_strdup(uri);
    h->label = label ? g_strdup(label) : host_label_of(uri);
    h->targets = g_ptr_array_new();
    h->missing = g_ptr_array_new_with_free_func(g_free);
    h->events[0] = h->events[1] = -1;
    g_ptr_array_add(hosts, h);
}

/* Labels name hosts apart: where two would be the same, the URIs do. */
void hosts_label_uniquely(void)
{
    guint i, j;

    for (i = 0; i < hosts->len; i++) {
        Host *a = hosts->pdata[i];

        for (j = i + 1; j < hosts->len; j++) {
            Host *b = hosts->pdata[j];

            if (!strcmp(a->label, b->label)) {
                if (!strcmp(a->uri, b->uri)) {
                    die(EXIT_REFUSED, "host %s is listed twice", a->uri);
                }
                g_free(a->label);
                a->label = g_strdup(a->uri);
                g_free(b->label);
                b->label = g_strdup(b->uri);
            }
        }
    }
}

/*
 * A fleet file: one host per line, "URI" or "NAME URI"; blank lines
 * and lines starting with '#' are skipped.
 */
void hosts_load_fleet(const char *path)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GError) err = NULL;
    int i;

    if (!g_file_get_contents(path, &text, NULL, &err)) {
        die(EXIT_REFUSED, "--fleet: %s", err->message);
    }
    lines = g_strsplit(text, "\n", -1);
    for (i = 0; lines[i]; i++) {
        g_auto(GStrv) w = NULL;
        g_autoptr(GPtrArray) words = NULL;
        char *line = g_strstrip(lines[i]);
        int k;

        if (!*line || *line == '#') {
            continue;
        }
        /* the words, runs of blanks between them */
        w = g_strsplit_set(line, " \t", -1);
        words = g_ptr_array_new();
        for (k = 0; w[k]; k++) {
            if (*w[k]) {
                g_ptr_array_add(words, w[k]);
            }
        }
        if (words->len == 1) {
            host_add(NULL, words->pdata[0]);
        } else if (words->len == 2 && !strchr(words->pdata[0], ':')) {
            host_add(words->pdata[0], words->pdata[1]);
        } else {
            die(EXIT_REFUSED, "%s:%d: expected 'URI' or 'NAME URI'",
                path, i + 1);
        }
    }
}

/* The target name: the domain's, after its host's label with several. */
static Target *host_target(Host *h, virDomainPtr dom)
{
    Target *t = g_new0(Target, 1);
    g_autoptr(GError) err = NULL;

    t->host = h;
    if (!ubf_vm_target_init_domain(&t->vm, dom, &err)) {
        target_fail(t, EXIT_CONNECT, "%s", err->message);
    } else if (hosts->len > 1) {
        char *name = g_strdup_printf("%s/%s", h->label, t->vm.name);

        g_free(t->vm.name);
        t->vm.name = name;
    }
    return t;
}

static gboolean host_fail(Host *h, int code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static gboolean host_fail(Host *h, int code, const char *fmt, ...)
{
    va_list ap;

    g_mutex_lock(&hosts_lock);
    if (!h->abandoned) {
        va_start(ap, fmt);
        g_free(h->error);
        h->error = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        h->result = code;
    }
    g_mutex_unlock(&hosts_lock);
    return FALSE;
}

/* Does @name (NAME, or LABEL/NAME) ask for domain @dom_name of @h? */
static gboolean host_name_matches(Host *h, const char *name,
                                  const char *dom_name)
{
    size_t l = strlen(h->label);

    if (!strcmp(name, dom_name)) {
        return TRUE;
    }
    return !strncmp(name, h->label, l) && name[l] == '/' &&
           !strcmp(name + l + 1, dom_name);
}

/* Open @h and find its domains: the running ones asked for, or all. */
static gboolean host_open(Host *h)
{
    virDomainPtr *doms = NULL;
    g_autofree gboolean *found = NULL;
    int n, i, k;

    h->conn = virConnectOpen(h->uri);
    if (!h->conn) {
        return host_fail(h, EXIT_CONNECT, "cannot connect to %s: %s",
                         h->uri, virGetLastErrorMessage());
    }
    if (events_on) {
        /* not fatal: without it a call waits as long as libvirt lets it */
        virConnectSetKeepAlive(h->conn, HOST_KEEPALIVE_S, 3);
    }
    n = virConnectListAllDomains(h->conn, &doms,
                                 VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0) {
        return host_fail(h, EXIT_CONNECT, "cannot list domains: %s",
                         virGetLastErrorMessage());
    }
    found = g_new0(gboolean, MAX(job.nnames, 1));
    for (i = 0; i < n; i++) {
        gboolean want = job.nnames == 0;

        for (k = 0; k < job.nnames; k++) {
            if (host_name_matches(h, job.names[k],
                                  virDomainGetName(doms[i]))) {
                want = found[k] = TRUE;
            }
        }
        if (want) {
            g_ptr_array_add(h->targets, host_target(h, doms[i]));
        } else {
            virDomainFree(doms[i]);
        }
    }
    free(doms);
    for (k = 0; k < job.nnames; k++) {
        if (!found[k]) {
            g_ptr_array_add(h->missing, g_strdup(job.names[k]));
        }
    }
    return TRUE;
}

/* A MEMORY_RESIZE_DONE or BALLOON_CHANGE of one of @opaque's domains. */
static void host_event(virConnectPtr conn, virDomainPtr dom,
                       const char *event, long long seconds,
                       unsigned int micros, const char *details,
                       void *opaque)
{
    Host *h = opaque;
    unsigned char uuid[VIR_UUID_BUFLEN];
    guint i;

    if (virDomainGetUUID(dom, uuid) < 0) {
        return;
    }
    for (i = 0; i < h->targets->len; i++) {
        Target *t = h->targets->pdata[i];

        if (!memcmp(t->vm.uuid, uuid, VIR_UUID_BUFLEN)) {
            g_atomic_int_set(&t->event, 1);
        }
    }
    g_mutex_lock(&event_lock);
    g_cond_broadcast(&event_cond);
    g_mutex_unlock(&event_lock);
}

/*
 * Follow the QEMU monitor events the frontend emits on @h's domains;
 * where libvirt cannot (an old server), its targets are polled.
 */
static void host_register_events(Host *h)
{
    static const char *const names[2] = { "MEMORY_RESIZE_DONE",
                                          "BALLOON_CHANGE" };
    int i;

    for (i = 0; i < 2; i++) {
        h->events[i] = virConnectDomainQemuMonitorEventRegister(
            h->conn, NULL, names[i], host_event, h, NULL, 0);
    }
    if (h->events[0] < 0) {
        guint k;

        for (k = 0; k < h->targets->len; k++) {
            ((Target *)h->targets->pdata[k])->poll_only = TRUE;
        }
    }
}


/*
 * Put back what @h's domains were asked for before (the host failed
 * part-way): nothing is left half-applied where that can still be done.
 */
static void host_rollback(Host *h)
{
    guint i;

    for (i = 0; i < h->targets->len; i++) {
        Target *t = h->targets->pdata[i];
        g_autoptr(JsonObject) args = json_object_new();
        g_autoptr(JsonNode) ret = NULL;
        g_autoptr(GError) err = NULL;

        if (!t->started) {
            continue;
        }
        json_object_set_int_member(args, "size", t->prev_target);
        ret = ubf_vm_target_execute(&t->vm, "memory-resize", args, &err);
        if (ret) {
            target_fail(t, EXIT_CONNECT, "put back to its earlier target "
                        "(the host failed)");
        } else {
            target_fail(t, EXIT_CONNECT, "could not be put back to its "
                        "earlier target (%s): it may still be resizing",
                        err->message);
        }
        t->started = FALSE;
    }
}

/*
 * One host's part, on a thread of its own.  First pass: connect, find
 * the domains, register for events, and query each (for a resize: check
 * its request).  Second pass (job.apply): make the requests.  A host
 * lost part-way through the second pass gets its earlier targets back.
 */
static void host_run_part(Host *h)
{
    guint i;

    if (!job.apply) {
        if (!host_open(h)) {
            return;
        }
        if (job.events && h->targets->len) {
            host_register_events(h);
        }
    }
    for (i = 0; i < h->targets->len; i++) {
        Target *t = h->targets->pdata[i];
        g_autoptr(GError) err = NULL;
        int code;

        if (t->done) {
            continue;
        }
        if (!job.resize) {
            t->info = target_try_query(t, &err);
            if (!t->info) {
                target_fail(t, target_error_code(err), "%s", err->message);
            }
            continue;
        }
        code = resize_start(t, job.size_text, job.node_args, job.apply);
        if (code == EXIT_CONNECT && target_host_lost(t)) {
            host_fail(h, EXIT_CONNECT, "connection lost%s: %s",
                      job.apply ? " while resizing" : "", t->error);
            if (job.apply) {
                host_rollback(h);
            }
            return;
        }
    }
}

static void host_run(gpointer data, gpointer unused)
{
    Host *h = data;

    g_mutex_lock(&hosts_lock);
    h->started = g_get_monotonic_time();
    g_mutex_unlock(&hosts_lock);
    host_run_part(h);
    g_mutex_lock(&hosts_lock);
    h->running = FALSE;
    g_cond_broadcast(&hosts_cond);
    g_mutex_unlock(&hosts_lock);
}

/*
 * Every host's part (of this pass), @parallel at a time; a host that
 * takes longer than HOST_TIMEOUT_S is left behind (its thread is given
 * up, and the pool one more thread in its stead).
 */
void hosts_run(int parallel)
{
    g_autoptr(GError) err = NULL;
    GThreadPool *pool = g_thread_pool_new(host_run, NULL, parallel, TRUE,
                                          &err);
    const gint64 limit = HOST_TIMEOUT_S * G_USEC_PER_SEC;
    int threads = parallel;
    gboolean waiting;
    guint i;

    if (!pool) {
        die(EXIT_CONNECT, "%s", err->message);
    }
    for (i = 0; i < hosts->len; i++) {
        Host *h = hosts->pdata[i];

        if (!h->result) {
            h->running = TRUE;
            h->started = 0;
            g_thread_pool_push(pool, h, NULL);
        }
    }
    g_mutex_lock(&hosts_lock);
    do {
        gint64 now = g_get_monotonic_time();
        gint64 wake = now + POLL_MS * 1000;

        waiting = FALSE;
        for (i = 0; i < hosts->len; i++) {
            Host *h = hosts->pdata[i];

            if (!h->running || h->abandoned) {
                continue;
            }
            if (h->started && now - h->started >= limit) {
                h->abandoned = TRUE;
                h->result = EXIT_CONNECT;
                g_free(h->error);
                h->error = g_strdup_printf("no answer from %s within %d s",
                                           h->uri, HOST_TIMEOUT_S);
                g_thread_pool_set_max_threads(pool, ++threads, NULL);
                continue;
            }
            waiting = TRUE;
            if (h->started) {
                wake = MIN(wake, h->started + limit);
            }
        }
        if (waiting) {
            g_cond_wait_until(&hosts_cond, &hosts_lock, wake);
        }
    } while (waiting);
    g_mutex_unlock(&hosts_lock);
    /* do not wait for the threads of hosts left behind */
    g_thread_pool_free(pool, FALSE, FALSE);
}

/*
 * One line per host that failed, and per domain asked for that no host
 * has; the worst status of those.
 */
int hosts_report(void)
{
    int worst = EXIT_DONE;
    guint i, k;

    for (i = 0; i < hosts->len; i++) {
        Host *h = hosts->pdata[i];

        if (h->result) {
            fprintf(stderr, "balloonctl: %s%s%s\n",
                    hosts->len > 1 ? h->label : "",
                    hosts->len > 1 ? ": " : "", h->error);
            worst = MAX(worst, h->result);
        }
    }
    /* a domain asked for must be on some host that answered */
    for (k = 0; k < (guint)job.nnames; k++) {
        gboolean found = FALSE, failed = FALSE;

        for (i = 0; i < hosts->len; i++) {
            Host *h = hosts->pdata[i];
            gboolean missing = FALSE;
            guint m;

            if (h->result) {
                failed = TRUE;      /* it may be there: said above */
                continue;
            }
            for (m = 0; m < h->missing->len; m++) {
                missing |= !strcmp(h->missing->pdata[m], job.names[k]);
            }
            found |= !missing;
        }
        if (!found && !failed) {
            Host *h = hosts->pdata[0];
            virDomainPtr d = hosts->len == 1 ?
                             virDomainLookupByName(h->conn, job.names[k]) :
                             NULL;

            if (d) {
                fprintf(stderr, "balloonctl: domain '%s' is not running\n",
                        job.names[k]);
                virDomainFree(d);
            } else {
                fprintf(stderr, "balloonctl: unknown domain '%s'\n",
                        job.names[k]);
            }
            worst = MAX(worst, EXIT_REFUSED);
        }
    }
    return worst;
}

/* Every target of every host that did not fail, in order. */
void hosts_targets(GPtrArray *targets)
{
    guint i, j;

    for (i = 0; i < hosts->len; i++) {
        Host *h = hosts->pdata[i];

        for (j = 0; !h->result && j < h->targets->len; j++) {
            g_ptr_array_add(targets, h->targets->pdata[j]);
        }
    }
}

/* libvirt's event loop, for the monitor events (never returns). */
gpointer events_loop(gpointer unused)
{
    for (;;) {
        if (virEventRunDefaultImpl() < 0) {
            return NULL;
        }
    }
}
