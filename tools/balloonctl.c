/*
 * balloonctl: resize running guests through the unified balloon frontend
 *
 *   balloonctl --qmp [NAME=]PATH [--qmp ...] status [--json]
 *   balloonctl --qmp PATH resize SIZE [--node N=SIZE...] [--wait]
 *              [--timeout SEC]
 *   balloonctl --qmp PATH [--qmp PATH...] resize --all SIZE|PCT% [--wait]
 *   balloonctl --qmp PATH [--qmp PATH...] watch [--interval MS] [--count N]
 *
 *   balloonctl -c URI status [DOMAIN...] [--json]
 *   balloonctl -c URI resize DOMAIN SIZE [--wait] ...
 *   balloonctl -c URI resize --all SIZE [--wait] ...
 *
 *   balloonctl auto-status [--state FILE] [--json]
 *              (what ubf-autod decided, from its state file)
 *
 * Targets are QMP sockets of our QEMU, or libvirt domains (commands go
 * through libvirt's QEMU monitor pass-through, so growing past libvirt's
 * own memory limit works).  Exit status: 0 done, 1 refused (bad input,
 * with the reason), 2 stalled or timed out, 3 connection failure.
 * --wait outlives a libvirtd restart: the resize goes on in QEMU, so
 * balloonctl reconnects and keeps waiting until --timeout.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "qmp-client.h"
#include "size.h"
#include "vm-target.h"

#define EXIT_DONE 0
#define EXIT_REFUSED 1
#define EXIT_STALLED 2
#define EXIT_CONNECT 3

typedef struct Target {
    UbfVmTarget vm;
    gint64 target;          /* requested size (resize) */
    int result;             /* exit status for this target */
    gboolean done;
    gboolean lost;          /* libvirt connection lost, reconnecting */
} Target;

static const char *libvirt_uri;

