/*
 * balloonctl: resize running guests through the unified balloon frontend
 *
 *   balloonctl --qmp [NAME=]PATH [--qmp ...] status [--json]
 *   balloonctl --qmp PATH resize SIZE [--node N=SIZE...] [--wait]
 *              [--timeout SEC]
 *   balloonctl --qmp PATH [--qmp PATH...] resize --all SIZE|PCT% [--wait]
 *   balloonctl --qmp PATH [--qmp PATH...] watch [--interval MS] [--count N]
 *
 *   balloonctl -c URI [-c URI...] [--fleet FILE] status [DOMAIN...]
 *              [--json | --format openmetrics]
 *   balloonctl -c URI ... resize DOMAIN SIZE [--wait] ...
 *   balloonctl -c URI ... resize --all SIZE [--wait] ...
 *
 *   balloonctl auto-status [--state FILE] [--json]
 *              (what ubf-autod decided, from its state file)
 *
 * Targets are QMP sockets of our QEMU, or libvirt domains on one or
 * several hosts (commands go through libvirt's QEMU monitor
 * pass-through, so growing past libvirt's own memory limit works).  The
 * hosts are worked on concurrently, each on a thread of its own; a host
 * that fails does not stop the others, and gets nothing applied.  --wait
 * follows libvirt's QEMU monitor events (MEMORY_RESIZE_DONE,
 * BALLOON_CHANGE), polling only as a fallback.  Exit status: the worst
 * of every target's and host's: 0 done, 1 refused (bad input, with the
 * reason), 2 stalled or timed out, 3 connection failure.  --wait
 * outlives a libvirtd restart: the resize goes on in QEMU, so balloonctl
 * reconnects and keeps waiting until --timeout.
 *
 * The parts: see balloonctl.h.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balloonctl.h"
#include "size.h"
#include "version.h"

GPtrArray *hosts;
Job job;
GMutex event_lock;
GCond event_cond;
gboolean events_on;

void die(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("balloonctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

/* ---- status ---- */



/* Query each target not queried yet (--qmp ones), print every failure. */
static void targets_connect(GPtrArray *targets);

static int targets_query(GPtrArray *targets, GPtrArray *answered)
{
    int worst = EXIT_DONE;
    guint i;

    targets_connect(targets);
    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];
        g_autoptr(GError) err = NULL;

        if (!t->info && !t->done) {
            if (!ubf_vm_target_connect(&t->vm, &err)) {
                target_fail(t, EXIT_CONNECT, "cannot connect: %s",
                            err->message);
            } else {
                t->info = target_try_query(t, &err);
                if (!t->info) {
                    target_fail(t, target_error_code(err), "%s",
                                err->message);
                }
            }
        }
        if (t->info) {
            g_ptr_array_add(answered, t);
        } else {
            fprintf(stderr, "balloonctl: %s: %s\n", t->vm.name, t->error);
            worst = MAX(worst, t->result);
        }
    }
    return worst;
}

static int cmd_status(GPtrArray *targets, Format format)
{
    g_autoptr(JsonBuilder) jb = json_builder_new();
    g_autoptr(GPtrArray) answered = g_ptr_array_new();
    int worst = targets_query(targets, answered);
    guint i;

    if (format == FORMAT_OPENMETRICS) {
        status_openmetrics(answered);
        return worst;
    }
    if (format == FORMAT_JSON) {
        json_builder_begin_array(jb);
    } else {
        printf("%-16s %-10s %-10s %-10s %-16s %s  [%s]\n", "NAME", "BOOT",
               "TARGET", "ACTUAL", "STATE", "NODES", "BACKENDS (*=driver)");
    }
    for (i = 0; i < answered->len; i++) {
        Target *t = answered->pdata[i];

        if (format == FORMAT_JSON) {
            status_json(jb, t, t->info);
        } else {
            status_row(t, t->info);
        }
    }
    if (format == FORMAT_JSON) {
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;

        json_builder_end_array(jb);
        root = json_builder_get_root(jb);
        json_generator_set_root(gen, root);
        json_generator_set_pretty(gen, TRUE);
        text = json_generator_to_data(gen, NULL);
        printf("%s\n", text);
    }
    return worst;
}

/* ---- resize ---- */

