/*
 * ubf-agent: reports what the guest itself sees, on a serial line
 *
 * Runs as a static binary in the test guest's initramfs.  It reads one
 * command per line from a tty (default /dev/ttyS1) and answers each with
 * exactly one line of JSON:
 *
 *   ping [TOKEN]       {"ok":true,"pong":"TOKEN"}  (TOKEN: up to 32
 *                      letters and digits; lets the host skip stale
 *                      replies when it synchronises)
 *   meminfo            {"memtotal_kib":N,"memfree_kib":N,
 *                       "memavailable_kib":N,"nodes":[{"node":N,
 *                       "memtotal_kib":N,"memfree_kib":N},...]}
 *   alloc MIB          allocate and touch MIB more MiB and keep them
 *                      {"ok":true,"allocated_mib":N}
 *   free               release everything "alloc" took
 *                      {"ok":true,"allocated_mib":0}
 *   modules            {"modules":["name",...]}  (from /proc/modules)
 *   load NAME          load /lib/modules/NAME.ko  {"ok":true}
 *   unload NAME        unload module NAME         {"ok":true}
 *   unbind BUS DRIVER  unbind every device DRIVER drives on BUS (through
 *                      /sys/bus/BUS/drivers/DRIVER/unbind), for drivers
 *                      whose module cannot be unloaded
 *                      {"ok":true,"unbound":N}
 *   workload RATE PEAK HOLD
 *                      in a child process: touch anonymous memory at
 *                      RATE MiB/s up to PEAK MiB, hold it HOLD seconds,
 *                      free it and exit  {"ok":true}
 *   workload-status    {"running":B,"touched_mib":N,"result":"R",
 *                       "oom_kills":N}  (R: "running", "done", or how
 *                      the child died, e.g. "signal 9"; oom_kills from
 *                      /proc/vmstat, for the whole guest)
 *   kexec HOW          load /kexec/vmlinuz (the guest's own kernel, in
 *                      guests built with it) and this initramfs as it is
 *                      now with this kernel's command line, and start
 *                      them: HOW is "load" (kexec-tools' default,
 *                      the kexec_load system call: the memory map comes
 *                      from /sys/firmware/memmap) or "file"
 *                      (kexec_file_load: the kernel's boot memory map)
 *                      {"ok":true}, then the new kernel boots
 *   crash              load the same kernel as a crash kernel (kexec -p,
 *                      into the memory crashkernel= reserved) and crash
 *                      this one: {"ok":true}, then the crash kernel boots
 *
 * Any failure answers {"error":"..."}.  Unknown commands are errors too,
 * so a host talking to the wrong port finds out at once.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define AGENT_LINE_MAX 256
#define AGENT_MAX_CHUNKS 4096
#define AGENT_MAX_NODES 64

typedef struct AgentChunk {
    void *addr;
    size_t len;
} AgentChunk;

static AgentChunk agent_chunks[AGENT_MAX_CHUNKS];
static unsigned agent_nchunks;
static unsigned long agent_allocated_mib;
static FILE *agent_out;

static void agent_reply(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(agent_out, fmt, ap);
    va_end(ap);
    fputc('\n', agent_out);
    fflush(agent_out);
}

static void agent_error(const char *what)
{
    agent_reply("{\"error\":\"%s: %s\"}", what, strerror(errno));
}

/* Value in kB of the first line of @path that starts with @key. */
static long long agent_meminfo_value(const char *path, const char *key)
{
    char line[256];
    long long value = -1;
    FILE *f = fopen(path, "r");

    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *p = strstr(line, key);

        /* /proc/meminfo: "MemTotal: N kB"; node: "Node 0 MemTotal: N kB" */
        if (p && p[strlen(key)] == ':') {
            value = strtoll(p + strlen(key) + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return value;
}

static int agent_node_cmp(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static void agent_cmd_meminfo(void)
{
    int nodes[AGENT_MAX_NODES];
    int nnodes = 0, i;
    char buf[8192];
    size_t off = 0;
    DIR *d = opendir("/sys/devices/system/node");
    struct dirent *de;

    while (d && (de = readdir(d)) && nnodes < AGENT_MAX_NODES) {
        char *end;
        long n;

        if (strncmp(de->d_name, "node", 4) || !de->d_name[4]) {
            continue;
        }
        n = strtol(de->d_name + 4, &end, 10);
        if (*end == '\0' && n >= 0) {
            nodes[nnodes++] = n;
        }
    }
    if (d) {
        closedir(d);
    }
    qsort(nodes, nnodes, sizeof(nodes[0]), agent_node_cmp);

    off += snprintf(buf + off, sizeof(buf) - off,
                    "{\"memtotal_kib\":%lld,\"memfree_kib\":%lld,"
                    "\"memavailable_kib\":%lld,\"allocated_mib\":%lu,"
                    "\"nodes\":[",
                    agent_meminfo_value("/proc/meminfo", "MemTotal"),
                    agent_meminfo_value("/proc/meminfo", "MemFree"),
                    agent_meminfo_value("/proc/meminfo", "MemAvailable"),
                    agent_allocated_mib);
    for (i = 0; i < nnodes && off < sizeof(buf); i++) {
        char path[64];

        snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
                 nodes[i]);
        off += snprintf(buf + off, sizeof(buf) - off,
                        "%s{\"node\":%d,\"memtotal_kib\":%lld,"
                        "\"memfree_kib\":%lld}", i ? "," : "", nodes[i],
                        agent_meminfo_value(path, "MemTotal"),
                        agent_meminfo_value(path, "MemFree"));
    }
    if (off >= sizeof(buf) - 3) {
        agent_reply("{\"error\":\"meminfo: too many nodes\"}");
        return;
    }
    agent_reply("%s]}", buf);
}

static void agent_cmd_alloc(const char *arg)
{
    char *end;
    unsigned long mib = strtoul(arg, &end, 10);
    size_t len, off;
    long page = sysconf(_SC_PAGESIZE);
    char *p;

    if (*arg == '\0' || *end != '\0' || mib == 0 || mib > (1UL << 20)) {
        agent_reply("{\"error\":\"alloc: MIB must be 1..1048576\"}");
        return;
    }
    if (agent_nchunks == AGENT_MAX_CHUNKS) {
        agent_reply("{\"error\":\"alloc: too many allocations\"}");
        return;
    }
    len = (size_t)mib << 20;
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED) {
        agent_error("alloc");
        return;
    }
    /* Touch every page so the guest really backs it. */
    for (off = 0; off < len; off += page) {
        p[off] = 1;
    }
    agent_chunks[agent_nchunks].addr = p;
    agent_chunks[agent_nchunks].len = len;
    agent_nchunks++;
    agent_allocated_mib += mib;
    agent_reply("{\"ok\":true,\"allocated_mib\":%lu}", agent_allocated_mib);
}

static void agent_cmd_free(void)
{
    while (agent_nchunks) {
        agent_nchunks--;
        munmap(agent_chunks[agent_nchunks].addr,
               agent_chunks[agent_nchunks].len);
    }
    agent_allocated_mib = 0;
    agent_reply("{\"ok\":true,\"allocated_mib\":0}");
}

static void agent_cmd_modules(void)
{
    char line[256], buf[2048];
    size_t off = 0;
    FILE *f = fopen("/proc/modules", "r");

    if (!f) {
        agent_error("modules");
        return;
    }
    off += snprintf(buf, sizeof(buf), "{\"modules\":[");
    while (fgets(line, sizeof(line), f) && off < sizeof(buf) - 64) {
        line[strcspn(line, " ")] = '\0';
        off += snprintf(buf + off, sizeof(buf) - off, "%s\"%s\"",
                        buf[off - 1] == '[' ? "" : ",", line);
    }
    fclose(f);
    agent_reply("%s]}", buf);
}

static int agent_valid_module_name(const char *name)
{
    size_t i, len = strlen(name);

    if (len == 0 || len > 55) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return 1;
}

static void agent_cmd_load(const char *name)
{
    char path[128];
    int fd;

    if (!agent_valid_module_name(name)) {
        agent_reply("{\"error\":\"load: bad module name\"}");
        return;
    }
    snprintf(path, sizeof(path), "/lib/modules/%s.ko", name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        agent_error("load");
        return;
    }
    if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST) {
        close(fd);
        agent_error("load");
        return;
    }
    close(fd);
    agent_reply("{\"ok\":true}");
}