static void die(int code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void die(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("balloonctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

static void target_connect(Target *t)
{
    g_autoptr(GError) err = NULL;

    if (!ubf_vm_target_connect(&t->vm, &err)) {
        die(EXIT_CONNECT, "%s: cannot connect: %s", t->vm.name, err->message);
    }
}

static JsonObject *target_try_query(Target *t, GError **error)
{
    g_autoptr(JsonNode) ret = ubf_vm_target_execute(&t->vm,
                                                    "query-memory-resize",
                                                    NULL, error);

    return ret ? json_object_ref(json_node_get_object(ret)) : NULL;
}

static JsonObject *target_query(Target *t)
{
    g_autoptr(GError) err = NULL;
    JsonObject *info = target_try_query(t, &err);

    if (!info) {
        if (g_error_matches(err, UBF_QMP_ERROR, UBF_QMP_ERROR_COMMAND)) {
            die(EXIT_REFUSED, "%s: %s", t->vm.name, err->message);
        }
        die(EXIT_CONNECT, "%s: %s", t->vm.name, err->message);
    }
    return info;
}

/* libvirtd went away: find the domain again (see vm-target.h). */
static gboolean target_reconnect(Target *t)
{
    int ret = ubf_vm_target_reconnect(&t->vm, libvirt_uri);

    if (ret < 0) {
        die(EXIT_STALLED, "%s: the domain stopped while libvirtd was away",
            t->vm.name);
    }
    return ret > 0;
}

static char *fmt_size(gint64 bytes)
{
    return ubf_size_format(bytes);
}

/* ---- status ---- */

/* Automatic sizing, on a line of its own under the VM's, when on. */
static void status_auto_line(JsonObject *info)
{
    JsonObject *a = json_object_has_member(info, "automatic") ?
                    json_object_get_object_member(info, "automatic") : NULL;
    g_autofree char *lo = NULL, *hi = NULL, *demand = NULL, *ceil = NULL;
    g_autofree char *node = NULL, *node_max = NULL;

    if (!a || !json_object_get_boolean_member(a, "enabled")) {
        return;
    }
    lo = fmt_size(json_object_get_int_member(a, "minimum"));
    hi = fmt_size(json_object_get_int_member(a, "maximum"));
    demand = json_object_has_member(a, "demand") ?
             fmt_size(json_object_get_int_member(a, "demand")) :
             g_strdup("unknown");
    ceil = json_object_has_member(a, "ceiling") ?
           fmt_size(json_object_get_int_member(a, "ceiling")) :
           g_strdup("none");
    if (json_object_has_member(a, "node-maximum")) {
        node_max = fmt_size(json_object_get_int_member(a, "node-maximum"));
        node = g_strdup_printf(", at most %s per node", node_max);
    } else {
        node = g_strdup("");
    }
    printf("  auto: %s, demand %s, %s to %s%s, ceiling %s, buffer %"
           G_GINT64_FORMAT "%%, weight %" G_GINT64_FORMAT "\n",
           json_object_get_string_member(a, "reason"), demand, lo, hi, node,
           ceil, json_object_get_int_member(a, "buffer"),
           json_object_get_int_member(a, "weight"));
}

static void status_row(Target *t, JsonObject *info)
{
    JsonArray *backends = json_object_get_array_member(info, "backends");
    JsonArray *nodes = json_object_get_array_member(info, "nodes");
    g_autoptr(GString) b = g_string_new(NULL);
    g_autoptr(GString) n = g_string_new(NULL);
    g_autofree char *boot = NULL, *target = NULL, *actual = NULL;
    gint64 boot_sum = 0;
    guint i;

    for (i = 0; i < json_array_get_length(backends); i++) {
        JsonObject *o = json_array_get_object_element(backends, i);

        g_string_append_printf(b, "%s%s:%s%s", i ? "," : "",
                               json_object_get_string_member(o, "id"),
                               json_object_get_string_member(o, "type"),
                               json_object_get_boolean_member(
                                   o, "driver-connected") ? "*" : "");
    }
    for (i = 0; i < json_array_get_length(nodes); i++) {
        JsonObject *o = json_array_get_object_element(nodes, i);
        g_autofree char *s = fmt_size(json_object_get_int_member(o, "actual"));

        boot_sum += json_object_get_int_member(o, "boot");
        g_string_append_printf(n, "%s%" G_GINT64_FORMAT "=%s", i ? " " : "",
                               json_object_get_int_member(o, "node"), s);
    }
    boot = fmt_size(boot_sum);
    target = fmt_size(json_object_get_int_member(info, "target"));
    actual = fmt_size(json_object_get_int_member(info, "actual"));
    printf("%-16s %-10s %-10s %-10s %-16s %s  [%s]\n", t->vm.name, boot,
           target, actual, json_object_get_string_member(info, "state"),
           n->str, b->str);
    status_auto_line(info);
}

static void status_json(JsonBuilder *jb, Target *t, JsonObject *info)
{
    JsonArray *nodes = json_object_get_array_member(info, "nodes");
    gint64 boot = 0;
    guint i;

    for (i = 0; i < json_array_get_length(nodes); i++) {
        boot += json_object_get_int_member(
            json_array_get_object_element(nodes, i), "boot");
    }
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "name");
    json_builder_add_string_value(jb, t->vm.name);
    json_builder_set_member_name(jb, "boot");
    json_builder_add_int_value(jb, boot);
    json_builder_set_member_name(jb, "target");
    json_builder_add_int_value(jb, json_object_get_int_member(info, "target"));
    json_builder_set_member_name(jb, "actual");
    json_builder_add_int_value(jb, json_object_get_int_member(info, "actual"));
    json_builder_set_member_name(jb, "state");
    json_builder_add_string_value(jb, json_object_get_string_member(info,
                                                                    "state"));
    json_builder_set_member_name(jb, "backends");
    json_builder_add_value(jb, json_node_copy(
        json_object_get_member(info, "backends")));
    json_builder_set_member_name(jb, "nodes");
    json_builder_add_value(jb, json_node_copy(
        json_object_get_member(info, "nodes")));
    if (json_object_has_member(info, "automatic")) {
        json_builder_set_member_name(jb, "automatic");
        json_builder_add_value(jb, json_node_copy(
            json_object_get_member(info, "automatic")));
    }
    json_builder_end_object(jb);
}

/* ---- auto-status: what ubf-autod decided (its state file) ---- */

static int cmd_auto_status(const char *path, gboolean as_json)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *supply = NULL;
    JsonObject *st;
    JsonArray *vms;
    guint i;

    if (!json_parser_load_from_mapped_file(parser, path, &err)) {
        die(EXIT_CONNECT, "%s: %s (is ubf-autod running?)", path,
            err->message);
    }
    if (as_json) {
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autofree char *text = NULL;

        json_generator_set_root(gen, json_parser_get_root(parser));
        json_generator_set_pretty(gen, TRUE);
        text = json_generator_to_data(gen, NULL);
        printf("%s\n", text);
        return EXIT_DONE;
    }
    st = json_node_get_object(json_parser_get_root(parser));
    supply = fmt_size(json_object_get_int_member(st, "supply"));
    printf("host: %s to give, %s, memory pressure %.1f %%, %" G_GINT64_FORMAT
           " s ago\n", supply, json_object_get_boolean_member(st, "short") ?
           "short: ceilings by weight" : "not short",
           json_object_get_double_member(st, "psi-some-avg10"),
           g_get_real_time() / G_USEC_PER_SEC -
           json_object_get_int_member(st, "time"));
    printf("%-16s %-10s %-10s %-10s %-10s %-10s %s\n", "NAME", "ACTUAL",
           "DEMAND", "WANTS", "SHARE", "CEILING", "WEIGHT");
    vms = json_object_get_array_member(st, "vms");
    for (i = 0; i < json_array_get_length(vms); i++) {
        JsonObject *v = json_array_get_object_element(vms, i);
        g_autofree char *actual = NULL, *demand = NULL, *want = NULL;
        g_autofree char *share = NULL, *ceiling = NULL;

        actual = fmt_size(json_object_get_int_member(v, "actual"));
        demand = json_object_get_int_member(v, "demand") < 0 ?
                 g_strdup("-") :
                 fmt_size(json_object_get_int_member(v, "demand"));
        want = json_object_get_int_member(v, "want") < 0 ? g_strdup("-") :
               fmt_size(json_object_get_int_member(v, "want"));
        share = fmt_size(json_object_get_int_member(v, "share"));
        ceiling = json_object_get_int_member(v, "ceiling") ?
                  fmt_size(json_object_get_int_member(v, "ceiling")) :
                  g_strdup("none");
        printf("%-16s %-10s %-10s %-10s %-10s %-10s %" G_GINT64_FORMAT
               "%s\n", json_object_get_string_member(v, "name"), actual,
               demand, want, share, ceiling,
               json_object_get_int_member(v, "weight"),
               json_object_get_boolean_member(v, "managed") ? "" :
               " (not automatic)");
    }
    return EXIT_DONE;
}

static int cmd_status(GPtrArray *targets, gboolean as_json)
{
    g_autoptr(JsonBuilder) jb = json_builder_new();
    guint i;

    if (as_json) {
        json_builder_begin_array(jb);
    } else {
        printf("%-16s %-10s %-10s %-10s %-16s %s  [%s]\n", "NAME", "BOOT",
               "TARGET", "ACTUAL", "STATE", "NODES", "BACKENDS (*=driver)");
    }
    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];
        g_autoptr(JsonObject) info = target_query(t);

        if (as_json) {
            status_json(jb, t, info);
        } else {
            status_row(t, info);
        }
    }
    if (as_json) {
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
    return EXIT_DONE;
}

