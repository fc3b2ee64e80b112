/*
 * balloonctl: what its parts share
 *
 *   balloonctl.c          options, the commands (status, resize, watch),
 *                         targets given with --qmp
 *   balloonctl-hosts.c    libvirt hosts: connections, their threads,
 *                         events, reconnecting, rollback
 *   balloonctl-output.c   output formats: the table, JSON, OpenMetrics,
 *                         auto-status
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef BALLOONCTL_H
#define BALLOONCTL_H

#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "qmp-client.h"
#include "vm-target.h"

#define EXIT_DONE 0
#define EXIT_REFUSED 1
#define EXIT_STALLED 2
#define EXIT_CONNECT 3

/* --wait without events: how often each target is asked. */
#define POLL_MS 200
/* ...with events: asked anyway this often, in case one is lost. */
#define EVENT_FALLBACK_MS 10000
/* Hosts worked on at once, by default. */
#define DEFAULT_PARALLEL 16
/*
 * libvirt's client sets no time limit on opening a connection (a
 * libvirtd that accepts and never answers holds virConnectOpen() for
 * good): a host whose part of a pass has not ended this long after it
 * started is reported as not answering and left behind.  Calls on an
 * open connection end when libvirt's keepalive gives up: a probe every
 * HOST_KEEPALIVE_S, three unanswered.
 */
#define HOST_TIMEOUT_S 15
#define HOST_KEEPALIVE_S 2

typedef struct Host Host;

typedef struct Target {
    UbfVmTarget vm;
    Host *host;             /* its libvirt host; NULL for --qmp */
    gint64 target;          /* requested size (resize) */
    gint64 prev_target;     /* its target before ours, for a rollback */
    gboolean started;       /* our request was taken */
    JsonObject *info;       /* last query-memory-resize (status) */
    int result;             /* exit status for this target */
    char *error;            /* why it failed, for its line */
    gboolean done;
    gboolean lost;          /* libvirt connection lost, reconnecting */
    gboolean poll_only;     /* events do not reach it (reconnected) */
    gint event;             /* an event arrived since the last query */
    gint64 last_query;      /* monotonic time of the last query */
} Target;

/* One libvirt connection: a host of the fleet. */
struct Host {
    char *uri;
    char *label;            /* in target names and messages */
    virConnectPtr conn;
    int result;             /* EXIT_DONE, or why the host failed */
    char *error;
    GPtrArray *targets;     /* Target *, its domains */
    GPtrArray *missing;     /* names asked for that it does not have */
    int events[2];          /* callback ids, -1: none */
    /* under hosts_lock: */
    gboolean running;       /* its part of this pass is queued or running */
    gint64 started;         /* monotonic time its part started, 0: not yet */
    gboolean abandoned;     /* too slow: its thread's results not taken */
};

/* What every host's thread is to do (set before they start). */
typedef struct Job {
    char **names;           /* domains asked for, NULL: all running */
    int nnames;
    gboolean resize;
    const char *size_text;
    char **node_args;
    gboolean events;        /* register for events (--wait, watch) */
    gboolean apply;         /* second pass: make the requests */
} Job;

typedef enum {
    FORMAT_TABLE,
    FORMAT_JSON,
    FORMAT_OPENMETRICS,
} Format;

/* The hosts of this run (Host *), what their threads are to do. */
extern GPtrArray *hosts;
extern Job job;
/* Events from any host: a target has news (under event_lock). */
extern GMutex event_lock;
extern GCond event_cond;
extern gboolean events_on;

/* balloonctl.c */

/* Say why on stderr ("balloonctl: ..."), exit with @code. */
G_NORETURN void die(int code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * Resize @t: without @apply only find out what it is to be asked (so
 * that a host's domains are all reached before any is resized), with
 * @apply ask.  EXIT_DONE or the failure (@t's line says why).
 */
int resize_start(Target *t, const char *size_text, char **node_args,
                 gboolean apply);

/* balloonctl-hosts.c */

/* A failure of @t: its line, its status (the worst kept). */
void target_fail(Target *t, int code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* query-memory-resize of @t (NULL and @error if it did not answer). */
JsonObject *target_try_query(Target *t, GError **error);
/* EXIT_REFUSED when the VM refused, EXIT_CONNECT when unreachable. */
int target_error_code(GError *err);
/* libvirtd went away: find @t's domain again (see vm-target.h). */
gboolean target_reconnect(Target *t);

/* libvirt prints errors itself by default: keep stderr to one line. */
void libvirt_quiet(void *opaque, virErrorPtr err);
/* libvirt's event loop, for the monitor events (never returns). */
gpointer events_loop(gpointer unused);

/* A host (-c URI, or a fleet file's line), @label naming it. */
void host_add(const char *label, const char *uri);
/* Where two hosts' labels would be the same, the URIs name them. */
void hosts_label_uniquely(void);
/* The hosts of a fleet file: "URI" or "NAME URI" per line. */
void hosts_load_fleet(const char *path);
/*
 * Every host's part of this pass, @parallel at a time; a host that takes
 * longer than HOST_TIMEOUT_S is left behind.
 */
void hosts_run(int parallel);
/*
 * One line per host that failed and per domain no host has; the worst
 * status of those.
 */
int hosts_report(void);
/* Every target of every host that did not fail, in order. */
void hosts_targets(GPtrArray *targets);

/* balloonctl-output.c */

/* A size as balloonctl prints it (owned by the caller). */
char *fmt_size(gint64 bytes);
/* One target's line of the status table. */
void status_row(Target *t, JsonObject *info);
/* One target's object of status --json. */
void status_json(JsonBuilder *jb, Target *t, JsonObject *info);
/* status --format openmetrics for @targets. */
void status_openmetrics(GPtrArray *targets);
/* auto-status: what ubf-autod decided, from its state file @path. */
int cmd_auto_status(const char *path, gboolean as_json);

#endif