static void agent_cmd_unload(const char *name)
{
    if (!agent_valid_module_name(name)) {
        agent_reply("{\"error\":\"unload: bad module name\"}");
        return;
    }
    if (syscall(SYS_delete_module, name, O_NONBLOCK)) {
        agent_error("unload");
        return;
    }
    agent_reply("{\"ok\":true}");
}

static void agent_cmd_unbind(char *arg)
{
    char *drv = strchr(arg, ' ');
    char path[256];
    struct dirent *de;
    int n = 0, fd;
    DIR *d;

    if (!drv) {
        agent_reply("{\"error\":\"unbind: BUS DRIVER\"}");
        return;
    }
    *drv++ = '\0';
    if (!agent_valid_module_name(arg) || !agent_valid_module_name(drv)) {
        agent_reply("{\"error\":\"unbind: bad bus or driver name\"}");
        return;
    }
    snprintf(path, sizeof(path), "/sys/bus/%s/drivers/%s", arg, drv);
    d = opendir(path);
    if (!d) {
        agent_error("unbind");
        return;
    }
    /* The devices are the symbolic links (bind, unbind, module... too) */
    while ((de = readdir(d))) {
        if (de->d_type != DT_LNK || !strcmp(de->d_name, "module")) {
            continue;
        }
        snprintf(path, sizeof(path), "/sys/bus/%s/drivers/%s/unbind", arg,
                 drv);
        fd = open(path, O_WRONLY);
        if (fd < 0 || write(fd, de->d_name, strlen(de->d_name)) < 0) {
            if (fd >= 0) {
                close(fd);
            }
            closedir(d);
            agent_error("unbind");
            return;
        }
        close(fd);
        n++;
    }
    closedir(d);
    agent_reply("{\"ok\":true,\"unbound\":%d}", n);
}