/* ---- resize ---- */

static void resize_start(Target *t, const char *size_text, char **node_args)
{
    g_autoptr(JsonObject) info = target_query(t);
    g_autoptr(JsonBuilder) jb = json_builder_new();
    g_autoptr(JsonNode) args = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(GError) err = NULL;
    gint64 actual = json_object_get_int_member(info, "actual");
    guint i;

    json_builder_begin_object(jb);
    if (size_text) {
        if (!ubf_size_parse(size_text, actual, &t->target, &err)) {
            die(EXIT_REFUSED, "%s", err->message);
        }
        json_builder_set_member_name(jb, "size");
        json_builder_add_int_value(jb, t->target);
    }
    if (node_args && node_args[0]) {
        json_builder_set_member_name(jb, "nodes");
        json_builder_begin_array(jb);
        for (i = 0; node_args[i]; i++) {
            g_auto(GStrv) kv = g_strsplit(node_args[i], "=", 2);
            char *end;
            guint64 node;
            gint64 size;

            node = kv[0] ? g_ascii_strtoull(kv[0], &end, 10) : 0;
            if (!kv[0] || !kv[1] || !*kv[0] || *end) {
                die(EXIT_REFUSED, "invalid --node '%s': expected N=SIZE",
                    node_args[i]);
            }
            if (!ubf_size_parse(kv[1], actual, &size, &err)) {
                die(EXIT_REFUSED, "--node %s: %s", node_args[i],
                    err->message);
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
    args = json_builder_get_root(jb);
    ret = ubf_vm_target_execute(&t->vm, "memory-resize",
                                json_node_get_object(args), &err);
    if (!ret) {
        if (g_error_matches(err, UBF_QMP_ERROR, UBF_QMP_ERROR_COMMAND)) {
            /* "GenericError: Parameter 'size' expects ..." */
            const char *msg = strchr(err->message, ':');

            die(EXIT_REFUSED, "%s: %s", t->vm.name,
                msg ? msg + 2 : err->message);
        }
        die(EXIT_CONNECT, "%s: %s", t->vm.name, err->message);
    }
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

/*
 * Wait until every target's resize stopped, showing progress: reached
 * (idle at its target), stalled, or failed.  Polls query-memory-resize,
 * which works the same through libvirt.
 */
static int resize_wait(GPtrArray *targets, int timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * 1000000;
    gboolean tty = isatty(STDOUT_FILENO);
    gint64 last_line = 0;
    int worst = EXIT_DONE;
    guint i, left = targets->len;

    while (left) {
        gboolean line_due = g_get_monotonic_time() - last_line >
                            G_USEC_PER_SEC;

        for (i = 0; i < targets->len; i++) {
            Target *t = targets->pdata[i];
            g_autoptr(JsonObject) info = NULL;
            g_autoptr(GError) err = NULL;
            const char *state;

            if (t->done) {
                continue;
            }
            if (t->lost && !target_reconnect(t)) {
                continue;
            }
            if (t->lost) {
                printf("%s%s: libvirt connection back, still waiting\n",
                       tty ? "\n" : "", t->vm.name);
                t->lost = FALSE;
            }
            info = target_try_query(t, &err);
            if (!info && t->vm.dom &&
                !g_error_matches(err, UBF_QMP_ERROR, UBF_QMP_ERROR_COMMAND)) {
                /* the resize goes on in QEMU: wait for libvirtd */
                printf("%s%s: libvirt connection lost (%s), reconnecting\n",
                       tty ? "\n" : "", t->vm.name, err->message);
                fflush(stdout);
                g_clear_error(&err);
                t->lost = TRUE;
                continue;
            }
            if (!info) {
                die(g_error_matches(err, UBF_QMP_ERROR,
                                    UBF_QMP_ERROR_COMMAND) ?
                    EXIT_REFUSED : EXIT_CONNECT, "%s: %s", t->vm.name,
                    err->message);
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
                printf("%s: %s\n", t->vm.name,
                       t->result == EXIT_DONE ? "done" :
                       t->result == EXIT_REFUSED ? "failed" : "stalled");
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
            g_usleep(200 * 1000);
        }
    }
    return worst;
}

/* ---- watch ---- */

static int cmd_watch(GPtrArray *targets, int interval_ms, int count)
{
    gboolean tty = isatty(STDOUT_FILENO);
    int n;

    for (n = 0; count <= 0 || n < count; n++) {
        if (tty) {
            printf("\033[H\033[2J");
        }
        cmd_status(targets, FALSE);
        fflush(stdout);
        if (count <= 0 || n + 1 < count) {
            g_usleep((gulong)interval_ms * 1000);
        }
    }
    return EXIT_DONE;
}

/* libvirt prints errors itself by default: keep stderr to one line. */
static void libvirt_quiet(void *opaque, virErrorPtr err)
{
}

static Target *libvirt_target(virDomainPtr dom)
{
    Target *t = g_new0(Target, 1);
    g_autoptr(GError) err = NULL;

    if (!ubf_vm_target_init_domain(&t->vm, dom, &err)) {
        die(EXIT_CONNECT, "%s", err->message);
    }
    return t;
}

/* Add the running domains called @names, or all running ones. */
static void libvirt_targets(virConnectPtr conn, GPtrArray *targets,
                            char **names, int nnames)
{
    int i;

    if (nnames == 0) {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(conn, &doms,
                                         VIR_CONNECT_LIST_DOMAINS_ACTIVE);

        if (n < 0) {
            die(EXIT_CONNECT, "cannot list domains: %s",
                virGetLastErrorMessage());
        }
        for (i = 0; i < n; i++) {
            g_ptr_array_add(targets, libvirt_target(doms[i]));
        }
        free(doms);
        return;
    }
    for (i = 0; i < nnames; i++) {
        virDomainPtr dom = virDomainLookupByName(conn, names[i]);

        if (!dom) {
            die(EXIT_REFUSED, "unknown domain '%s'", names[i]);
        }
        if (virDomainIsActive(dom) != 1) {
            die(EXIT_REFUSED, "domain '%s' is not running", names[i]);
        }
        g_ptr_array_add(targets, libvirt_target(dom));
    }
}

int main(int argc, char **argv)
{
    g_auto(GStrv) qmp_paths = NULL;
    g_auto(GStrv) node_args = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *state_path = NULL;
    virConnectPtr conn = NULL;
    gboolean as_json = FALSE, wait = FALSE, all = FALSE;
    int timeout = 600, interval = 1000, count = 0;
    GOptionEntry entries[] = {
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
          "libvirt connection URI (qemu:///system, qemu+ssh://host/system)",
          "URI" },
        { "qmp", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &qmp_paths,
          "QMP socket of a VM, optionally named (repeat for several)",
          "[NAME=]PATH" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &as_json,
          "status: JSON, sizes in bytes", NULL },
        { "node", 0, 0, G_OPTION_ARG_STRING_ARRAY, &node_args,
          "resize: size of node N (repeat)", "N=SIZE" },
        { "wait", 0, 0, G_OPTION_ARG_NONE, &wait,
          "resize: wait until done or stalled", NULL },
        { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
          "resize --wait: give up after SEC seconds (default 600)", "SEC" },
        { "all", 0, 0, G_OPTION_ARG_NONE, &all,
          "resize: every target", NULL },
        { "interval", 0, 0, G_OPTION_ARG_INT, &interval,
          "watch: refresh every MS milliseconds (default 1000)", "MS" },
        { "state", 0, 0, G_OPTION_ARG_FILENAME, &state_path,
          "auto-status: ubf-autod's state file (default "
          "/run/ubf-autod/state.json)", "FILE" },
        { "count", 0, 0, G_OPTION_ARG_INT, &count,
          "watch: stop after N refreshes (default: never)", "N" },
        { NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "status [DOMAIN...] | resize [VM] SIZE | watch | auto-status");
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) targets = g_ptr_array_new();
    const char *cmd;
    char *negative = NULL;
    guint i;

    /*
     * A relative size ("-512M") looks like an option: take it out of
     * GOption's way; it is the last positional argument (SIZE).
     */
    for (i = 1; i < (guint)argc; i++) {
        if (argv[i][0] == '-' && g_ascii_isdigit(argv[i][1])) {
            if (negative) {
                die(EXIT_REFUSED, "more than one size given");
            }
            negative = argv[i];
            memmove(&argv[i], &argv[i + 1], (argc - i) * sizeof(*argv));
            argc--;
            i--;
        }
    }
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(ctx, "Resize running guests through the "
                                 "unified balloon frontend.\nExit status: 0 "
                                 "done, 1 refused, 2 stalled or timed out, "
                                 "3 connection failure.");
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        die(EXIT_REFUSED, "%s", err->message);
    }
    if (negative) {
        argv[argc++] = negative;
        argv[argc] = NULL;
    }
    if (argc < 2) {
        die(EXIT_REFUSED, "no command (status, resize, watch or "
            "auto-status); see --help");
    }
    if (!strcmp(argv[1], "auto-status")) {
        return cmd_auto_status(state_path ? state_path :
                               "/run/ubf-autod/state.json", as_json);
    }
    if ((!qmp_paths || !qmp_paths[0]) && !uri) {
        die(EXIT_REFUSED, "no target: give -c URI or --qmp PATH");
    }
    if (uri) {
        /*
         * A write to a libvirtd that just went away must fail with EPIPE
         * (and a reconnect), not kill us: libvirt leaves SIGPIPE to us.
         */
        signal(SIGPIPE, SIG_IGN);
        virSetErrorFunc(NULL, libvirt_quiet);
        libvirt_uri = uri;
        conn = virConnectOpen(uri);
        if (!conn) {
            die(EXIT_CONNECT, "cannot connect to %s: %s", uri,
                virGetLastErrorMessage());
        }
    }
    if (timeout < 1 || interval < 10) {
        die(EXIT_REFUSED, "--timeout must be at least 1 s and --interval at "
            "least 10 ms");
    }
    for (i = 0; qmp_paths && qmp_paths[i]; i++) {
        Target *t = g_new0(Target, 1);
        char *eq = strchr(qmp_paths[i], '=');

        /* NAME=PATH names the VM; a bare PATH is named by its file. */
        if (eq && eq != qmp_paths[i]) {
            g_autofree char *name = g_strndup(qmp_paths[i],
                                              eq - qmp_paths[i]);

            ubf_vm_target_init_qmp(&t->vm, name, eq + 1);
        } else {
            ubf_vm_target_init_qmp(&t->vm, NULL, qmp_paths[i]);
        }
        g_ptr_array_add(targets, t);
    }

    cmd = argv[1];
    if (!strcmp(cmd, "status")) {
        if (argc > 2 && !conn) {
            die(EXIT_REFUSED, "status takes domain names only with -c URI");
        }
        if (conn) {
            libvirt_targets(conn, targets, argv + 2, argc - 2);
        }
        for (i = 0; i < targets->len; i++) {
            target_connect(targets->pdata[i]);
        }
        return cmd_status(targets, as_json);
    }
    if (!strcmp(cmd, "watch")) {
        if (conn) {
            libvirt_targets(conn, targets, NULL, 0);
        }
        for (i = 0; i < targets->len; i++) {
            target_connect(targets->pdata[i]);
        }
        return cmd_watch(targets, interval, count);
    }
    if (strcmp(cmd, "resize")) {
        die(EXIT_REFUSED, "unknown command '%s' (status, resize, watch or "
            "auto-status)", cmd);
    }

    /* resize [VM] SIZE, resize [VM] --node N=SIZE..., resize --all SIZE */
    {
        gboolean nodes = node_args && node_args[0];
        int npos = argc - 2;                /* arguments after "resize" */
        int want = nodes ? 0 : 1;           /* SIZE, unless --node */
        const char *name = npos == want + 1 ? argv[2] : NULL;
        const char *size_text = nodes ? NULL : argv[argc - 1];
        Target *chosen = NULL;

        if (npos != want && npos != want + 1) {
            die(EXIT_REFUSED, "resize takes [VM] SIZE, or [VM] --node "
                "N=SIZE...");
        }
        if (all && (name || nodes)) {
            die(EXIT_REFUSED, "resize --all takes one SIZE and no VM");
        }
        if (conn && all) {
            libvirt_targets(conn, targets, NULL, 0);
        }
        if (!all && !name && targets->len > 1) {
            die(EXIT_REFUSED, "several targets: name the VM or use --all");
        }
        for (i = 0; name && i < targets->len; i++) {
            Target *t = targets->pdata[i];

            if (!strcmp(t->vm.name, name) || !strcmp(t->vm.path, name)) {
                chosen = t;
            }
        }
        if (name && !chosen && conn) {
            libvirt_targets(conn, targets, (char **)&name, 1);
            chosen = targets->pdata[targets->len - 1];
        }
        if (name && !chosen) {
            die(EXIT_REFUSED, "unknown VM '%s'", name);
        }
        if (!all && !name && conn) {
            die(EXIT_REFUSED, "name the domain to resize, or use --all");
        }
        if (chosen) {
            g_ptr_array_set_size(targets, 0);
            g_ptr_array_add(targets, chosen);
        }
        /* Connect to all first: a fleet resize does not start half-way. */
        for (i = 0; i < targets->len; i++) {
            target_connect(targets->pdata[i]);
        }
        for (i = 0; i < targets->len; i++) {
            resize_start(targets->pdata[i], size_text, node_args);
        }
    }
    return wait ? resize_wait(targets, timeout) : EXIT_DONE;
}
