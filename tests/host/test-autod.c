/*
 * ubf-autod never hangs: it runs against QMP sockets played by this
 * test (a VM that answers, one whose socket accepts but never speaks,
 * one whose socket is missing), and must
 *
 *   - say which VMs it cannot reach, and exit within a second of SIGTERM;
 *   - keep its memory bounded while a VM sends it events it never reads
 *     (HV_BALLOON_STATUS_REPORT, one a second from a real VM: here
 *     60,000 of them, the reports of 16 hours, as fast as they go);
 *   - find a VM again that comes back on the same socket.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#define AUTOD_EXIT_MS 1000
#define EVENTS 60000
#define RSS_GROWTH_MAX_KIB 1024

/* ---- a VM's QMP socket, played by a thread ---- */

typedef struct FakeVm {
    char *path;
    GSocket *listener;
    GThread *thread;
    gint stop;
    gint events_to_send;        /* status reports to flood, then stop */
    gint events_sent;
    gint commands;              /* commands answered */
} FakeVm;

static const char fake_greeting[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 13, \"minor\": 0, "
    "\"major\": 10}, \"package\": \"\"}, \"capabilities\": []}}\n";

/* query-memory-resize of a VM with automatic sizing on, 2 GiB */
static const char fake_resize[] =
    "{\"return\": {\"actual\": 2147483648, \"target\": 2147483648, "
    "\"state\": \"idle\", \"min-size\": 1073741824, "
    "\"max-size\": 4294967296, \"backends\": [], \"nodes\": [], "
    "\"automatic\": {\"enabled\": true, \"minimum\": 1073741824, "
    "\"maximum\": 4294967296, \"buffer\": 20, \"weight\": 100, "
    "\"demand\": 1073741824, \"desired\": 1288490188, "
    "\"reason\": \"steady\", \"grows\": 0, \"shrinks\": 0}}, "
    "\"id\": \"%s\"}\n";

static const char fake_event[] =
    "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
    "\"event\": \"HV_BALLOON_STATUS_REPORT\", \"data\": {\"committed\": "
    "1073741824, \"available\": 1073741824}}\n";

static gboolean fake_send(GSocket *s, const char *text)
{
    gsize len = strlen(text), done = 0;

    while (done < len) {
        gssize n = g_socket_send(s, text + done, len - done, NULL, NULL);

        if (n <= 0) {
            return FALSE;
        }
        done += n;
    }
    return TRUE;
}

/* The "id" of a request line, or "" */
static char *fake_id(const char *line)
{
    const char *at = strstr(line, "\"id\"");
    const char *q1, *q2;

    if (!at || !(q1 = strchr(at + 4, '"')) || !(q2 = strchr(q1 + 1, '"'))) {
        return g_strdup("");
    }
    return g_strndup(q1 + 1, q2 - q1 - 1);
}

/* Serve one client until it goes or the VM stops. */
static void fake_serve(FakeVm *f, GSocket *s)
{
    g_autoptr(GString) buf = g_string_new(NULL);

    g_socket_set_timeout(s, 0);
    if (!fake_send(s, fake_greeting)) {
        return;
    }
    while (!g_atomic_int_get(&f->stop)) {
        char chunk[4096];
        gssize n;
        char *nl;

        gboolean flood = g_atomic_int_get(&f->events_sent) <
                         g_atomic_int_get(&f->events_to_send);

        /* the flood goes on while the client is away between commands */
        if (flood) {
            if (!fake_send(s, fake_event)) {
                return;
            }
            g_atomic_int_inc(&f->events_sent);
        }
        if (!g_socket_condition_timed_wait(s, G_IO_IN, flood ? 0 : 1000,
                                           NULL, NULL)) {
            continue;
        }
        n = g_socket_receive(s, chunk, sizeof(chunk), NULL, NULL);
        if (n <= 0) {
            return;
        }
        g_string_append_len(buf, chunk, n);
        while ((nl = strchr(buf->str, '\n'))) {
            g_autofree char *line = g_strndup(buf->str, nl - buf->str);
            g_autofree char *id = fake_id(line);
            g_autofree char *reply = NULL;

            g_string_erase(buf, 0, nl - buf->str + 1);
            if (strstr(line, "query-memory-resize")) {
                reply = g_strdup_printf(fake_resize, id);
            } else {
                reply = g_strdup_printf("{\"return\": {}, \"id\": \"%s\"}\n",
                                        id);
            }
            if (!fake_send(s, reply)) {
                return;
            }
            g_atomic_int_inc(&f->commands);
        }
    }
}

static gpointer fake_thread(gpointer opaque)
{
    FakeVm *f = opaque;

    while (!g_atomic_int_get(&f->stop)) {
        g_autoptr(GSocket) s = NULL;

        if (!g_socket_condition_timed_wait(f->listener, G_IO_IN, 100000,
                                           NULL, NULL)) {
            continue;
        }
        s = g_socket_accept(f->listener, NULL, NULL);
        if (s) {
            fake_serve(f, s);
        }
    }
    return NULL;
}

static GSocket *listen_on(const char *path)
{
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    g_autoptr(GError) err = NULL;
    GSocket *s = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                              G_SOCKET_PROTOCOL_DEFAULT, &err);

    g_assert_no_error(err);
    g_assert_true(g_socket_bind(s, addr, TRUE, &err));
    g_assert_no_error(err);
    g_socket_set_listen_backlog(s, 4);
    g_assert_true(g_socket_listen(s, &err));
    g_assert_no_error(err);
    return s;
}