static void agent_cmd_ping(const char *token)
{
    size_t i, len = strlen(token);

    for (i = 0; i < len; i++) {
        char c = token[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9'))) {
            break;
        }
    }
    if (i < len || len > 32) {
        agent_reply("{\"error\":\"ping: bad token\"}");
        return;
    }
    agent_reply("{\"ok\":true,\"pong\":\"%s\"}", token);
}

/* Counter @key of /proc/vmstat ("key value" lines), -1 if absent. */
static long long agent_vmstat_value(const char *key)
{
    char line[128], name[64];
    long long value, found = -1;
    FILE *f = fopen("/proc/vmstat", "r");

    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%63s %lld", name, &value) == 2 &&
            !strcmp(name, key)) {
            found = value;
            break;
        }
    }
    fclose(f);
    return found;
}

/* The workload child, and what it reports through a shared page. */
static pid_t agent_workload_pid;
static char agent_workload_result[32] = "none";
static volatile unsigned long *agent_workload_touched;

static void agent_workload_child(unsigned long rate, unsigned long peak,
                                 unsigned long hold)
{
    size_t len = (size_t)peak << 20;
    size_t step = ((size_t)rate << 20) / 10;    /* every 100 ms */
    struct timespec tick = { 0, 100 * 1000 * 1000 };
    long page = sysconf(_SC_PAGESIZE);
    size_t off = 0;
    char *p;

    p = mmap(NULL, len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        _exit(2);
    }
    while (off < len) {
        size_t end = off + step < len ? off + step : len;

        for (; off < end; off += page) {
            p[off] = 1;
        }
        *agent_workload_touched = off >> 20;
        nanosleep(&tick, NULL);
    }
    sleep(hold);
    munmap(p, len);
    *agent_workload_touched = 0;
    _exit(0);
}