/* "N=SIZE" of --node: false on a malformed one. */
static gboolean node_arg_parse(const char *arg, gint64 actual, guint64 *node,
                               gint64 *size, GError **error)
{
    g_auto(GStrv) kv = g_strsplit(arg, "=", 2);
    char *end = NULL;

    *node = kv[0] ? g_ascii_strtoull(kv[0], &end, 10) : 0;
    if (!kv[0] || !kv[1] || !*kv[0] || *end) {
        g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                    "invalid --node '%s': expected N=SIZE", arg);
        return FALSE;
    }
    if (!ubf_size_parse(kv[1], actual, size, error)) {
        g_prefix_error(error, "--node %s: ", arg);
        return FALSE;
    }
    return TRUE;
}

/*
 * Resize @t.  Without @apply, only find out what it is to be asked
 * (its size now, the target, the target it had) so that a host's
 * domains are all reached before any is resized; with @apply, ask.
 * Returns EXIT_DONE or the failure (@t's line says why).
 */
int resize_start(Target *t, const char *size_text, char **node_args,
                        gboolean apply)
{
    g_autoptr(JsonBuilder) jb = json_builder_new();
    g_autoptr(JsonNode) args = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(GError) err = NULL;
    gint64 actual;
    guint i;

    if (!t->info) {
        t->info = target_try_query(t, &err);
        if (!t->info) {
            target_fail(t, target_error_code(err), "%s", err->message);
            return t->result;
        }
    }
    actual = json_object_get_int_member(t->info, "actual");
    t->prev_target = json_object_get_int_member(t->info, "target");
    json_builder_begin_object(jb);
    if (size_text) {
        if (!ubf_size_parse(size_text, actual, &t->target, &err)) {
            target_fail(t, EXIT_REFUSED, "%s", err->message);
            return t->result;
        }
        json_builder_set_member_name(jb, "size");
        json_builder_add_int_value(jb, t->target);
    }
    if (node_args && node_args[0]) {
        json_builder_set_member_name(jb, "nodes");
        json_builder_begin_array(jb);
        for (i = 0; node_args[i]; i++) {
            guint64 node;
            gint64 size;

            if (!node_arg_parse(node_args[i], actual, &node, &size, &err)) {
                target_fail(t, EXIT_REFUSED, "%s", err->message);
                return t->result;
            }
            json_builder_begin_object(jb);
            json_builder_set_member_name(jb, "node");
            json_builder_add_int_value(jb, node);
            json_builder_set_member_name(jb, "size");
            json_builder_add_int_value(jb, size);
            json_builder_end_object(jb);
        }
        json_builder_end_array(jb);
    }
    json_builder_end_object(jb);
    if (!apply) {
        return EXIT_DONE;
    }
    args = json_builder_get_root(jb);
    ret = ubf_vm_target_execute(&t->vm, "memory-resize",
                                json_node_get_object(args), &err);
    if (!ret) {
        /* "GenericError: Parameter 'size' expects ..." */
        const char *msg = strchr(err->message, ':');

        target_fail(t, target_error_code(err), "%s",
                    target_error_code(err) == EXIT_REFUSED && msg ?
                    msg + 2 : err->message);
        return t->result;
    }
    t->started = TRUE;
    return EXIT_DONE;
}

static void progress_show(Target *t, JsonObject *info, gboolean tty)
{
    gint64 done = json_object_get_int_member(info, "done");
    gint64 todo = json_object_get_int_member(info, "todo");
    int pct = todo ? (int)(done * 100 / todo) : 100;
    g_autofree char *a = fmt_size(json_object_get_int_member(info, "actual"));
    g_autofree char *g = fmt_size(json_object_get_int_member(info, "target"));

    if (tty) {
        char bar[31];
        int filled = pct * 30 / 100;

        memset(bar, '#', filled);
        memset(bar + filled, '-', 30 - filled);
        bar[30] = '\0';
        /* \033[K: clear what a longer previous line left */
        printf("\r%s [%s] %3d%% %s -> %s (%s)\033[K", t->vm.name, bar, pct, a,
               g, json_object_get_string_member(info, "state"));
    } else {
        printf("%s: %s, %d%%, %s -> %s\n", t->vm.name,
               json_object_get_string_member(info, "state"), pct, a, g);
    }
    fflush(stdout);
}