static FakeVm *fake_vm_start(const char *path)
{
    FakeVm *f = g_new0(FakeVm, 1);

    f->path = g_strdup(path);
    f->listener = listen_on(path);
    f->thread = g_thread_new("fake-vm", fake_thread, f);
    return f;
}

/* The VM goes away: its socket with it. */
static void fake_vm_stop(FakeVm *f)
{
    g_atomic_int_set(&f->stop, 1);
    g_thread_join(f->thread);
    g_socket_close(f->listener, NULL);
    g_object_unref(f->listener);
    g_unlink(f->path);
    g_free(f->path);
    g_free(f);
}

/* ---- ubf-autod ---- */

typedef struct Autod {
    GSubprocess *proc;
    char *dir;
    char *err_path;
} Autod;

/* ubf-autod with each of @values after @opt ("--qmp" or "-c") */
static Autod *autod_spawn(const char *dir, const char *opt,
                          const char *const *values)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GSubprocessLauncher) l = NULL;
    g_autoptr(GError) err = NULL;
    Autod *a = g_new0(Autod, 1);
    guint i;

    a->dir = g_strdup(dir);
    a->err_path = g_build_filename(dir, "autod.err", NULL);
    g_ptr_array_add(argv, g_strdup(g_getenv("UBF_AUTOD")));
    for (i = 0; values[i]; i++) {
        g_ptr_array_add(argv, g_strdup(opt));
        g_ptr_array_add(argv, g_strdup(values[i]));
    }
    g_ptr_array_add(argv, g_strdup("--budget"));
    g_ptr_array_add(argv, g_strdup("8G"));
    g_ptr_array_add(argv, g_strdup("--interval"));
    g_ptr_array_add(argv, g_strdup("200"));
    g_ptr_array_add(argv, g_strdup("--state"));
    g_ptr_array_add(argv, g_build_filename(dir, "state.json", NULL));
    g_ptr_array_add(argv, NULL);
    l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
    g_subprocess_launcher_set_stderr_file_path(l, a->err_path);
    g_subprocess_launcher_setenv(l, "G_MESSAGES_DEBUG", "", TRUE);
    a->proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata,
                                           &err);
    g_assert_no_error(err);
    return a;
}

static Autod *autod_start(const char *dir, const char *const *qmp)
{
    return autod_spawn(dir, "--qmp", qmp);
}

static char *autod_stderr(Autod *a)
{
    char *text = NULL;

    g_file_get_contents(a->err_path, &text, NULL, NULL);
    return text ? text : g_strdup("");
}