static void agent_cmd_workload(const char *arg)
{
    unsigned long rate, peak, hold;
    char extra;

    if (sscanf(arg, "%lu %lu %lu %c", &rate, &peak, &hold, &extra) != 3 ||
        !rate || rate > 65536 || !peak || peak > (1UL << 20) ||
        hold > 86400) {
        agent_reply("{\"error\":\"workload: RATE (1..65536 MiB/s) PEAK "
                    "(1..1048576 MiB) HOLD (0..86400 s)\"}");
        return;
    }
    if (agent_workload_pid) {
        agent_reply("{\"error\":\"workload: one is running\"}");
        return;
    }
    if (!agent_workload_touched) {
        agent_workload_touched = mmap(NULL, sizeof(unsigned long),
                                      PROT_READ | PROT_WRITE,
                                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (agent_workload_touched == MAP_FAILED) {
            agent_workload_touched = NULL;
            agent_error("workload");
            return;
        }
    }
    *agent_workload_touched = 0;
    agent_workload_pid = fork();
    if (agent_workload_pid < 0) {
        agent_workload_pid = 0;
        agent_error("workload");
        return;
    }
    if (agent_workload_pid == 0) {
        agent_workload_child(rate, peak, hold);
    }
    strcpy(agent_workload_result, "running");
    agent_reply("{\"ok\":true}");
}

static void agent_cmd_workload_status(void)
{
    int status;

    if (agent_workload_pid &&
        waitpid(agent_workload_pid, &status, WNOHANG) == agent_workload_pid) {
        agent_workload_pid = 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            strcpy(agent_workload_result, "done");
        } else if (WIFEXITED(status)) {
            snprintf(agent_workload_result, sizeof(agent_workload_result),
                     "exit %d", WEXITSTATUS(status));
        } else {
            snprintf(agent_workload_result, sizeof(agent_workload_result),
                     "signal %d", WTERMSIG(status));
        }
    }
    agent_reply("{\"running\":%s,\"touched_mib\":%lu,\"result\":\"%s\","
                "\"oom_kills\":%lld}", agent_workload_pid ? "true" : "false",
                agent_workload_touched ? *agent_workload_touched : 0,
                agent_workload_result,
                agent_vmstat_value("oom_kill"));
}