/* Sleep until an event arrives or @ms pass. */
static void events_wait(int ms)
{
    gint64 until = g_get_monotonic_time() + (gint64)ms * 1000;

    g_mutex_lock(&event_lock);
    g_cond_wait_until(&event_cond, &event_lock, until);
    g_mutex_unlock(&event_lock);
}

/*
 * Is @t to be asked now?  With events, when one of its domain's came in
 * (or, in case one was lost, every EVENT_FALLBACK_MS); otherwise every
 * POLL_MS.  *@from_event says which.
 */
static gboolean target_due(Target *t, gboolean *from_event)
{
    gint64 since_ms = (g_get_monotonic_time() - t->last_query) / 1000;

    *from_event = FALSE;
    if (!t->host || t->poll_only || t->host->events[0] < 0) {
        return since_ms >= POLL_MS;
    }
    if (g_atomic_int_exchange(&t->event, 0)) {
        *from_event = TRUE;
        return TRUE;
    }
    return since_ms >= EVENT_FALLBACK_MS;
}

/*
 * Wait until every target's resize stopped, showing progress: reached
 * (idle at its target), stalled, or failed.  Follows the frontend's
 * events through libvirt where it can, polls query-memory-resize where
 * not (QMP sockets, a connection made again after libvirtd restarted).
 */
static int resize_wait(GPtrArray *targets, int timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * 1000000;
    gboolean tty = isatty(STDOUT_FILENO);
    gint64 last_line = 0;
    int worst = EXIT_DONE;
    guint i, left = 0;

    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];

        left += !t->done;
        t->last_query = 0;          /* everyone is asked once at first */
    }
    while (left) {
        gboolean line_due = g_get_monotonic_time() - last_line >
                            G_USEC_PER_SEC;

        for (i = 0; i < targets->len; i++) {
            Target *t = targets->pdata[i];
            g_autoptr(JsonObject) info = NULL;
            g_autoptr(GError) err = NULL;
            gboolean from_event;
            const char *state;

            if (t->done) {
                continue;
            }
            if (t->lost && !target_reconnect(t)) {
                if (t->done) {
                    fprintf(stderr, "%sballoonctl: %s: %s\n", tty ? "\n" : "",
                            t->vm.name, t->error);
                    left--;
                    worst = MAX(worst, t->result);
                }
                continue;
            }
            if (t->lost) {
                printf("%s%s: libvirt connection back, still waiting\n",
                       tty ? "\n" : "", t->vm.name);
                t->lost = FALSE;
                t->last_query = 0;
            }
            if (!target_due(t, &from_event)) {
                continue;
            }
            info = target_try_query(t, &err);
            if (!info && t->vm.dom && target_error_code(err) == EXIT_CONNECT) {
                /* the resize goes on in QEMU: wait for libvirtd */
                printf("%s%s: libvirt connection lost (%s), reconnecting\n",
                       tty ? "\n" : "", t->vm.name, err->message);
                fflush(stdout);
                t->lost = TRUE;
                continue;
            }
            if (!info) {
                target_fail(t, target_error_code(err), "%s", err->message);
                fprintf(stderr, "%sballoonctl: %s: %s\n", tty ? "\n" : "",
                        t->vm.name, t->error);
                left--;
                worst = MAX(worst, t->result);
                continue;
            }
            state = json_object_get_string_member(info, "state");
            if (!strcmp(state, "idle")) {
                t->done = TRUE;
                t->result = json_object_get_int_member(info, "actual") ==
                            json_object_get_int_member(info, "target") ?
                            EXIT_DONE : EXIT_STALLED;
            } else if (!strcmp(state, "stalled")) {
                t->done = TRUE;
                t->result = EXIT_STALLED;
            } else if (!strcmp(state, "failed")) {
                t->done = TRUE;
                t->result = EXIT_REFUSED;
            }
            if (tty || t->done || line_due) {
                progress_show(t, info, tty);
            }
            if (t->done) {
                if (tty) {
                    printf("\n");
                }
                printf("%s: %s%s\n", t->vm.name,
                       t->result == EXIT_DONE ? "done" :
                       t->result == EXIT_REFUSED ? "failed" : "stalled",
                       from_event ? " (told by a libvirt event)" : "");
                fflush(stdout);
                left--;
                worst = MAX(worst, t->result);
            }
        }
        if (line_due) {
            last_line = g_get_monotonic_time();
        }
        if (left && g_get_monotonic_time() > deadline) {
            for (i = 0; i < targets->len; i++) {
                Target *t = targets->pdata[i];

                if (!t->done) {
                    fprintf(stderr, "%sballoonctl: %s: timed out after %d s\n",
                            tty ? "\n" : "", t->vm.name, timeout_s);
                }
            }
            return EXIT_STALLED;
        }
        if (left) {
            events_wait(POLL_MS);
        }
    }
    return worst;
}