/* Wait up to @ms for @needle in ubf-autod's standard error. */
static gboolean autod_wait_says(Autod *a, const char *needle, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000LL;

    do {
        g_autofree char *text = autod_stderr(a);

        if (strstr(text, needle)) {
            return TRUE;
        }
        g_usleep(50 * 1000);
    } while (g_get_monotonic_time() < end);
    return FALSE;
}

static gint64 autod_rss_kib(Autod *a)
{
    g_autofree char *path = g_strdup_printf(
        "/proc/%s/status", g_subprocess_get_identifier(a->proc));
    g_autofree char *status = NULL;
    const char *line;

    g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
    line = strstr(status, "\nVmRSS:");
    g_assert_nonnull(line);
    return g_ascii_strtoll(line + strlen("\nVmRSS:"), NULL, 10);
}

/* SIGTERM; the time it took to exit, in ms */
static gint64 autod_stop(Autod *a)
{
    g_autoptr(GError) err = NULL;
    gint64 t0 = g_get_monotonic_time();

    g_subprocess_send_signal(a->proc, SIGTERM);
    g_assert_true(g_subprocess_wait(a->proc, NULL, &err));
    g_assert_no_error(err);
    return (g_get_monotonic_time() - t0) / 1000;
}

static void autod_free(Autod *a)
{
    g_autofree char *text = autod_stderr(a);

    g_test_message("ubf-autod said:\n%s", text);
    g_object_unref(a->proc);
    g_unlink(a->err_path);
    g_free(a->err_path);
    g_free(a->dir);
    g_free(a);
}

static char *test_dir(void)
{
    g_autoptr(GError) err = NULL;
    char *dir = g_dir_make_tmp("ubf-autod-XXXXXX", &err);

    g_assert_no_error(err);
    return dir;
}

static void remove_dir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);

        g_unlink(p);
    }
    g_rmdir(dir);
}

/*
 * One VM whose socket accepts and never speaks, one whose socket is not
 * there: both named as unreachable, and SIGTERM honoured within a second.
 */
static void test_unreachable(void)
{
    g_autofree char *dir = test_dir();
    g_autofree char *mute_path = g_build_filename(dir, "mute.sock", NULL);
    g_autofree char *missing = g_build_filename(dir, "missing.sock", NULL);
    g_autofree char *a1 = g_strdup_printf("mute=%s", mute_path);
    g_autofree char *a2 = g_strdup_printf("gone=%s", missing);
    const char *qmp[] = { a1, a2, NULL };
    g_autoptr(GSocket) mute = listen_on(mute_path);
    g_autofree char *said = NULL;
    Autod *a = autod_start(dir, qmp);
    gint64 ms;

    g_assert_true(autod_wait_says(a, "mute: cannot reach it", 5000));
    g_assert_true(autod_wait_says(a, "gone: cannot reach it", 5000));
    /* once per change, not once per cycle */
    g_usleep(1000 * 1000);
    said = autod_stderr(a);
    g_assert_null(strstr(strstr(said, "mute: cannot reach it") + 1,
                         "mute: cannot reach it"));
    ms = autod_stop(a);
    g_test_message("ubf-autod exited %" G_GINT64_FORMAT " ms after SIGTERM",
                   ms);
    g_assert_cmpint(ms, <, AUTOD_EXIT_MS);
    autod_free(a);
    g_unlink(mute_path);
    remove_dir(dir);
}

/*
 * A VM floods status reports between ubf-autod's commands; ubf-autod
 * reads them with its replies and keeps none: its memory stays put.
 */
