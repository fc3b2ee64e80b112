/*
 * Our QEMU under a real libvirtd: virsh setmem shrinks a guest through the
 * frontend and dommemstat shows it; balloonctl -c grows a 1 GiB domain
 * past libvirt's limit and dommemstat, status --json and the guest agree;
 * resize --all over two domains; bad input gets the documented exit
 * status; ubf-autod arbitrates the domains over the connection;
 * balloonctl --wait outlives a libvirtd restart; the same
 * commands reach hv-balloon and Linux's hv_balloon in a Windows-style
 * domain under TCG; the Debian packages built, lintian-checked,
 * installed, a domain with Debian's paths on the installed QEMU resized
 * with setmem and the installed balloonctl, and purged leaving the
 * system as it was.  The test starts virtlogd and libvirtd itself (as
 * root, no systemd) when they are not running, and stops what it
 * started.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest-agent.h"

#define URI "qemu:///system"
#define MIB (1024 * (gint64)1024)
#define GIB (1024 * MIB)
#define KIB_PER_MIB 1024

static gboolean started_daemons;
static char *tmpdir;
static char *emulator;

/* Run @cmd; its output never reaches ours (TAP). */
static int sh(const char *cmd, char **out)
{
    g_autofree char *err = NULL;
    g_autofree char *discard = NULL;
    int status = -1;

    g_spawn_command_line_sync(cmd, out ? out : &discard, &err, &status,
                              NULL);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static gboolean libvirt_up(void)
{
    return sh("virsh -c " URI " version", NULL) == 0;
}

/*
 * libvirt starts (and probes) QEMU with -daemonize: the fork happens
 * with QEMU's threads running, and a sanitized QEMU then deadlocks in
 * ASan's allocator (GCC 12's libasan takes no allocator lock around
 * fork).  Say so instead of hanging.
 */
static gboolean sanitized_skip(void)
{
    if (g_strcmp0(g_getenv("UBF_SANITIZE"), "1") == 0) {
        g_test_skip("libvirt daemonizes QEMU; a QEMU built with GCC 12's "
                    "ASan deadlocks in its allocator after that fork");
        return TRUE;
    }
    return FALSE;
}

/* Start virtlogd and libvirtd if they are not running. */
static gboolean daemons_start(void)
{
    int i;

    if (libvirt_up()) {
        return TRUE;
    }
    /* a virtlogd left running (by a test killed on timeout) is fine */
    if (sh("sh -c 'pgrep -x virtlogd >/dev/null || virtlogd -d'", NULL) != 0 ||
        sh("libvirtd -d", NULL) != 0) {
        return FALSE;
    }
    started_daemons = TRUE;
    for (i = 0; i < 100 && !libvirt_up(); i++) {
        g_usleep(100 * 1000);
    }
    return libvirt_up();
}

static void daemons_stop(void)
{
    if (started_daemons) {
        sh("sh -c 'kill $(cat /run/libvirtd.pid) "
           "$(cat /run/virtlogd.pid) 2>/dev/null'", NULL);
    }
}

/*
 * Put @src in the test's folder as @name, readable by libvirt's QEMU
 * user: the tree may sit in a folder only root can enter (mktemp -d).
 */
static char *stage(const char *src, const char *name, int mode)
{
    char *dst = g_build_filename(tmpdir, name, NULL);
    g_autoptr(GFile) from = g_file_new_for_path(src);
    g_autoptr(GFile) to = g_file_new_for_path(dst);
    g_autoptr(GError) err = NULL;

    if (link(src, dst) != 0) {
        g_assert_true(g_file_copy(from, to, G_FILE_COPY_OVERWRITE, NULL,
                                  NULL, NULL, &err));
        g_assert_no_error(err);
    }
    g_assert_cmpint(g_chmod(dst, mode), ==, 0);
    return dst;
}

/* Define domain @name from @xml, start it, connect to its agent. */
static UbfAgent *domain_define_start(const char *name, const char *xml)
{
    g_autofree char *path = g_strdup_printf("%s/%s.xml", tmpdir, name);
    g_autofree char *def = g_strdup_printf("virsh -c " URI " define %s", path);
    g_autofree char *start = g_strdup_printf("virsh -c " URI " start %s",
                                             name);
    g_autofree char *sock = g_strdup_printf("%s/%s.agent", tmpdir, name);
    g_autoptr(GError) err = NULL;
    UbfAgent *agent;

    g_assert_true(g_file_set_contents(path, xml, -1, NULL));
    g_assert_cmpint(sh(def, NULL), ==, 0);
    g_assert_cmpint(sh(start, NULL), ==, 0);
    agent = ubf_agent_connect(sock, 120000, &err);
    g_assert_no_error(err);
    return agent;
}

/*
 * Define and start domain @name: 1 GiB boot, 2 GiB of virtio-mem, on
 * @emu, booting vmlinuz and initrd.img from @images.
 */
static UbfAgent *domain_start_at(const char *name, const char *emu,
                                 const char *images)
{
    g_autofree char *xml = g_strdup_printf(
        "<domain type='qemu'>"
        "<name>%s</name>"
        "<maxMemory slots='4' unit='MiB'>4096</maxMemory>"
        "<memory unit='MiB'>1024</memory>"
        "<currentMemory unit='MiB'>1024</currentMemory>"
        "<vcpu>1</vcpu>"
        "<cpu><numa><cell id='0' cpus='0' memory='1024' unit='MiB'/></numa>"
        "</cpu>"
        "<os><type arch='x86_64' machine='q35'>hvm</type>"
        "<kernel>%s/vmlinuz</kernel><initrd>%s/initrd.img</initrd>"
        "<cmdline>console=ttyS0 panic=-1 memhp_default_state=online_movable"
        " ubf.modules=virtio_balloon,virtio_mem</cmdline></os>"
        "<on_reboot>destroy</on_reboot>"
        "<devices><emulator>%s</emulator>"
        "<controller type='usb' model='none'/>"
        "<serial type='file'><source path='%s/%s.console'/>"
        "<target port='0'/></serial>"
        "<serial type='unix'><source mode='bind' path='%s/%s.agent'/>"
        "<target port='1'/></serial>"
        "<memballoon model='virtio'/>"
        "<video><model type='none'/></video>"
        "<memory model='virtio-mem'><target><size unit='MiB'>2048</size>"
        "<node>0</node><block unit='MiB'>2</block>"
        "<requested unit='MiB'>0</requested></target></memory>"
        "</devices></domain>",
        name, images, images, emu, tmpdir, name, tmpdir, name);

    return domain_define_start(name, xml);
}

/* ...on the QEMU under test, from the test's folder. */
static UbfAgent *domain_start(const char *name)
{
    return domain_start_at(name, emulator, tmpdir);
}

/*
 * Define and start domain @name as a Windows-style template without
 * KVM: TCG with the Hyper-V enlightenments libvirt knows, no hibernation
 * (hv_balloon acts only then), and hv-balloon with 2 GiB for hot-add
 * through QEMU pass-through; the guest loads hv_vmbus and hv_balloon.
 */
static UbfAgent *domain_start_hv(const char *name)
{
    g_autofree char *xml = g_strdup_printf(
        "<domain type='qemu' "
        "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
        "<name>%s</name>"
        "<maxMemory slots='4' unit='MiB'>40960</maxMemory>"
        "<memory unit='MiB'>1024</memory>"
        "<currentMemory unit='MiB'>1024</currentMemory>"
        "<vcpu>1</vcpu>"
        "<cpu mode='custom' match='exact'><model>qemu64</model>"
        "<numa><cell id='0' cpus='0' memory='1024' unit='MiB'/></numa>"
        "</cpu>"
        "<os><type arch='x86_64' machine='q35'>hvm</type>"
        "<kernel>%s/vmlinuz</kernel><initrd>%s/initrd.img</initrd>"
        "<cmdline>console=ttyS0 panic=-1 memhp_default_state=online_movable"
        " ubf.modules=hv_vmbus,hv_balloon</cmdline></os>"
        "<features><acpi/><hyperv mode='custom'><relaxed state='on'/>"
        "<vpindex state='on'/><synic state='on'/></hyperv></features>"
        "<clock offset='utc'><timer name='hypervclock' present='yes'/>"
        "</clock>"
        "<pm><suspend-to-disk enabled='no'/></pm>"
        "<on_reboot>destroy</on_reboot>"
        "<devices><emulator>%s</emulator>"
        "<controller type='usb' model='none'/>"
        "<serial type='file'><source path='%s/%s.console'/>"
        "<target port='0'/></serial>"
        "<serial type='unix'><source mode='bind' path='%s/%s.agent'/>"
        "<target port='1'/></serial>"
        "<memballoon model='none'/>"
        "<video><model type='none'/></video>"
        "</devices>"
        "<qemu:commandline>"
        "<qemu:arg value='-device'/><qemu:arg value='vmbus-bridge'/>"
        "<qemu:arg value='-object'/>"
        "<qemu:arg value='memory-backend-ram,id=hvmem,size=2G'/>"
        "<qemu:arg value='-device'/>"
        "<qemu:arg value='hv-balloon,id=hvb0,memdev=hvmem'/>"
        "</qemu:commandline></domain>",
        name, tmpdir, tmpdir, emulator, tmpdir, name, tmpdir, name);

    return domain_define_start(name, xml);
}

static void domain_remove(const char *name)
{
    g_autofree char *d = g_strdup_printf("virsh -c " URI " destroy %s", name);
    g_autofree char *u = g_strdup_printf("virsh -c " URI " undefine %s",
                                         name);

    sh(d, NULL);
    sh(u, NULL);
}

/* dommemstat's "actual", in KiB, once it is @want (or the last seen). */
static gint64 dommemstat_actual(const char *name, gint64 want)
{
    g_autofree char *cmd = g_strdup_printf("virsh -c " URI " dommemstat %s",
                                           name);
    gint64 actual = -1;
    int i;

    for (i = 0; i < 300 && actual != want; i++) {
        g_autofree char *out = NULL;
        char *p;

        sh(cmd, &out);
        p = out ? strstr(out, "actual ") : NULL;
        actual = p ? g_ascii_strtoll(p + 7, NULL, 10) : -1;
        if (actual != want) {
            g_usleep(200 * 1000);
        }
    }
    return actual;
}

/* The guest's MemTotal once it is @want_kib (or the last seen). */
static gint64 wait_memtotal_for(UbfAgent *agent, gint64 want_kib,
                                guint seconds)
{
    g_autoptr(GError) err = NULL;
    UbfGuestMem mem = { 0 };

    ubf_agent_wait_memtotal(agent, want_kib, 0, seconds * 1000, &mem, &err);
    return mem.memtotal_kib;
}

static gint64 wait_memtotal(UbfAgent *agent, gint64 want_kib)
{
    return wait_memtotal_for(agent, want_kib, 60);
}

static int balloonctl(const char *args, char **out, char **err)
{
    g_autofree char *cmd = g_strdup_printf("%s %s",
                                           g_getenv("UBF_BALLOONCTL"), args);
    g_autofree char *o = NULL, *e = NULL;
    int status = -1;

    g_spawn_command_line_sync(cmd, out ? out : &o, err ? err : &e, &status,
                              NULL);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Stop libvirtd as a restart would; a libvirtd whose shutdown hangs
 * (its nodedev driver can, without udev) gets what systemd gives it
 * after the stop timeout: SIGKILL.  The domains keep running.
 */
static void libvirtd_stop(void)
{
    g_autofree char *text = NULL;
    g_autofree char *proc = NULL;
    pid_t pid;
    int i;

    g_assert_true(g_file_get_contents("/run/libvirtd.pid", &text, NULL,
                                      NULL));
    pid = atoi(text);
    g_assert_cmpint(pid, >, 1);
    proc = g_strdup_printf("/proc/%d", pid);
    kill(pid, SIGTERM);
    for (i = 0; i < 150 && g_file_test(proc, G_FILE_TEST_EXISTS); i++) {
        g_usleep(100 * 1000);
    }
    if (g_file_test(proc, G_FILE_TEST_EXISTS)) {
        g_test_message("libvirtd %d still shutting down after 15 s: killed",
                       pid);
        kill(pid, SIGKILL);
        for (i = 0; i < 50 && g_file_test(proc, G_FILE_TEST_EXISTS); i++) {
            g_usleep(100 * 1000);
        }
    }
}

/* The next line balloonctl printed, without its newline; NULL at EOF. */
static char *read_line(FILE *f)
{
    char buf[512];

    if (!fgets(buf, sizeof(buf), f)) {
        return NULL;
    }
    return g_strchomp(g_strdup(buf));
}

/* Read lines until one contains @what; all of them go to @log. */
static gboolean read_until(FILE *f, const char *what, GString *log)
{
    char *line;

    while ((line = read_line(f))) {
        gboolean found = strstr(line, what) != NULL;

        g_string_append_printf(log, "%s\n", line);
        g_free(line);
        if (found) {
            return TRUE;
        }
    }
    return FALSE;
}

/*
 * Resize @name (at 1536M, paused so that the resize cannot finish
 * early) back to its boot size with balloonctl --wait; stop libvirtd
 * once balloonctl waits, start it again once balloonctl noticed, then
 * resume: balloonctl reconnects and reports done, and the guest's
 * MemTotal is its boot size again.
 */
static void libvirtd_restart_mid_wait(const char *name, UbfAgent *agent,
                                      gint64 boot_kib)
{
    g_autofree char *suspend = g_strdup_printf("virsh -c " URI " suspend %s",
                                               name);
    g_autofree char *resume = g_strdup_printf("virsh -c " URI " resume %s",
                                              name);
    g_autofree char *dom = g_strdup(name);
    g_autofree char *first = NULL, *done_line = NULL;
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    char *argv[] = {
        (char *)g_getenv("UBF_BALLOONCTL"), (char *)"-c", (char *)URI,
        (char *)"resize", dom, (char *)"1G", (char *)"--wait",
        (char *)"--timeout", (char *)"300", NULL
    };
    GPid pid;
    int out_fd, status, i;
    FILE *out;

    g_assert_cmpint(sh(suspend, NULL), ==, 0);
    g_assert_true(g_spawn_async_with_pipes(NULL, argv, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                           NULL, &pid, NULL, &out_fd, NULL,
                                           &err));
    g_assert_no_error(err);
    out = fdopen(out_fd, "r");
    first = read_line(out);
    g_assert_nonnull(first);
    g_string_append_printf(log, "%s\n", first);
    g_assert_null(strstr(first, "done"));

    libvirtd_stop();
    g_assert_false(libvirt_up());
    g_assert_true(read_until(out, "connection lost", log));
    g_assert_cmpint(sh("libvirtd -d", NULL), ==, 0);
    for (i = 0; i < 100 && !libvirt_up(); i++) {
        g_usleep(100 * 1000);
    }
    g_assert_true(libvirt_up());
    g_assert_cmpint(sh(resume, NULL), ==, 0);

    done_line = g_strdup_printf("%s: done", name);
    if (!read_until(out, done_line, log)) {
        g_test_message("balloonctl said: %s", log->str);
    }
    g_assert_nonnull(strstr(log->str, "connection back"));
    g_assert_nonnull(strstr(log->str, done_line));
    fclose(out);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_spawn_close_pid(pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_assert_cmpint(dommemstat_actual(name, 1024 * 1024), ==, 1024 * 1024);
    g_assert_cmpint(wait_memtotal(agent, boot_kib), ==, boot_kib);
}

/*
 * ubf-autod over libvirt: automatic sizing turned on in domain @name at
 * run time (object-add), the daemon run for a few cycles on the
 * connection: it finds the domain (and the other, without automatic
 * sizing), sets its ceiling within the budget, and lifts it when it
 * stops.
 */
static void autod_over_libvirt(const char *name)
{
    g_autofree char *add = g_strdup_printf(
        "virsh -c " URI " qemu-monitor-command %s '{\"execute\": "
        "\"object-add\", \"arguments\": {\"qom-type\": "
        "\"balloon-frontend\", \"id\": \"bf0\", \"auto\": true, "
        "\"auto-minimum\": 536870912}}'", name);
    g_autofree char *query = g_strdup_printf(
        "virsh -c " URI " qemu-monitor-command %s "
        "'{\"execute\": \"query-memory-resize\"}'", name);
    g_autofree char *state = g_build_filename(tmpdir, "autod.json", NULL);
    g_autofree char *run = g_strdup_printf(
        "%s -c " URI " --budget 2G --reserve 0 --psi-threshold 0 "
        "--interval 200 --count 5 --state %s", g_getenv("UBF_AUTOD"), state);
    g_autofree char *text = NULL, *out = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray *vms;
    gboolean found = FALSE;
    guint i;

    g_assert_cmpint(sh(add, NULL), ==, 0);
    g_assert_cmpint(sh(run, NULL), ==, 0);
    g_assert_true(json_parser_load_from_file(parser, state, NULL));
    vms = json_object_get_array_member(
        json_node_get_object(json_parser_get_root(parser)), "vms");
    for (i = 0; i < json_array_get_length(vms); i++) {
        JsonObject *v = json_array_get_object_element(vms, i);

        if (!strcmp(json_object_get_string_member(v, "name"), name)) {
            found = TRUE;
            g_assert_true(json_object_get_boolean_member(v, "managed"));
            g_assert_cmpint(json_object_get_int_member(v, "ceiling"), >=,
                            512 * MIB);
            g_assert_cmpint(json_object_get_int_member(v, "ceiling"), <=,
                            2 * GIB);
        } else {
            g_assert_false(json_object_get_boolean_member(v, "managed"));
        }
    }
    g_assert_true(found);
    /* stopped: the ceiling is gone */
    g_assert_cmpint(sh(query, &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"automatic\""));
    g_assert_null(strstr(out, "\"ceiling\""));
}

static void test_libvirt(void)
{
    g_autofree char *a = g_strdup_printf("ubf-test-%d-a", getpid());
    g_autofree char *b = g_strdup_printf("ubf-test-%d-b", getpid());
    g_autofree char *args = NULL, *out = NULL, *err_text = NULL;
    g_autofree char *running = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfAgent) agent_a = NULL;
    g_autoptr(UbfAgent) agent_b = NULL;
    UbfGuestMem boot;
    JsonObject *row;

    if (getuid() != 0) {
        g_test_skip("libvirtd in system mode needs root");
        return;
    }
    if (sanitized_skip()) {
        return;
    }
    if (!daemons_start()) {
        g_test_skip("cannot start virtlogd and libvirtd");
        return;
    }
    sh("virsh -c " URI " list --name", &running);
    g_strstrip(running);

    agent_a = domain_start(a);
    g_assert_true(ubf_agent_meminfo(agent_a, &boot, &err));

    /* virsh setmem: libvirt's balloon path, through the frontend. */
    args = g_strdup_printf("virsh -c " URI " setmem %s 786432 --live", a);
    g_assert_cmpint(sh(args, NULL), ==, 0);
    g_assert_cmpint(dommemstat_actual(a, 786432), ==, 786432);
    g_assert_cmpint(wait_memtotal(agent_a, boot.memtotal_kib -
                                  256 * KIB_PER_MIB), ==,
                    boot.memtotal_kib - 256 * KIB_PER_MIB);

    /* balloonctl past libvirt's limit (1 GiB): 3 GiB. */
    g_free(args);
    args = g_strdup_printf("-c " URI " resize %s 3G --wait", a);
    g_assert_cmpint(balloonctl(args, &out, &err_text), ==, 0);
    g_assert_cmpint(dommemstat_actual(a, 3 * 1024 * 1024), ==,
                    3 * 1024 * 1024);
    g_assert_cmpint(wait_memtotal(agent_a, boot.memtotal_kib +
                                  2048 * KIB_PER_MIB), ==,
                    boot.memtotal_kib + 2048 * KIB_PER_MIB);
    g_free(args);
    g_free(out);
    args = g_strdup_printf("-c " URI " status %s --json", a);
    g_assert_cmpint(balloonctl(args, &out, NULL), ==, 0);
    g_assert_true(json_parser_load_from_data(parser, out, -1, &err));
    row = json_array_get_object_element(
        json_node_get_array(json_parser_get_root(parser)), 0);
    g_assert_cmpstr(json_object_get_string_member(row, "name"), ==, a);
    g_assert_cmpint(json_object_get_int_member(row, "actual"), ==, 3 * GIB);

    /* Bad input: documented exit status, one line, nothing changes. */
    g_free(err_text);
    g_assert_cmpint(balloonctl("-c " URI " resize no-such-domain 1G",
                               NULL, &err_text), ==, 1);
    g_assert_nonnull(strstr(err_text, "unknown domain 'no-such-domain'"));
    g_free(args);
    g_free(err_text);
    args = g_strdup_printf("-c " URI " resize %s 3Q", a);
    g_assert_cmpint(balloonctl(args, NULL, &err_text), ==, 1);
    g_assert_nonnull(strstr(err_text, "invalid size '3Q'"));
    g_free(err_text);
    g_assert_cmpint(balloonctl("-c 'qemu+unix:///system?socket=/nonexistent'"
                               " status", NULL, &err_text), ==, 3);
    g_assert_nonnull(strstr(err_text, "cannot connect to"));
    g_assert_cmpint(dommemstat_actual(a, 3 * 1024 * 1024), ==,
                    3 * 1024 * 1024);

    /* resize --all: every running domain (only ours are running). */
    agent_b = domain_start(b);
    if (running[0]) {
        g_test_message("other domains run here (%s): --all not tried",
                       running);
    } else {
        g_free(out);
        g_assert_cmpint(balloonctl("-c " URI " resize --all 1536M --wait",
                                   &out, NULL), ==, 0);
        g_assert_cmpint(dommemstat_actual(a, 1536 * 1024), ==, 1536 * 1024);
        g_assert_cmpint(dommemstat_actual(b, 1536 * 1024), ==, 1536 * 1024);
    }

    autod_over_libvirt(a);

    /* libvirtd restarted while balloonctl --wait runs: nothing lost */
    if (started_daemons) {
        libvirtd_restart_mid_wait(a, agent_a, boot.memtotal_kib);
    } else {
        g_test_message("libvirtd is not ours: restart not tried");
    }

    domain_remove(a);
    domain_remove(b);
}

/*
 * The same commands on a Windows-style domain under TCG: libvirt passes
 * its Hyper-V features to our QEMU, which offers them itself; setmem and
 * balloonctl reach hv-balloon and Linux's hv_balloon (waiting out
 * hv-balloon's hold after the driver connects).
 */
static void test_libvirt_hyperv_tcg(void)
{
    g_autofree char *name = g_strdup_printf("ubf-test-%d-hv", getpid());
    g_autofree char *args = NULL, *out = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfAgent) agent = NULL;
    UbfGuestMem boot;

    if (getuid() != 0) {
        g_test_skip("libvirtd in system mode needs root");
        return;
    }
    if (sanitized_skip()) {
        return;
    }
    if (!daemons_start()) {
        g_test_skip("cannot start virtlogd and libvirtd");
        return;
    }
    agent = domain_start_hv(name);
    g_assert_true(ubf_agent_meminfo(agent, &boot, &err));

    args = g_strdup_printf("virsh -c " URI " setmem %s 786432 --live", name);
    g_assert_cmpint(sh(args, NULL), ==, 0);
    g_assert_cmpint(wait_memtotal_for(agent, boot.memtotal_kib -
                                      256 * KIB_PER_MIB, 240), ==,
                    boot.memtotal_kib - 256 * KIB_PER_MIB);

    /* past libvirt's limit and boot size: hv-balloon hot-adds */
    g_free(args);
    args = g_strdup_printf("-c " URI " resize %s 1536M --wait", name);
    g_assert_cmpint(balloonctl(args, &out, NULL), ==, 0);
    g_assert_cmpint(wait_memtotal(agent, boot.memtotal_kib +
                                  512 * KIB_PER_MIB), ==,
                    boot.memtotal_kib + 512 * KIB_PER_MIB);
    domain_remove(name);
}

/* What installing and removing must leave as it was. */
static char *system_snapshot(void)
{
    char *out = NULL;

    g_assert_cmpint(sh("sh -c \"dpkg-query -W -f='${Package} ${Version} "
                       "${db:Status-Abbrev}\\n' | sort; find /usr/bin "
                       "/usr/lib/ubf /usr/share/man /usr/share/doc "
                       "/usr/share/bash-completion /lib/systemd/system "
                       "/etc/ubf /etc/systemd /var/lib/libvirt/images "
                       "2>/dev/null | sort\"", &out), ==, 0);
    return out;
}

/*
 * The Debian packages: built with make deb's script (lintian clean),
 * installed with apt, a libvirt domain with Debian's usual paths on the
 * installed QEMU (/usr/bin/ubf-qemu-system-x86_64, images in
 * /var/lib/libvirt/images) resized with virsh setmem and the installed
 * balloonctl, then purged: the system is as it was.
 */
static void test_packages(void)
{
    const char *root = g_getenv("UBF_SOURCE_ROOT");
    g_autofree char *build = g_path_get_dirname(g_getenv("UBF_QEMU"));
    g_autofree char *debs = g_build_filename(tmpdir, "deb", NULL);
    g_autofree char *images = g_strdup("/var/lib/libvirt/images/ubf-packages");
    g_autofree char *name = g_strdup_printf("ubf-pkg-%d", getpid());
    g_autofree char *cmd = NULL, *out = NULL, *lintian = NULL;
    g_autofree char *before = NULL, *after = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfAgent) agent = NULL;
    UbfGuestMem boot;

    if (getuid() != 0 || !root) {
        g_test_skip("installing packages needs root (and UBF_SOURCE_ROOT)");
        return;
    }
    if (sanitized_skip()) {
        return;
    }
    if (sh("dpkg-query -W ubf-tools ubf-qemu-system-x86 ubf-doc", NULL) == 0) {
        g_test_skip("ubf packages are installed already: not touching them");
        return;
    }
    if (!daemons_start()) {
        g_test_skip("cannot start virtlogd and libvirtd");
        return;
    }

    /* build/bin/qemu-system-x86_64: the build folder is build/ */
    cmd = g_strdup_printf("%s/scripts/build-deb.sh %s/.. %s", root, build,
                          debs);
    g_assert_cmpint(sh(cmd, &out), ==, 0);
    g_free(cmd);
    cmd = g_build_filename(debs, "lintian.txt", NULL);
    g_assert_true(g_file_get_contents(cmd, &lintian, NULL, NULL));
    g_test_message("lintian: %s", lintian);
    g_assert_null(strstr(lintian, "\nE: "));
    g_assert_false(g_str_has_prefix(lintian, "E: "));

    before = system_snapshot();
    g_free(cmd);
    cmd = g_strdup_printf("sh -c 'DEBIAN_FRONTEND=noninteractive apt-get "
                          "install -y -q --no-install-recommends "
                          "%s/ubf-*.deb'", debs);
    g_assert_cmpint(sh(cmd, NULL), ==, 0);
    g_assert_true(g_file_test("/usr/bin/ubf-qemu-system-x86_64",
                              G_FILE_TEST_IS_EXECUTABLE));
    g_assert_true(g_file_test("/usr/share/man/man1/balloonctl.1.gz",
                              G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test("/usr/share/bash-completion/completions/"
                              "balloonctl", G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test("/etc/ubf/autod.conf", G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test("/lib/systemd/system/ubf-autod.service",
                              G_FILE_TEST_EXISTS));
    /* installed, not enabled: it needs its configuration first */
    g_assert_false(g_file_test("/etc/systemd/system/multi-user.target.wants/"
                               "ubf-autod.service", G_FILE_TEST_EXISTS));
    g_assert_cmpint(sh("/usr/bin/ubf-qemu-system-x86_64 -version", NULL), ==,
                    0);

    /* A domain with Debian's usual paths, on the installed QEMU. */
    g_assert_cmpint(g_mkdir_with_parents(images, 0755), ==, 0);
    g_free(cmd);
    cmd = g_strdup_printf("cp %s/vmlinuz %s/initrd.img %s",
                          g_getenv("UBF_GUEST_DIR"), g_getenv("UBF_GUEST_DIR"),
                          images);
    g_assert_cmpint(sh(cmd, NULL), ==, 0);
    agent = domain_start_at(name, "/usr/bin/ubf-qemu-system-x86_64", images);
    g_assert_true(ubf_agent_meminfo(agent, &boot, &err));
    g_free(cmd);
    cmd = g_strdup_printf("pgrep -f '^/usr/bin/ubf-qemu-system-x86_64 .*%s'",
                          name);
    g_assert_cmpint(sh(cmd, NULL), ==, 0);

    g_free(cmd);
    cmd = g_strdup_printf("virsh -c " URI " setmem %s 786432 --live", name);
    g_assert_cmpint(sh(cmd, NULL), ==, 0);
    g_assert_cmpint(dommemstat_actual(name, 786432), ==, 786432);
    g_assert_cmpint(wait_memtotal(agent, boot.memtotal_kib -
                                  256 * KIB_PER_MIB), ==,
                    boot.memtotal_kib - 256 * KIB_PER_MIB);
    g_free(cmd);
    cmd = g_strdup_printf("/usr/bin/balloonctl -c " URI " resize %s 1536M "
                          "--wait", name);
    g_assert_cmpint(sh(cmd, NULL), ==, 0);
    g_assert_cmpint(dommemstat_actual(name, 1536 * 1024), ==, 1536 * 1024);
    g_assert_cmpint(wait_memtotal(agent, boot.memtotal_kib +
                                  512 * KIB_PER_MIB), ==,
                    boot.memtotal_kib + 512 * KIB_PER_MIB);
    domain_remove(name);
    g_free(cmd);
    cmd = g_strdup_printf("rm -rf %s", images);
    sh(cmd, NULL);

    /* Removed: as it was. */
    g_assert_cmpint(sh("sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge "
                       "-y -q ubf-qemu-system-x86 ubf-tools ubf-doc'", NULL),
                    ==, 0);
    after = system_snapshot();
    g_assert_cmpstr(after, ==, before);
}

int main(int argc, char **argv)
{
    g_autofree char *kernel_src = g_build_filename(g_getenv("UBF_GUEST_DIR"),
                                                   "vmlinuz", NULL);
    g_autofree char *initrd_src = g_build_filename(g_getenv("UBF_GUEST_DIR"),
                                                   "initrd.img", NULL);
    g_autofree char *kernel = NULL, *initrd = NULL;
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("ubf-libvirt-XXXXXX", NULL);
    g_chmod(tmpdir, 0777);
    emulator = stage(g_getenv("UBF_QEMU"), "qemu-system-x86_64", 0755);
    kernel = stage(kernel_src, "vmlinuz", 0644);
    initrd = stage(initrd_src, "initrd.img", 0644);
    g_test_add_func("/libvirt/setmem-balloonctl-all", test_libvirt);
    g_test_add_func("/libvirt/hyperv-tcg", test_libvirt_hyperv_tcg);
    g_test_add_func("/libvirt/packages", test_packages);
    ret = g_test_run();
    daemons_stop();
    sh(g_strdup_printf("rm -rf %s", tmpdir), NULL);
    return ret;
}