/* ---- watch ---- */

/* Redraw every @interval_ms, and at once when an event comes in. */
static int cmd_watch(GPtrArray *targets, Format format, int interval_ms,
                     int count)
{
    gboolean tty = isatty(STDOUT_FILENO);
    int n, code, worst = EXIT_DONE;
    guint i;

    for (n = 0; count <= 0 || n < count; n++) {
        for (i = 0; i < targets->len; i++) {
            Target *t = targets->pdata[i];

            g_clear_pointer(&t->info, json_object_unref);
        }
        if (tty) {
            printf("\033[H\033[2J");
        }
        code = cmd_status(targets, format);
        worst = MAX(worst, code);
        fflush(stdout);
        if (count <= 0 || n + 1 < count) {
            if (events_on) {
                events_wait(interval_ms);
            } else {
                g_usleep((gulong)interval_ms * 1000);
            }
        }
    }
    return worst;
}

/*
 * Targets from --qmp: NAME=PATH names the VM, a bare PATH its file.  An
 * empty name or path, and a name given twice, are refused.
 */
static void qmp_targets(char **paths, GPtrArray *targets)
{
    guint i, j;

    for (i = 0; paths && paths[i]; i++) {
        Target *t = g_new0(Target, 1);
        char *eq = strchr(paths[i], '=');

        if (eq == paths[i] || !*paths[i] || (eq && !eq[1])) {
            die(EXIT_REFUSED, "--qmp expects [NAME=]PATH, not '%s'",
                paths[i]);
        }
        if (eq) {
            g_autofree char *name = g_strndup(paths[i], eq - paths[i]);

            ubf_vm_target_init_qmp(&t->vm, name, eq + 1);
        } else {
            ubf_vm_target_init_qmp(&t->vm, NULL, paths[i]);
        }
        for (j = 0; j < targets->len; j++) {
            if (!strcmp(((Target *)targets->pdata[j])->vm.name, t->vm.name)) {
                die(EXIT_REFUSED, "--qmp: two VMs named '%s' (name them: "
                    "NAME=PATH)", t->vm.name);
            }
        }
        g_ptr_array_add(targets, t);
    }
}

/* VM names given to a command: not empty, each once. */
static void names_check(char **names, int n)
{
    int i, j;

    for (i = 0; i < n; i++) {
        if (!*names[i]) {
            die(EXIT_REFUSED, "an empty VM name");
        }
        for (j = 0; j < i; j++) {
            if (!strcmp(names[i], names[j])) {
                die(EXIT_REFUSED, "VM '%s' named twice", names[i]);
            }
        }
    }
}

/*
 * status and watch with VM names: keep the --qmp targets named.  A name
 * no --qmp target has must be a domain of the -c hosts, if any.
 */
static void qmp_targets_select(GPtrArray *targets, char **names, int n)
{
    g_autoptr(GPtrArray) keep = g_ptr_array_new();
    int i;
    guint j;

    if (!n) {
        return;
    }
    for (i = 0; i < n; i++) {
        gboolean found = FALSE;

        for (j = 0; j < targets->len; j++) {
            Target *t = targets->pdata[j];

            if (!strcmp(t->vm.name, names[i])) {
                g_ptr_array_add(keep, t);
                found = TRUE;
            }
        }
        if (!found && !hosts->len) {
            die(EXIT_REFUSED, "unknown VM '%s'", names[i]);
        }
    }
    g_ptr_array_set_size(targets, 0);
    for (j = 0; j < keep->len; j++) {
        g_ptr_array_add(targets, keep->pdata[j]);
    }
}