static void test_events_bounded(void)
{
    g_autofree char *dir = test_dir();
    g_autofree char *path = g_build_filename(dir, "vm.sock", NULL);
    g_autofree char *arg = g_strdup_printf("vm=%s", path);
    const char *qmp[] = { arg, NULL };
    FakeVm *f = fake_vm_start(path);
    Autod *a = autod_start(dir, qmp);
    gint64 rss0, rss1;

    /* warm up: a few cycles, with a few events */
    g_atomic_int_set(&f->events_to_send, 1000);
    while (g_atomic_int_get(&f->events_sent) < 1000 ||
           g_atomic_int_get(&f->commands) < 10) {
        g_usleep(10 * 1000);
    }
    rss0 = autod_rss_kib(a);
    g_atomic_int_set(&f->events_to_send, 1000 + EVENTS);
    while (g_atomic_int_get(&f->events_sent) < 1000 + EVENTS) {
        g_usleep(10 * 1000);
    }
    /* and a cycle more, to read the last of them */
    {
        gint commands = g_atomic_int_get(&f->commands);

        while (g_atomic_int_get(&f->commands) < commands + 2) {
            g_usleep(10 * 1000);
        }
    }
    rss1 = autod_rss_kib(a);
    g_test_message("%d status reports: ubf-autod's RSS %" G_GINT64_FORMAT
                   " -> %" G_GINT64_FORMAT " KiB", EVENTS, rss0, rss1);
    g_assert_cmpint(rss1 - rss0, <, RSS_GROWTH_MAX_KIB);
    g_assert_cmpint(autod_stop(a), <, AUTOD_EXIT_MS);
    autod_free(a);
    fake_vm_stop(f);
    remove_dir(dir);
}

/*
 * A libvirtd that accepts and never answers: libvirt's client has no
 * time limit on opening, and holds ubf-autod's loop in virConnectOpen().
 * SIGTERM still ends it within a second, naming the connection.
 */
static void test_mute_libvirt(void)
{
    g_autofree char *dir = test_dir();
    g_autofree char *path = g_build_filename(dir, "libvirt.sock", NULL);
    g_autofree char *uri = g_strdup_printf("qemu:///system?socket=%s",
                                           path);
    const char *uris[] = { uri, NULL };
    g_autoptr(GSocket) listener = listen_on(path);
    g_autoptr(GSocket) conn = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *said = NULL;
    Autod *a = autod_spawn(dir, "-c", uris);
    gint64 t0, ms;
    int status;

    /* ubf-autod connected: it now waits for an answer that never comes */
    g_socket_set_timeout(listener, 10);
    conn = g_socket_accept(listener, NULL, &err);
    g_assert_no_error(err);
    t0 = g_get_monotonic_time();
    g_subprocess_send_signal(a->proc, SIGTERM);
    g_assert_true(g_subprocess_wait(a->proc, NULL, &err));
    g_assert_no_error(err);
    ms = (g_get_monotonic_time() - t0) / 1000;
    g_test_message("ubf-autod, held by a mute libvirtd, exited %"
                   G_GINT64_FORMAT " ms after SIGTERM", ms);
    g_assert_cmpint(ms, <, AUTOD_EXIT_MS);
    status = g_subprocess_get_exit_status(a->proc);
    g_assert_cmpint(status, ==, 1);
    said = autod_stderr(a);
    g_assert_nonnull(strstr(said, uri));
    g_assert_nonnull(strstr(said, "no answer 800 ms after SIGTERM"));
    autod_free(a);
    remove_dir(dir);
}

/* The VM goes away and comes back on the same socket: managed again. */
static void test_restart(void)
{
    g_autofree char *dir = test_dir();
    g_autofree char *path = g_build_filename(dir, "vm.sock", NULL);
    g_autofree char *arg = g_strdup_printf("vm=%s", path);
    const char *qmp[] = { arg, NULL };
    FakeVm *f = fake_vm_start(path);
    Autod *a = autod_start(dir, qmp);

    while (g_atomic_int_get(&f->commands) < 4) {
        g_usleep(10 * 1000);
    }
    fake_vm_stop(f);
    g_assert_true(autod_wait_says(a, "vm: cannot reach it", 5000));
    f = fake_vm_start(path);
    g_assert_true(autod_wait_says(a, "vm: reachable again", 5000));
    while (g_atomic_int_get(&f->commands) < 4) {
        g_usleep(10 * 1000);
    }
    g_assert_cmpint(autod_stop(a), <, AUTOD_EXIT_MS);
    autod_free(a);
    fake_vm_stop(f);
    remove_dir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    g_test_add_func("/autod/unreachable-sigterm", test_unreachable);
    g_test_add_func("/autod/events-bounded", test_events_bounded);
    g_test_add_func("/autod/restart", test_restart);
    g_test_add_func("/autod/mute-libvirt-sigterm", test_mute_libvirt);
    return g_test_run();
}