/* Run @path with @argv (NULL-terminated); 0 if it exited 0. */
static int agent_run(const char *path, const char *const *argv)
{
    int status;
    pid_t pid = fork();

    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        execv(path, (char *const *)argv);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

/*
 * The initramfs as it is now, in /run/kexec-initrd.img (a tmpfs of its
 * own, so that it is not in itself), and the kernel with @mode ("-c",
 * "-s" or "-p") loaded with it; 0 on success.
 */
static int agent_kexec_load(const char *mode)
{
    static const char *const make_initrd[] = {
        "sh", "-c",
        "mkdir -p /run && { mountpoint -q /run || "
        "mount -t tmpfs tmpfs /run; } && "
        "cd / && find . -xdev | cpio -o -H newc >/run/kexec-initrd.img",
        NULL
    };
    int rc = agent_run("/bin/sh", make_initrd);

    if (rc) {
        return 1000 + rc;
    }
    if (!strcmp(mode, "-p")) {
        return agent_run("/sbin/kexec", (const char *const []) {
            "kexec", "-p", "/kexec/vmlinuz",
            "--initrd=/run/kexec-initrd.img", "--reuse-cmdline", NULL });
    }
    return agent_run("/sbin/kexec", (const char *const []) {
        "kexec", mode, "-l", "/kexec/vmlinuz",
        "--initrd=/run/kexec-initrd.img", "--reuse-cmdline", NULL });
}

static void agent_cmd_kexec(const char *arg)
{
    const char *mode;
    int rc;

    if (!strcmp(arg, "load")) {
        mode = "-c";
    } else if (!strcmp(arg, "file")) {
        mode = "-s";
    } else {
        agent_reply("{\"error\":\"kexec: HOW is load or file\"}");
        return;
    }
    rc = agent_kexec_load(mode);
    if (rc) {
        agent_reply("{\"error\":\"kexec: loading failed (%d)\"}", rc);
        return;
    }
    agent_reply("{\"ok\":true}");
    sync();
    execl("/sbin/kexec", "kexec", "-e", (char *)NULL);
    agent_error("kexec -e");
}

static void agent_cmd_crash(void)
{
    int rc = agent_kexec_load("-p");
    int fd;

    if (rc) {
        agent_reply("{\"error\":\"crash: loading the crash kernel failed "
                    "(%d)\"}", rc);
        return;
    }
    agent_reply("{\"ok\":true}");
    fd = open("/proc/sysrq-trigger", O_WRONLY);
    if (fd < 0 || write(fd, "c", 1) != 1) {
        agent_error("crash");
    }
}

static void agent_dispatch(char *line)
{
    char *arg = strchr(line, ' ');

    if (arg) {
        *arg++ = '\0';
    } else {
        arg = line + strlen(line);
    }

    if (!strcmp(line, "ping")) {
        agent_cmd_ping(arg);
    } else if (!strcmp(line, "meminfo")) {
        agent_cmd_meminfo();
    } else if (!strcmp(line, "alloc")) {
        agent_cmd_alloc(arg);
    } else if (!strcmp(line, "free")) {
        agent_cmd_free();
    } else if (!strcmp(line, "modules")) {
        agent_cmd_modules();
    } else if (!strcmp(line, "load")) {
        agent_cmd_load(arg);
    } else if (!strcmp(line, "unload")) {
        agent_cmd_unload(arg);
    } else if (!strcmp(line, "unbind")) {
        agent_cmd_unbind(arg);
    } else if (!strcmp(line, "workload")) {
        agent_cmd_workload(arg);
    } else if (!strcmp(line, "workload-status")) {
        agent_cmd_workload_status();
    } else if (!strcmp(line, "kexec")) {
        agent_cmd_kexec(arg);
    } else if (!strcmp(line, "crash")) {
        agent_cmd_crash();
    } else if (line[0] != '\0') {
        agent_reply("{\"error\":\"unknown command\"}");
    }
}

int main(int argc, char **argv)
{
    const char *dev = argc > 1 ? argv[1] : "/dev/ttyS1";
    char line[AGENT_LINE_MAX];
    size_t len = 0;
    int overlong = 0;
    struct termios tio;
    FILE *in;
    int fd, c;

    fd = open(dev, O_RDWR | O_NOCTTY);
    if (fd < 0) {
        perror(dev);
        return 1;
    }
    if (tcgetattr(fd, &tio) == 0) {
        cfmakeraw(&tio);
        cfsetispeed(&tio, B115200);
        cfsetospeed(&tio, B115200);
        tcsetattr(fd, TCSANOW, &tio);
    }
    in = fdopen(fd, "r");
    agent_out = fdopen(dup(fd), "w");
    if (!in || !agent_out) {
        perror("fdopen");
        return 1;
    }
    agent_reply("{\"ready\":true}");

    while ((c = fgetc(in)) != EOF) {
        if (c == '\r') {
            continue;
        }
        if (c != '\n') {
            if (len < sizeof(line) - 1) {
                line[len++] = c;
            } else {
                overlong = 1;
            }
            continue;
        }
        line[len] = '\0';
        if (overlong) {
            agent_reply("{\"error\":\"line too long\"}");
        } else {
            agent_dispatch(line);
        }
        len = 0;
        overlong = 0;
    }
    return 0;
}