static void target_connect_one(gpointer data, gpointer unused)
{
    Target *t = data;
    g_autoptr(GError) err = NULL;

    if (!ubf_vm_target_connect(&t->vm, &err)) {
        target_fail(t, EXIT_CONNECT, "cannot connect: %s", err->message);
    }
}

/*
 * Connect every --qmp target not connected yet, all at once: one that
 * does not answer costs UBF_VM_TARGET_CONNECT_TIMEOUT_MS, not that much
 * per target.
 */
static void targets_connect(GPtrArray *targets)
{
    GThreadPool *pool = g_thread_pool_new(target_connect_one, NULL, 64, TRUE,
                                          NULL);
    guint i;

    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];

        if (!t->host && !t->vm.qmp && !t->done) {
            g_thread_pool_push(pool, t, NULL);
        }
    }
    g_thread_pool_free(pool, FALSE, TRUE);
}

/* Failures of targets before the wait, one line each; the worst. */
static int targets_report(GPtrArray *targets)
{
    int worst = EXIT_DONE;
    guint i;

    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];

        if (t->error) {
            fprintf(stderr, "balloonctl: %s: %s\n", t->vm.name, t->error);
            worst = MAX(worst, t->result);
        }
    }
    return worst;
}

/* With several hosts, a line per host: how many of its domains made it. */
static void hosts_summary(gboolean waited)
{
    guint i, j;

    for (i = 0; hosts->len > 1 && i < hosts->len; i++) {
        Host *h = hosts->pdata[i];
        guint ok = 0;

        if (h->result) {
            printf("%s: failed, see above\n", h->label);
            continue;
        }
        for (j = 0; j < h->targets->len; j++) {
            Target *t = h->targets->pdata[j];

            ok += waited ? t->done && t->result == EXIT_DONE : t->started;
        }
        printf("%s: %u of %u domain%s %s\n", h->label, ok, h->targets->len,
               h->targets->len == 1 ? "" : "s", waited ? "done" : "asked");
    }
}

/* resize [VM] SIZE, resize [VM] --node N=SIZE..., resize --all SIZE */
static int cmd_resize(GPtrArray *targets, int argc, char **argv,
                      char **node_args, gboolean all, gboolean wait,
                      int timeout, int parallel)
{
    gboolean nodes = node_args && node_args[0];
    int npos = argc - 2;                /* arguments after "resize" */
    int want = nodes ? 0 : 1;           /* SIZE, unless --node */
    const char *name = npos == want + 1 ? argv[2] : NULL;
    const char *size_text = nodes ? NULL : argv[argc - 1];
    g_autoptr(GError) err = NULL;
    Target *chosen = NULL;
    int worst, code;
    guint i;

    if (npos != want && npos != want + 1) {
        die(EXIT_REFUSED, "resize takes [VM] SIZE, or [VM] --node "
            "N=SIZE...");
    }
    if (all && (name || nodes)) {
        die(EXIT_REFUSED, "resize --all takes one SIZE and no VM");
    }
    /*
     * Bad input is refused before any VM is reached: here the form (a
     * relative size against a large current one), on each VM its result.
     */
    if (size_text) {
        gint64 probe;

        if (!ubf_size_parse(size_text, 1LL << 40, &probe, &err)) {
            die(EXIT_REFUSED, "%s", err->message);
        }
    }
    for (i = 0; nodes && node_args[i]; i++) {
        guint64 node;
        gint64 size;

        if (!node_arg_parse(node_args[i], 1LL << 40, &node, &size, &err)) {
            die(EXIT_REFUSED, "%s", err->message);
        }
    }
    if (!all && !name && targets->len + hosts->len > 1) {
        die(EXIT_REFUSED, "several targets: name the VM or use --all");
    }
    if (!all && !name && hosts->len) {
        die(EXIT_REFUSED, "name the domain to resize, or use --all");
    }
    for (i = 0; name && i < targets->len; i++) {
        Target *t = targets->pdata[i];

        if (!strcmp(t->vm.name, name) || !strcmp(t->vm.path, name)) {
            chosen = t;
        }
    }
    if (name && !chosen && !hosts->len) {
        die(EXIT_REFUSED, "unknown VM '%s'", name);
    }
    if (chosen || (name && hosts->len)) {
        g_ptr_array_set_size(targets, 0);
    }
    if (chosen) {
        g_ptr_array_add(targets, chosen);
    }

    /* --qmp: connect to all first, a fleet resize does not start half-way */
    targets_connect(targets);
    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];

        if (t->done) {
            die(EXIT_CONNECT, "%s: %s", t->vm.name, t->error);
        }
    }
    /* libvirt hosts: each reached and checked, then each resized */
    job.resize = TRUE;
    job.size_text = size_text;
    job.node_args = node_args;
    job.events = wait;
    if (!chosen && hosts->len) {
        g_autoptr(GPtrArray) found = g_ptr_array_new();

        if (name) {
            job.names = (char **)&name;
            job.nnames = 1;
        }
        hosts_run(parallel);
        hosts_targets(found);
        if (name && found->len > 1) {
            g_autoptr(GString) where = g_string_new(NULL);

            for (i = 0; i < found->len; i++) {
                g_string_append_printf(where, "%s%s", i ? ", " : "",
                                       ((Target *)found->pdata[i])->vm.name);
            }
            die(EXIT_REFUSED, "domain '%s' is on several hosts (%s): name "
                "it HOST/DOMAIN", name, where->str);
        }
        job.apply = TRUE;
        hosts_run(parallel);
        g_ptr_array_set_size(found, 0);
        hosts_targets(found);
        for (i = 0; i < found->len; i++) {
            g_ptr_array_add(targets, found->pdata[i]);
        }
    }
    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];

        if (!t->host) {
            resize_start(t, size_text, node_args, TRUE);
        }
    }
    /* (MAX() evaluates its arguments twice) */
    worst = hosts_report();
    code = targets_report(targets);
    worst = MAX(worst, code);
    if (!wait) {
        hosts_summary(FALSE);
        return worst;
    }
    code = resize_wait(targets, timeout);
    hosts_summary(TRUE);
    return MAX(worst, code);
}

