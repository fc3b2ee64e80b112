/*
 * balloonctl: output formats (the status table, JSON, OpenMetrics) and
 * auto-status (what ubf-autod decided, from its state file)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdio.h>
#include <string.h>

#include "balloonctl.h"
#include "size.h"

char *fmt_size(gint64 bytes)
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

void status_row(Target *t, JsonObject *info)
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

void status_json(JsonBuilder *jb, Target *t, JsonObject *info)
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
    if (t->host) {
        json_builder_set_member_name(jb, "host");
        json_builder_add_string_value(jb, t->host->label);
        json_builder_set_member_name(jb, "uri");
        json_builder_add_string_value(jb, t->host->uri);
    }
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

/* Does @root look like what ubf-autod writes, every member there? */
static gboolean auto_state_valid(JsonNode *root)
{
    static const char *const top[] = { "time", "supply", "short",
                                       "psi-some-avg10", NULL };
    static const char *const vm[] = { "name", "managed", "actual", "demand",
                                      "want", "share", "ceiling", "weight",
                                      NULL };
    JsonObject *st;
    JsonArray *vms;
    guint i, k;

    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        return FALSE;
    }
    st = json_node_get_object(root);
    for (k = 0; top[k]; k++) {
        JsonNode *m = json_object_get_member(st, top[k]);

        if (!m || !JSON_NODE_HOLDS_VALUE(m)) {
            return FALSE;
        }
    }
    if (!json_object_has_member(st, "vms") ||
        !JSON_NODE_HOLDS_ARRAY(json_object_get_member(st, "vms"))) {
        return FALSE;
    }
    vms = json_object_get_array_member(st, "vms");
    for (i = 0; i < json_array_get_length(vms); i++) {
        JsonNode *e = json_array_get_element(vms, i);

        if (!JSON_NODE_HOLDS_OBJECT(e)) {
            return FALSE;
        }
        for (k = 0; vm[k]; k++) {
            JsonNode *m = json_object_get_member(json_node_get_object(e),
                                                 vm[k]);

            if (!m || !JSON_NODE_HOLDS_VALUE(m)) {
                return FALSE;
            }
        }
    }
    return TRUE;
}

int cmd_auto_status(const char *path, gboolean as_json)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *supply = NULL;
    g_autofree char *text = NULL;
    JsonObject *st;
    JsonArray *vms;
    guint i;

    if (access(path, R_OK) < 0) {
        die(EXIT_CONNECT, "cannot read %s: %s (is ubf-autod running?)",
            path, g_strerror(errno));
    }
    if (!g_file_get_contents(path, &text, NULL, &err)) {
        die(EXIT_CONNECT, "%s (is ubf-autod running?)", err->message);
    }
    if (!json_parser_load_from_data(parser, text, -1, NULL) ||
        !auto_state_valid(json_parser_get_root(parser))) {
        die(EXIT_CONNECT, "%s: not a state file of ubf-autod's", path);
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

/* ---- status --format openmetrics ---- */

/* @v as an OpenMetrics label value: backslash, quote, newline escaped. */
static void om_escape(GString *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') {
            g_string_append_c(out, '\\');
            g_string_append_c(out, *v);
        } else if (*v == '\n') {
            g_string_append(out, "\\n");
        } else {
            g_string_append_c(out, *v);
        }
    }
}

/* The labels of @t: host and domain (the bare domain name). */
static void om_labels(GString *out, Target *t)
{
    g_string_append(out, "host=\"");
    om_escape(out, t->host ? t->host->label : g_get_host_name());
    g_string_append(out, "\",domain=\"");
    om_escape(out, t->vm.dom ? virDomainGetName(t->vm.dom) : t->vm.name);
    g_string_append_c(out, '"');
}

static void om_family(GString *out, const char *name, const char *type,
                      const char *unit, const char *help)
{
    g_string_append_printf(out, "# TYPE %s %s\n", name, type);
    if (unit) {
        g_string_append_printf(out, "# UNIT %s %s\n", name, unit);
    }
    g_string_append_printf(out, "# HELP %s %s\n", name, help);
}

/*
 * One sample of @name for @t: its labels, and @label="@label_value"
 * when @label is given.
 */
static void om_sample(GString *out, const char *name, Target *t,
                      const char *label, const char *label_value,
                      gint64 value)
{
    g_string_append_printf(out, "%s{", name);
    om_labels(out, t);
    if (label) {
        g_string_append_printf(out, ",%s=\"", label);
        om_escape(out, label_value);
        g_string_append_c(out, '"');
    }
    g_string_append_printf(out, "} %" G_GINT64_FORMAT "\n", value);
}

