/*
 * A fleet of three hosts over libvirt's remote driver: each host is a
 * user of its own with a session libvirtd, reached through a real sshd
 * on the loopback address (qemu+ssh://USER@127.0.0.1/session), with two
 * domains running our QEMU.  balloonctl -c ... -c ... -c ... resize
 * --all --wait reaches all six (each guest's MemTotal), completing from
 * libvirt's QEMU monitor events; status --format openmetrics parses
 * with prometheus_client's OpenMetrics parser; with one host's libvirtd
 * stopped and one domain refusing, a --fleet resize finishes the
 * others, reports the host and the domain on their own lines, exits
 * with the documented status, and leaves the stopped host's domains as
 * they were.  Runs as root (it adds three users and an sshd, and
 * removes them after).
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest-agent.h"

#define MIB (1024 * (gint64)1024)
#define KIB_PER_MIB 1024
#define NHOSTS 3
#define NDOMS 2
#define SSH_PORT 22722

typedef struct FleetHost {
    char *user;
    char *home;
    char *uri;
    UbfAgent *agent[NDOMS];
    gint64 boot_kib[NDOMS];
} FleetHost;

static char *tmpdir;
static FleetHost fleet[NHOSTS];

/* Run @cmd; its output never reaches ours (TAP). */
static int sh(const char *cmd, char **out, char **err)
{
    g_autofree char *o = NULL, *e = NULL;
    int status = -1;

    g_spawn_command_line_sync(cmd, out ? out : &o, err ? err : &e, &status,
                              NULL);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int shf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int shf(const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    va_list ap;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return sh(cmd, NULL, NULL);
}

static void put(const char *name, const char *text, int mode)
{
    g_autofree char *path = g_build_filename(tmpdir, name, NULL);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

static char *stage(const char *src, const char *name)
{
    g_autofree char *dst = g_build_filename(tmpdir, name, NULL);

    g_assert_cmpint(shf("cp %s %s", src, dst), ==, 0);
    g_assert_cmpint(g_chmod(dst, 0755), ==, 0);
    return g_steal_pointer(&dst);
}

/* An sshd on 127.0.0.1 that lets the test's key in as any user. */
static void sshd_start(void)
{
    g_autofree char *conf = g_strdup_printf(
        "Port %d\nListenAddress 127.0.0.1\nHostKey %s/hostkey\n"
        "PidFile %s/sshd.pid\nAuthorizedKeysFile %s/authorized_keys\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "UsePAM no\nStrictModes no\n", SSH_PORT, tmpdir, tmpdir, tmpdir);
    g_autofree char *client = g_strdup_printf(
        "Host *\n  Port %d\n  IdentityFile %s/id\n"
        "  UserKnownHostsFile %s/known_hosts\n"
        "  StrictHostKeyChecking no\n  BatchMode yes\n", SSH_PORT, tmpdir,
        tmpdir);
    g_autofree char *wrapper = g_strdup_printf(
        "#!/bin/sh\nexec ssh -F %s/ssh_config \"$@\"\n", tmpdir);
    int i;

    g_assert_cmpint(shf("ssh-keygen -q -t ed25519 -N '' -f %s/hostkey",
                        tmpdir), ==, 0);
    g_assert_cmpint(shf("ssh-keygen -q -t ed25519 -N '' -f %s/id", tmpdir),
                    ==, 0);
    g_assert_cmpint(shf("cp %s/id.pub %s/authorized_keys", tmpdir, tmpdir),
                    ==, 0);
    put("sshd_config", conf, 0644);
    put("ssh_config", client, 0644);
    put("ssh", wrapper, 0755);
    g_mkdir_with_parents("/run/sshd", 0755);
    g_assert_cmpint(shf("/usr/sbin/sshd -f %s/sshd_config -E %s/sshd.log",
                        tmpdir, tmpdir), ==, 0);
    for (i = 0; i < 50; i++) {
        if (g_file_test(g_strdup_printf("%s/sshd.pid", tmpdir),
                        G_FILE_TEST_EXISTS)) {
            break;
        }
        g_usleep(100 * 1000);
    }
}

static void libvirtd_start(FleetHost *h)
{
    g_autofree char *sock = g_strdup_printf("%s/.cache/libvirt/libvirt-sock",
                                            h->home);
    int i;

    g_assert_cmpint(shf("su -s /bin/sh %s -c 'HOME=%s libvirtd --daemon'",
                        h->user, h->home), ==, 0);
    for (i = 0; i < 100 && !g_file_test(sock, G_FILE_TEST_EXISTS); i++) {
        g_usleep(100 * 1000);
    }
    g_assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));
}

static void libvirtd_stop(FleetHost *h)
{
    shf("sh -c 'kill $(cat %s/.cache/libvirt/libvirtd.pid)'", h->home);
    g_usleep(500 * 1000);
}

/*
 * Host @n: user ubf-fleetN (home in the test's folder, no password, our
 * key), its session libvirtd (stdio to files: no virtlogd), and the URI
 * that reaches it through ssh and netcat on its socket: no autostart,
 * so a stopped daemon stays stopped.
 */
static void host_setup(FleetHost *h, int n)
{
    g_autofree char *cfg = NULL;

    h->user = g_strdup_printf("ubf-fleet%d", n + 1);
    h->home = g_strdup_printf("%s/home%d", tmpdir, n + 1);
    shf("sh -c 'id %s >/dev/null 2>&1 || useradd -M -d %s -s /bin/sh %s'",
        h->user, h->home, h->user);
    g_assert_cmpint(shf("usermod -d %s -p '*' %s", h->home, h->user), ==, 0);
    cfg = g_strdup_printf("%s/.config/libvirt", h->home);
    g_mkdir_with_parents(cfg, 0755);
    g_assert_true(g_file_set_contents(
        g_strdup_printf("%s/qemu.conf", cfg), "stdio_handler = \"file\"\n",
        -1, NULL));
    g_assert_cmpint(shf("chown -R %s %s", h->user, h->home), ==, 0);
    libvirtd_start(h);
    h->uri = g_strdup_printf("qemu+ssh://%s@127.0.0.1/session?socket=%s/"
                             ".cache/libvirt/libvirt-sock&proxy=netcat&"
                             "command=%s/ssh", h->user, h->home, tmpdir);
}

static int virsh(FleetHost *h, const char *args)
{
    g_autofree char *cmd = g_strdup_printf("virsh -c '%s' %s", h->uri, args);

    return sh(cmd, NULL, NULL);
}

/* Domain vmD of @h: 1 GiB boot, @vmem_mib of virtio-mem, our QEMU. */
static void domain_start(FleetHost *h, int d, int vmem_mib,
                         const char *emulator)
{
    g_autofree char *xml = g_strdup_printf(
        "<domain type='qemu'><name>vm%d</name>"
        "<maxMemory slots='4' unit='MiB'>4096</maxMemory>"
        "<memory unit='MiB'>1024</memory>"
        "<currentMemory unit='MiB'>1024</currentMemory><vcpu>1</vcpu>"
        "<cpu><numa><cell id='0' cpus='0' memory='1024' unit='MiB'/></numa>"
        "</cpu><os><type arch='x86_64' machine='q35'>hvm</type>"
        "<kernel>%s/vmlinuz</kernel><initrd>%s/initrd.img</initrd>"
        "<cmdline>console=ttyS0 panic=-1 memhp_default_state=online_movable"
        " ubf.modules=virtio_balloon,virtio_mem</cmdline></os>"
        "<on_reboot>destroy</on_reboot><devices><emulator>%s</emulator>"
        "<controller type='usb' model='none'/>"
        "<serial type='file'><source path='%s/vm%d.console'/>"
        "<target port='0'/></serial>"
        "<serial type='unix'><source mode='bind' path='%s/vm%d.agent'/>"
        "<target port='1'/></serial><memballoon model='virtio'/>"
        "<video><model type='none'/></video>"
        "<memory model='virtio-mem'><target><size unit='MiB'>%d</size>"
        "<node>0</node><block unit='MiB'>2</block>"
        "<requested unit='MiB'>0</requested></target></memory>"
        "</devices></domain>", d + 1, tmpdir, tmpdir, emulator, h->home,
        d + 1, h->home, d + 1, vmem_mib);
    g_autofree char *path = g_strdup_printf("%s/vm%d.xml", h->home, d + 1);
    g_autofree char *def = g_strdup_printf("define %s", path);
    g_autofree char *start = g_strdup_printf("start vm%d", d + 1);

    g_assert_true(g_file_set_contents(path, xml, -1, NULL));
    g_assert_cmpint(g_chmod(path, 0644), ==, 0);
    g_assert_cmpint(virsh(h, def), ==, 0);
    g_assert_cmpint(virsh(h, start), ==, 0);
}

static void agents_connect(void)
{
    int n, d;

    for (n = 0; n < NHOSTS; n++) {
        for (d = 0; d < NDOMS; d++) {
            g_autofree char *sock = g_strdup_printf("%s/vm%d.agent",
                                                    fleet[n].home, d + 1);
            g_autoptr(GError) err = NULL;
            UbfGuestMem mem;

            fleet[n].agent[d] = ubf_agent_connect(sock, 300000, &err);
            g_assert_no_error(err);
            g_assert_true(ubf_agent_meminfo(fleet[n].agent[d], &mem, &err));
            fleet[n].boot_kib[d] = mem.memtotal_kib;
        }
    }
}

/* The guest's MemTotal once it is @want_kib (or the last seen). */
static gint64 memtotal(FleetHost *h, int d, gint64 want_kib)
{
    g_autoptr(GError) err = NULL;
    UbfGuestMem mem = { 0 };

    ubf_agent_wait_memtotal(h->agent[d], want_kib, 0, 60000, &mem, &err);
    return mem.memtotal_kib;
}

static int balloonctl(const char *args, char **out, char **err)
{
    g_autofree char *cmd = g_strdup_printf("%s %s",
                                           g_getenv("UBF_BALLOONCTL"), args);
    int status = sh(cmd, out, err);

    g_test_message("balloonctl %s: exit %d", args, status);
    g_test_message("%s%s", out ? *out : "", err ? *err : "");
    return status;
}

/*
 * Parse @text with prometheus_client's OpenMetrics parser and print
 * "family samples" per family: what the checks read.
 */
static char *openmetrics_parse(const char *text)
{
    g_autofree char *path = g_build_filename(tmpdir, "metrics.txt", NULL);
    g_autofree char *cmd = g_strdup_printf(
        "/usr/bin/python3 -c 'import sys\n"
        "from prometheus_client.openmetrics.parser import "
        "text_string_to_metric_families as parse\n"
        "for f in parse(open(sys.argv[1]).read()):\n"
        "    for s in f.samples:\n"
        "        print(s.name, \",\".join(k + \"=\" + v for k, v in "
        "sorted(s.labels.items())), int(s.value))' %s", path);
    char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    if (sh(cmd, &out, &err) != 0) {
        g_error("the OpenMetrics parser refused the output: %s", err);
    }
    return out;
}

static void fleet_cleanup(void)
{
    int n, d;

    for (n = 0; n < NHOSTS; n++) {
        for (d = 0; d < NDOMS; d++) {
            g_clear_pointer(&fleet[n].agent[d], ubf_agent_free);
        }
        if (fleet[n].user) {
            /* the domains' QEMU and the daemon run as the user */
            shf("pkill -KILL -u %s", fleet[n].user);
        }
    }
    shf("sh -c 'kill $(cat %s/sshd.pid)'", tmpdir);
    g_usleep(500 * 1000);
    for (n = 0; n < NHOSTS; n++) {
        if (fleet[n].user) {
            shf("userdel %s", fleet[n].user);
        }
    }
    shf("rm -rf %s", tmpdir);
}

static void test_fleet(void)
{
    g_autofree char *emulator = NULL;
    g_autofree char *uris = NULL;
    g_autofree char *fleet_file = NULL;
    g_autofree char *args = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *parsed = NULL;
    int n, d;

    if (getuid() != 0 || !g_file_test("/usr/sbin/sshd", G_FILE_TEST_EXISTS)) {
        g_test_skip("needs root and openssh-server (scripts/setup.sh)");
        return;
    }
    /* what a run that failed part-way left behind */
    sh("pkill -KILL -f '^/usr/sbin/sshd -f /tmp/ubf-fleet-'", NULL, NULL);
    for (n = 0; n < NHOSTS; n++) {
        shf("pkill -KILL -u ubf-fleet%d", n + 1);
    }
    sh("sh -c 'rm -rf /tmp/ubf-fleet-*'", NULL, NULL);
    tmpdir = g_dir_make_tmp("ubf-fleet-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_assert_cmpint(g_chmod(tmpdir, 0755), ==, 0);
    emulator = stage(g_getenv("UBF_QEMU"), "qemu-system-x86_64");
    g_free(stage(g_build_filename(g_getenv("UBF_GUEST_DIR"), "vmlinuz", NULL),
                 "vmlinuz"));
    g_free(stage(g_build_filename(g_getenv("UBF_GUEST_DIR"), "initrd.img",
                                  NULL), "initrd.img"));
    sshd_start();
    for (n = 0; n < NHOSTS; n++) {
        host_setup(&fleet[n], n);
    }
    /* host 2's vm2 can grow by 512 MiB only: it refuses 2 GiB below */
    for (n = 0; n < NHOSTS; n++) {
        for (d = 0; d < NDOMS; d++) {
            domain_start(&fleet[n], d, n == 1 && d == 1 ? 512 : 2048,
                         emulator);
        }
    }
    agents_connect();

    /* Three -c URIs: every domain reaches 1.5 GiB, told by events. */
    uris = g_strdup_printf("-c '%s' -c '%s' -c '%s'", fleet[0].uri,
                           fleet[1].uri, fleet[2].uri);
    args = g_strdup_printf("%s resize --all 1536M --wait --timeout 300",
                           uris);
    g_assert_cmpint(balloonctl(args, &out, &err), ==, 0);
    for (n = 0; n < NHOSTS; n++) {
        for (d = 0; d < NDOMS; d++) {
            g_autofree char *line = g_strdup_printf(
                "%s@127.0.0.1/vm%d: done (told by a libvirt event)",
                fleet[n].user, d + 1);

            g_assert_nonnull(strstr(out, line));
            g_assert_cmpint(memtotal(&fleet[n], d, fleet[n].boot_kib[d] +
                                     512 * KIB_PER_MIB), ==,
                            fleet[n].boot_kib[d] + 512 * KIB_PER_MIB);
        }
    }
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    /* A fleet file; status as OpenMetrics, read by a real parser. */
    fleet_file = g_build_filename(tmpdir, "fleet", NULL);
    g_assert_true(g_file_set_contents(fleet_file, g_strdup_printf(
        "# the test's three hosts\nh1 %s\n\nh2   %s\nh3 %s\n", fleet[0].uri,
        fleet[1].uri, fleet[2].uri), -1, NULL));
    g_free(args);
    args = g_strdup_printf("--fleet %s status --format openmetrics",
                           fleet_file);
    g_assert_cmpint(balloonctl(args, &out, &err), ==, 0);
    parsed = openmetrics_parse(out);
    for (n = 0; n < NHOSTS; n++) {
        g_autofree char *up = g_strdup_printf("ubf_host_up host=h%d 1\n",
                                              n + 1);

        g_assert_nonnull(strstr(parsed, up));
        for (d = 0; d < NDOMS; d++) {
            g_autofree char *actual = g_strdup_printf(
                "ubf_memory_actual_bytes domain=vm%d,host=h%d %"
                G_GINT64_FORMAT "\n", d + 1, n + 1, 1536 * MIB);
            g_autofree char *node = g_strdup_printf(
                "ubf_memory_node_actual_bytes domain=vm%d,host=h%d,node=0 %"
                G_GINT64_FORMAT "\n", d + 1, n + 1, 1536 * MIB);
            g_autofree char *state = g_strdup_printf(
                "ubf_memory_resize_state domain=vm%d,host=h%d,"
                "ubf_memory_resize_state=idle 1\n", d + 1, n + 1);

            g_assert_nonnull(strstr(parsed, actual));
            g_assert_nonnull(strstr(parsed, node));
            g_assert_nonnull(strstr(parsed, state));
        }
    }
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    g_clear_pointer(&parsed, g_free);

    /*
     * Host 3's libvirtd stopped, host 2's vm2 refusing 2 GiB: the other
     * three domains get there, each failure has its line, the exit
     * status is 3 (the worst: a connection failure), host 3's domains
     * are left as they were.
     */
    libvirtd_stop(&fleet[2]);
    g_free(args);
    args = g_strdup_printf("--fleet %s resize --all 2G --wait --timeout 300",
                           fleet_file);
    g_assert_cmpint(balloonctl(args, &out, &err), ==, 3);
    g_assert_nonnull(strstr(err, "balloonctl: h3: cannot connect to "));
    g_assert_nonnull(strstr(err, "balloonctl: h2/vm2: Parameter 'size' "
                            "expects a guest size from"));
    g_assert_null(strstr(err, "h1/"));
    g_assert_null(strstr(err, "h2/vm1"));
    g_assert_nonnull(strstr(out, "h1/vm1: done"));
    g_assert_nonnull(strstr(out, "h1/vm2: done"));
    g_assert_nonnull(strstr(out, "h2/vm1: done"));
    g_assert_nonnull(strstr(out, "h1: 2 of 2 domains done\n"));
    g_assert_nonnull(strstr(out, "h2: 1 of 2 domains done\n"));
    g_assert_nonnull(strstr(out, "h3: failed, see above\n"));
    for (n = 0; n < NHOSTS; n++) {
        for (d = 0; d < NDOMS; d++) {
            gint64 want = fleet[n].boot_kib[d] +
                          (n == 2 || (n == 1 && d == 1) ? 512 : 1024) *
                          KIB_PER_MIB;

            g_assert_cmpint(memtotal(&fleet[n], d, want), ==, want);
        }
    }
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    /* The metrics say which host did not answer, and still parse. */
    g_free(args);
    args = g_strdup_printf("--fleet %s status --format openmetrics",
                           fleet_file);
    g_assert_cmpint(balloonctl(args, &out, &err), ==, 3);
    parsed = openmetrics_parse(out);
    g_assert_nonnull(strstr(parsed, "ubf_host_up host=h3 0\n"));
    g_assert_nonnull(strstr(parsed, "ubf_host_up host=h1 1\n"));
    g_assert_null(strstr(parsed, "host=h3,"));
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fleet/three-hosts", test_fleet);
    ret = g_test_run();
    if (tmpdir) {
        fleet_cleanup();
    }
    return ret;
}