/* ---- options ---- */

/* What each command takes, for "balloonctl help CMD" and "CMD --help". */
static const struct {
    const char *name;
    const char *help;
} command_help[] = {
    { "status",
      "balloonctl {--qmp [NAME=]PATH... | -c URI... | --fleet FILE} status "
      "[VM...]\n"
      "           [--json | --format table|json|openmetrics]\n\n"
      "One row per VM: boot size, target, actual size, state, each NUMA "
      "node's size,\nevery resize backend (* when its guest driver is "
      "connected).  VM names select\nVMs (NAME or HOST/DOMAIN with several "
      "hosts); without, every VM given (every\nrunning domain with -c).\n" },
    { "resize",
      "balloonctl ... resize [VM] SIZE [--wait [--timeout SEC]]\n"
      "balloonctl ... resize [VM] --node N=SIZE [--node N=SIZE...] "
      "[--wait]\n"
      "balloonctl ... resize --all SIZE|PCT% [--wait] [--parallel N]\n\n"
      "Ask for a guest size: SIZE as QEMU takes sizes (bytes unless a unit "
      "follows:\nB, K, M, G, T, P, E; 1.5G), +SIZE or -SIZE from the size "
      "now, or PCT% of it.\nA bare number is bytes (virsh setmem takes "
      "KiB).  --wait follows the resize to\nits end: exit 0 reached, 1 "
      "refused, 2 stalled or --timeout (default 600 s).\n" },
    { "watch",
      "balloonctl ... watch [VM...] [--interval MS] [--count N] "
      "[--format FORMAT]\n\n"
      "status again every --interval (default 1000 ms; with -c, at once "
      "when a\ndomain's size moves), --count times or until interrupted.\n" },
    { "auto-status",
      "balloonctl auto-status [--state FILE] [--json]\n\n"
      "What ubf-autod decided in its last cycle, from its state file "
      "(default\n/run/ubf-autod/state.json): exit 3 if it cannot be read.\n" },
};

static int help_command(const char *name)
{
    guint i;

    for (i = 0; i < G_N_ELEMENTS(command_help); i++) {
        if (!strcmp(command_help[i].name, name)) {
            fputs(command_help[i].help, stdout);
            return EXIT_DONE;
        }
    }
    die(EXIT_REFUSED, "help: unknown command '%s' (status, resize, watch "
        "or auto-status)", name);
}