/* A gauge from member @member of each target's query (where present). */
static void om_gauge(GString *out, GPtrArray *targets, const char *name,
                     const char *help, const char *object, const char *member)
{
    guint i;

    om_family(out, name, "gauge", "bytes", help);
    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];
        JsonObject *o = t->info;

        if (object) {
            o = json_object_has_member(o, object) ?
                json_object_get_object_member(o, object) : NULL;
        }
        if (!o || !json_object_has_member(o, member)) {
            continue;
        }
        om_sample(out, name, t, NULL, NULL,
                  json_object_get_int_member(o, member));
    }
}

/* A per-node gauge from member @member of each node. */
static void om_node_gauge(GString *out, GPtrArray *targets, const char *name,
                          const char *help, const char *member)
{
    guint i, n;

    om_family(out, name, "gauge", "bytes", help);
    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];
        JsonArray *nodes = json_object_get_array_member(t->info, "nodes");

        for (n = 0; n < json_array_get_length(nodes); n++) {
            JsonObject *o = json_array_get_object_element(nodes, n);
            g_autofree char *node = NULL;

            if (!json_object_has_member(o, member)) {
                continue;
            }
            node = g_strdup_printf("%" G_GINT64_FORMAT,
                                   json_object_get_int_member(o, "node"));
            om_sample(out, name, t, "node", node,
                      json_object_get_int_member(o, member));
        }
    }
}

/*
 * The Prometheus/OpenMetrics text format: one family per figure, every
 * domain a sample with labels host and domain, then whether each host
 * answered.
 */
void status_openmetrics(GPtrArray *targets)
{
    static const char *const states[] = {
        "idle", "resizing", "stalled", "no-guest-driver", "failed"
    };
    g_autoptr(GString) out = g_string_new(NULL);
    guint i, s;

    om_family(out, "ubf_memory_boot_bytes", "gauge", "bytes",
              "Boot memory of the guest.");
    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];
        JsonArray *nodes = json_object_get_array_member(t->info, "nodes");
        gint64 boot = 0;
        guint n;

        for (n = 0; n < json_array_get_length(nodes); n++) {
            boot += json_object_get_int_member(
                json_array_get_object_element(nodes, n), "boot");
        }
        om_sample(out, "ubf_memory_boot_bytes", t, NULL, NULL, boot);
    }
    om_gauge(out, targets, "ubf_memory_target_bytes",
             "Guest size last requested.", NULL, "target");
    om_gauge(out, targets, "ubf_memory_actual_bytes",
             "Guest size now.", NULL, "actual");
    om_gauge(out, targets, "ubf_memory_max_size_bytes",
             "Largest size a request may ask for now.", NULL, "max-size");
    om_node_gauge(out, targets, "ubf_memory_node_actual_bytes",
                  "Size of a NUMA node of the guest.", "actual");
    om_node_gauge(out, targets, "ubf_memory_node_maximum_bytes",
                  "Largest size a NUMA node of the guest can reach.",
                  "maximum");
    om_gauge(out, targets, "ubf_memory_auto_demand_bytes",
             "Demand the guest reports, with automatic sizing on.",
             "automatic", "demand");
    om_gauge(out, targets, "ubf_memory_auto_desired_bytes",
             "Size automatic sizing wants: demand plus buffer, in limits.",
             "automatic", "desired");

    /* hv-balloon's cold discard hints: a counter per backend offering them */
    om_family(out, "ubf_memory_free_page_hints_bytes", "counter", "bytes",
              "Memory the guest reported free (free page hints).");
    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];
        JsonArray *backends = json_object_get_array_member(t->info,
                                                           "backends");
        guint b;

        for (b = 0; b < json_array_get_length(backends); b++) {
            JsonObject *o = json_array_get_object_element(backends, b);

            if (!json_object_has_member(o, "free-page-hints")) {
                continue;
            }
            om_sample(out, "ubf_memory_free_page_hints_bytes_total", t,
                      "backend", json_object_get_string_member(o, "id"),
                      json_object_get_int_member(
                          json_object_get_object_member(o, "free-page-hints"),
                          "bytes"));
        }
    }

    om_family(out, "ubf_memory_resize_state", "stateset", NULL,
              "What the frontend is doing.");
    for (i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];
        const char *state = json_object_get_string_member(t->info, "state");

        for (s = 0; s < G_N_ELEMENTS(states); s++) {
            om_sample(out, "ubf_memory_resize_state", t,
                      "ubf_memory_resize_state", states[s],
                      !strcmp(state, states[s]));
        }
    }
    if (hosts->len) {
        om_family(out, "ubf_host_up", "gauge", NULL,
                  "1 if the host's libvirt answered, else 0.");
        for (i = 0; i < hosts->len; i++) {
            Host *h = hosts->pdata[i];

            g_string_append(out, "ubf_host_up{host=\"");
            om_escape(out, h->label);
            g_string_append_printf(out, "\"} %d\n", !h->result);
        }
    }
    g_string_append(out, "# EOF\n");
    fputs(out->str, stdout);
}