/* An integer option's value, within [@min, @max], or die naming it. */
static int int_option(const char *option, const char *text, int min,
                      int max, const char *unit, int def)
{
    gint64 v;
    char *end;

    if (!text) {
        return def;
    }
    errno = 0;
    v = g_ascii_strtoll(text, &end, 10);
    if (!*text || *end || errno || v < min || v > max) {
        die(EXIT_REFUSED, "%s expects %d to %d (%s), not '%s'", option, min,
            max, unit, text);
    }
    return v;
}

/* Options that take a value: a negative number after one is its value. */
static gboolean takes_value(const char *arg)
{
    static const char *const opts[] = {
        "-c", "--connect", "--fleet", "--parallel", "--qmp", "--format",
        "--node", "--timeout", "--interval", "--state", "--count", NULL
    };
    int i;

    for (i = 0; opts[i]; i++) {
        if (!strcmp(arg, opts[i])) {
            return TRUE;
        }
    }
    return FALSE;
}

int main(int argc, char **argv)
{
    g_auto(GStrv) qmp_paths = NULL;
    g_auto(GStrv) node_args = NULL;
    g_auto(GStrv) uris = NULL;
    g_autofree char *fleet = NULL;
    g_autofree char *state_path = NULL;
    g_autofree char *format_text = NULL;
    g_autofree char *timeout_text = NULL, *interval_text = NULL;
    g_autofree char *count_text = NULL, *parallel_text = NULL;
    gboolean as_json = FALSE, wait = FALSE, all = FALSE, version = FALSE;
    int timeout, interval, count, parallel;
    GOptionEntry entries[] = {
        { "connect", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &uris,
          "libvirt connection URI (qemu:///system, qemu+ssh://host/system); "
          "repeat for several hosts", "URI" },
        { "fleet", 0, 0, G_OPTION_ARG_FILENAME, &fleet,
          "the hosts, one per line: URI or NAME URI", "FILE" },
        { "parallel", 0, 0, G_OPTION_ARG_STRING, &parallel_text,
          "hosts worked on at once, 1 to 1024 (default 16)", "N" },
        { "qmp", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &qmp_paths,
          "QMP socket of a VM, optionally named (repeat for several)",
          "[NAME=]PATH" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &as_json,
          "status: JSON, sizes in bytes (--format json)", NULL },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text,
          "status, watch: table, json or openmetrics", "FORMAT" },
        { "node", 0, 0, G_OPTION_ARG_STRING_ARRAY, &node_args,
          "resize: size of node N (repeat)", "N=SIZE" },
        { "wait", 0, 0, G_OPTION_ARG_NONE, &wait,
          "resize: wait until done or stalled", NULL },
        { "timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_text,
          "resize --wait: give up after SEC seconds, 1 to 86400 (default "
          "600)", "SEC" },
        { "all", 0, 0, G_OPTION_ARG_NONE, &all,
          "resize: every target", NULL },
        { "interval", 0, 0, G_OPTION_ARG_STRING, &interval_text,
          "watch: refresh every MS milliseconds, 10 to 3600000 (default "
          "1000)", "MS" },
        { "state", 0, 0, G_OPTION_ARG_FILENAME, &state_path,
          "auto-status: ubf-autod's state file (default "
          "/run/ubf-autod/state.json)", "FILE" },
        { "count", 0, 0, G_OPTION_ARG_STRING, &count_text,
          "watch: stop after N refreshes, 1 to 1000000 (default: never)",
          "N" },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version,
          "print balloonctl's version and exit", NULL },
        { NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "status [DOMAIN...] | resize [VM] SIZE | watch | auto-status");
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) targets = g_ptr_array_new();
    Format format = FORMAT_TABLE;
    const char *cmd;
    char *negative = NULL;
    int worst, code;
    guint i;

    /*
     * A relative size ("-512M") looks like an option: take it out of
     * GOption's way; it is the last positional argument (SIZE).
     */
    for (i = 1; i < (guint)argc; i++) {
        if (argv[i][0] == '-' && g_ascii_isdigit(argv[i][1]) &&
            !takes_value(argv[i - 1])) {
            if (negative) {
                die(EXIT_REFUSED, "more than one size given");
            }
            negative = argv[i];
            memmove(&argv[i], &argv[i + 1], (argc - i) * sizeof(*argv));
            argc--;
            i--;
        }
    }
    /* "help CMD", "CMD --help": what that command takes */
    if (argc == 3 && !strcmp(argv[1], "help")) {
        return help_command(argv[2]);
    }
    for (i = 2; i < (guint)argc; i++) {
        if ((!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) &&
            argv[1][0] != '-') {
            return help_command(argv[1]);
        }
    }
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(ctx, "Resize running guests through the "
                                 "unified balloon frontend.\nExit status "
                                 "(the worst of every VM's and host's): 0 "
                                 "done, 1 refused, 2 stalled or timed out, "
                                 "3 connection failure.");
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        die(EXIT_REFUSED, "%s", err->message);
    }
    if (version) {
        ubf_print_version("balloonctl");
        return EXIT_DONE;
    }
    timeout = int_option("--timeout", timeout_text, 1, 86400, "seconds", 600);
    interval = int_option("--interval", interval_text, 10, 3600000,
                          "milliseconds", 1000);
    count = int_option("--count", count_text, 1, 1000000, "refreshes", 0);
    parallel = int_option("--parallel", parallel_text, 1, 1024, "hosts",
                          DEFAULT_PARALLEL);
    if (negative) {
        argv[argc++] = negative;
        argv[argc] = NULL;
    }
    if (argc == 2 && !strcmp(argv[1], "help")) {
        g_autofree char *usage = g_option_context_get_help(ctx, TRUE, NULL);

        fputs(usage, stdout);
        return EXIT_DONE;
    }
    if (argc < 2) {
        die(EXIT_REFUSED, "no command (status, resize, watch or "
            "auto-status); see --help");
    }
    if (!strcmp(argv[1], "auto-status")) {
        return cmd_auto_status(state_path ? state_path :
                               "/run/ubf-autod/state.json", as_json);
    }
    if (format_text) {
        if (!strcmp(format_text, "table")) {
            format = FORMAT_TABLE;
        } else if (!strcmp(format_text, "json")) {
            format = FORMAT_JSON;
        } else if (!strcmp(format_text, "openmetrics")) {
            format = FORMAT_OPENMETRICS;
        } else {
            die(EXIT_REFUSED, "--format expects table, json or openmetrics");
        }
    } else if (as_json) {
        format = FORMAT_JSON;
    }

    hosts = g_ptr_array_new();
    for (i = 0; uris && uris[i]; i++) {
        host_add(NULL, uris[i]);
    }
    if (fleet) {
        hosts_load_fleet(fleet);
    }
    if ((!qmp_paths || !qmp_paths[0]) && !hosts->len) {
        die(EXIT_REFUSED, "no target: give -c URI, --fleet FILE or --qmp "
            "PATH");
    }
    hosts_label_uniquely();
    qmp_targets(qmp_paths, targets);
    if (hosts->len) {
        /*
         * A write to a libvirtd that just went away must fail with EPIPE
         * (and a reconnect), not kill us: libvirt leaves SIGPIPE to us.
         */
        signal(SIGPIPE, SIG_IGN);
        virSetErrorFunc(NULL, libvirt_quiet);
        /* the monitor events need libvirt's event loop, set up first */
        if (virEventRegisterDefaultImpl() == 0) {
            events_on = TRUE;
            g_thread_unref(g_thread_new("libvirt-events", events_loop,
                                        NULL));
        }
    }

    cmd = argv[1];
    if (!strcmp(cmd, "status") || !strcmp(cmd, "watch")) {
        gboolean watch = !strcmp(cmd, "watch");

        names_check(argv + 2, argc - 2);
        qmp_targets_select(targets, argv + 2, argc - 2);
        if (hosts->len) {
            job.names = argv + 2;
            job.nnames = argc - 2;
        }
        job.events = watch && events_on;
        hosts_run(parallel);
        worst = hosts_report();
        hosts_targets(targets);
        code = watch ? cmd_watch(targets, format, interval, count) :
                       cmd_status(targets, format);
        return MAX(worst, code);
    }
    if (strcmp(cmd, "resize")) {
        die(EXIT_REFUSED, "unknown command '%s' (status, resize, watch or "
            "auto-status)", cmd);
    }
    return cmd_resize(targets, argc, argv, node_args, all, wait, timeout,
                      parallel);
}
