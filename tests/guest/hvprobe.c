/*
 * hvprobe: a bare-metal Hyper-V guest that misbehaves on purpose.
 *
 * Booted by QEMU as a multiboot kernel (32-bit protected mode, ring 0,
 * no paging), it pokes at the Hyper-V interface QEMU offers under TCG the
 * way a buggy or hostile guest kernel could: unknown and read-only
 * synthetic MSRs, bad SINT vectors, hypercalls with bad codes, bad
 * control bits, misaligned, page-crossing or non-RAM input, VMBus
 * messages while the SynIC is off or its SINT masked, to a VP that does
 * not exist, and messages into a busy slot.  With extended hypercalls
 * offered (hv-ext-hypercalls) it probes those instead: the capability
 * query, cold discard hints (bad heat types, ranges outside RAM, in ROM
 * or MMIO, overlapping, huge counts, misaligned or page-crossing input,
 * what is discarded and what is not) and the boot-zeroed-memory answer,
 * checked against the multiboot memory map and the pages it wrote.  It
 * prints one "name value" line per probe on COM1, then "done", and
 * halts; the test (tests/integration/test-hyperv-tcg.c) says what each
 * value must be.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hvbare.h"

#define VMBUS_CONNECTION_ID 1
#define VMBUS_INITIATE_CONTACT 14
#define VMBUS_REQUESTOFFERS 3
#define VMBUS_VERSION_WIN10 0x00040000u

/* Far from any RAM or device, below 40 physical address bits */
#define NOT_RAM 0x8000000000ull

static uint8_t spare_page[8192] __attribute__((aligned(4096)));

/* A VMCALL outside the hypercall page: the vector taken, 0 if none */
static uint32_t vmcall_safe(void)
{
    uint32_t eax = 0, ecx = 0, edx = 0;

    fault_vector = 0;
    fault_skip = 3;
    __asm__ volatile("vmcall" : "+a"(eax), "+c"(ecx), "+d"(edx)
                     : : "ebx", "esi", "edi", "memory");
    return fault_vector;
}

static void vmbus_message(uint32_t type, uint32_t target_vp)
{
    uint32_t *p = (uint32_t *)post.payload;
    int i;

    for (i = 0; i < 60; i++) {
        p[i] = 0;
    }
    post.connection_id = VMBUS_CONNECTION_ID;
    post.type = 1;
    p[0] = type;
    if (type == VMBUS_INITIATE_CONTACT) {
        p[2] = VMBUS_VERSION_WIN10;
        p[3] = target_vp;
        post.size = 40;
    } else {
        post.size = 8;
    }
}

/* Wait (interrupts on) for slot 2 to hold a message; returns its type */
static uint32_t wait_message(void)
{
    volatile struct hv_message *slot = &simp[2];
    uint32_t spins;

    __asm__ volatile("sti");
    for (spins = 0; spins < 20000000 && !slot->type; spins++) {
        __asm__ volatile("pause");
    }
    /* a little longer, for an interrupt that would follow */
    for (spins = 0; spins < 2000000; spins++) {
        __asm__ volatile("pause");
    }
    __asm__ volatile("cli");
    return slot->type ? ((volatile uint32_t *)slot->payload)[0] : 0;
}

/* Wait for the host to flag a message pending behind slot 2's */
static void wait_pending(void)
{
    volatile struct hv_message *slot = &simp[2];
    uint32_t spins;

    for (spins = 0; spins < 20000000 && !(slot->flags & 1); spins++) {
        __asm__ volatile("pause");
    }
}

static void clear_slot(void)
{
    simp[2].type = 0;
    simp[2].flags = 0;
}

static void probe_msrs(void)
{
    uint64_t v;

    report("gp_rd_unknown", rdmsr_safe(MSR_VP_RUNTIME, &v));
    report("gp_wr_unknown", wrmsr_safe(MSR_STIMER0_CONFIG, 1));
    report("gp_rd_range_end", rdmsr_safe(0x400001ff, &v));
    report("gp_wr_vp_index", wrmsr_safe(MSR_VP_INDEX, 5));
    rdmsr_safe(MSR_VP_INDEX, &v);
    report("vp_index", v);
    report("gp_wr_sversion", wrmsr_safe(MSR_SVERSION, 2));
    rdmsr_safe(MSR_SVERSION, &v);
    report("sversion", v);
    report("gp_sint_low_vector", wrmsr_safe(MSR_SINT2, 5));
    report("sint_low_vector_masked", wrmsr_safe(MSR_SINT2, SINT_MASKED | 5));
    rdmsr_safe(MSR_SINT2, &v);
    report("sint2", v);
}

static void probe_hypercall_setup(void)
{
    uint64_t v;

    report("ud_vmcall_no_os_id", vmcall_safe());
    /* without a guest OS ID the page stays disabled */
    wrmsr_safe(MSR_HYPERCALL, (uint32_t)hypercall_page | 1);
    rdmsr_safe(MSR_HYPERCALL, &v);
    report("hypercall_no_os_id", v & 1);

    wrmsr_safe(MSR_GUEST_OS_ID, 0x8100000000000000ull);
    report("gp_hypercall_not_ram", wrmsr_safe(MSR_HYPERCALL, NOT_RAM | 1));
    report("gp_hypercall_page",
           wrmsr_safe(MSR_HYPERCALL, (uint32_t)hypercall_page | 1));
    report("hypercall_page_code", *(volatile uint32_t *)hypercall_page);
    report("vmcall_with_page", vmcall_safe());
}

static void probe_hypercalls(void)
{
    uint64_t page = (uint32_t)spare_page;

    report("hc_unknown_code", post_message(0x7777, (uint32_t)&post));
    vmbus_message(VMBUS_REQUESTOFFERS, 0);
    post.connection_id = 0xabcdef;
    report("hc_bad_connection", post_message(HC_POST_MESSAGE,
                                             (uint32_t)&post));
    report("hc_reserved_bits", post_message(HC_POST_MESSAGE | (1u << 27),
                                            (uint32_t)&post));
    report("hc_rep_count", post_message(HC_POST_MESSAGE | (1ull << 32),
                                        (uint32_t)&post));
    report("hc_varhead", post_message(HC_POST_MESSAGE | (1u << 17),
                                      (uint32_t)&post));
    report("hc_post_fast", post_message(HC_POST_MESSAGE | HC_FAST,
                                        (uint32_t)&post));
    report("hc_post_misaligned", post_message(HC_POST_MESSAGE,
                                              (uint32_t)&post + 4));
    report("hc_post_cross_page", post_message(HC_POST_MESSAGE,
                                              page + 4096 - 64));
    report("hc_post_not_ram", post_message(HC_POST_MESSAGE, NOT_RAM));
    vmbus_message(VMBUS_REQUESTOFFERS, 0);
    post.size = 241;
    report("hc_post_big_payload", post_message(HC_POST_MESSAGE,
                                               (uint32_t)&post));
    report("hc_signal_bad_connection",
           post_message(HC_SIGNAL_EVENT | HC_FAST, 0x77));
    report("hc_signal_flag_number",
           post_message(HC_SIGNAL_EVENT | HC_FAST, 1ull << 32));
    report("hc_signal_reserved",
           post_message(HC_SIGNAL_EVENT | HC_FAST, 1ull << 56));
    report("hc_signal_not_ram", post_message(HC_SIGNAL_EVENT, NOT_RAM));
    report("hc_signal_misaligned", post_message(HC_SIGNAL_EVENT, page + 3));
    report("hc_spin_wait", post_message(HC_NOTIFY_LONG_SPIN_WAIT, 0));
}

static void probe_sints(void)
{
    volatile uint32_t *isr = (volatile uint32_t *)(LAPIC_ISR +
                                                   0x10 * (SINT_VECTOR / 32));

    /* SynIC off: the reply has nowhere to go; QEMU resets its VMBus */
    vmbus_message(VMBUS_INITIATE_CONTACT, 0);
    report("synic_off_post", post_message(HC_POST_MESSAGE, (uint32_t)&post));
    report("synic_off_message", wait_message());

    /* a VP that does not exist */
    wrmsr_safe(MSR_SIMP, (uint32_t)simp | 1);
    wrmsr_safe(MSR_SIEFP, (uint32_t)siefp | 1);
    wrmsr_safe(MSR_SCONTROL, 1);
    vmbus_message(VMBUS_INITIATE_CONTACT, 99);
    report("bad_vp_post", post_message(HC_POST_MESSAGE, (uint32_t)&post));
    report("bad_vp_message", wait_message());

    /* masked SINT: the message arrives, the interrupt does not */
    wrmsr_safe(MSR_SINT2, SINT_MASKED | SINT_VECTOR);
    sint_irqs = 0;
    vmbus_message(VMBUS_INITIATE_CONTACT, 0);
    report("masked_post", post_message(HC_POST_MESSAGE, (uint32_t)&post));
    report("masked_message", wait_message());
    report("masked_irqs", sint_irqs);

    /* unmasked, EOI by the guest */
    clear_slot();
    wrmsr_safe(MSR_SINT2, SINT_VECTOR);
    sint_irqs = 0;
    sint_eoi = 1;
    vmbus_message(VMBUS_INITIATE_CONTACT, 0);
    post_message(HC_POST_MESSAGE, (uint32_t)&post);
    report("unmasked_message", wait_message());
    report("unmasked_irqs", sint_irqs);

    /* auto-EOI: no EOI written, yet the next interrupt comes */
    clear_slot();
    wrmsr_safe(MSR_SINT2, SINT_AUTO_EOI | SINT_VECTOR);
    sint_irqs = 0;
    sint_eoi = 0;
    vmbus_message(VMBUS_INITIATE_CONTACT, 0);
    post_message(HC_POST_MESSAGE, (uint32_t)&post);
    wait_message();
    clear_slot();
    vmbus_message(VMBUS_INITIATE_CONTACT, 0);
    post_message(HC_POST_MESSAGE, (uint32_t)&post);
    report("auto_eoi_message", wait_message());
    report("auto_eoi_irqs", sint_irqs);
    report("auto_eoi_in_service", (*isr >> (SINT_VECTOR % 32)) & 1);

    /*
     * Busy slot: a second message waits, flagged pending in the slot,
     * until the guest frees the slot and writes EOM.
     */
    vmbus_message(VMBUS_REQUESTOFFERS, 0);
    post_message(HC_POST_MESSAGE, (uint32_t)&post);
    wait_pending();
    report("busy_slot_pending", simp[2].flags & 1);
    report("busy_slot_kept", ((volatile uint32_t *)simp[2].payload)[0]);
    clear_slot();
    wrmsr_safe(MSR_EOM, 0);
    report("after_eom_message", wait_message());
}

/* ---- extended hypercalls ---- */

#define HC_EXT_QUERY_CAPS 0x8001
#define HC_EXT_BOOT_ZEROED 0x8002
#define HC_EXT_HEAT_HINT 0x8003
#define HC_REP(n) ((uint64_t)(n) << 32)
#define HC_REP_START(n) ((uint64_t)(n) << 48)
#define HC_STATUS(r) ((r) & 0xffff)
#define HC_REPS_DONE(r) (((r) >> 32) & 0xfff)

#define MIB (1024u * 1024u)
/* Blocks of its own memory the probe writes and hints (of 128 MiB) */
#define BLOCK_A (64 * MIB)
#define BLOCK_B (66 * MIB)
#define BLOCK_C (68 * MIB)
#define MARKER (96 * MIB)       /* written before asking for boot-zeroed */
#define LATE (100 * MIB)        /* written after: excluded next boot */
/* (LATE is never read before the answer: a read maps it, too) */
#define LATE_MAGIC 0x1a7e1a7eu

/* A 2 MiB page range (union hv_gpa_page_range), @n blocks */
static uint64_t range_2m(uint64_t gpa, uint32_t n)
{
    return (gpa >> 21) << 21 | 1u << 11 | (n - 1);
}

static void fill(uint32_t addr, uint32_t v)
{
    /* volatile: the host discards this memory behind the compiler's back */
    volatile uint32_t *p = (volatile uint32_t *)addr;
    uint32_t i;

    for (i = 0; i < 2 * MIB / 4; i += 1024) {
        p[i] = v;
    }
}

/* 1 if every word fill() writes reads @v */
static uint32_t reads(uint32_t addr, uint32_t v)
{
    /* volatile: the host discards this memory behind the compiler's back */
    volatile uint32_t *p = (volatile uint32_t *)addr;
    uint32_t i;

    for (i = 0; i < 2 * MIB / 4; i += 1024) {
        if (p[i] != v) {
            return 0;
        }
    }
    return 1;
}

static uint64_t *hint_input(uint64_t header)
{
    uint64_t *in = (uint64_t *)spare_page;

    in[0] = header;
    return in;
}

static uint64_t hint(uint64_t control, uint64_t in)
{
    return hypercall_out(HC_EXT_HEAT_HINT | control, in, 0);
}

static void probe_heat_hints(void)
{
    uint64_t page = (uint32_t)spare_page, *in, r;

    /* one 2 MiB block the probe wrote: discarded, reads zero */
    fill(BLOCK_A, 0xa5a5a5a5);
    fill(BLOCK_B, 0x5a5a5a5a);
    in = hint_input(2);
    in[1] = range_2m(BLOCK_A, 1);
    r = hint(HC_REP(1), page);
    report("hint_ok", HC_STATUS(r));
    report("hint_ok_reps", HC_REPS_DONE(r));
    report("hint_block_zero", reads(BLOCK_A, 0));
    report("hint_other_kept", reads(BLOCK_B, 0x5a5a5a5a));

    /* bad heat types, reserved header bits: nothing done */
    in = hint_input(0);
    in[1] = range_2m(BLOCK_B, 1);
    report("hint_type_cold", HC_STATUS(hint(HC_REP(1), page)));
    in[0] = 1;
    report("hint_type_hot", HC_STATUS(hint(HC_REP(1), page)));
    in[0] = 3;
    report("hint_type_3", HC_STATUS(hint(HC_REP(1), page)));
    in[0] = 2 | 1ull << 40;
    report("hint_header_reserved", HC_STATUS(hint(HC_REP(1), page)));
    report("hint_bad_kept", reads(BLOCK_B, 0x5a5a5a5a));

    /* bad ranges: outside RAM, ROM, MMIO, reserved bits, 1 GiB base */
    in = hint_input(2);
    in[1] = range_2m(NOT_RAM, 1);
    r = hint(HC_REP(1), page);
    report("hint_not_ram", HC_STATUS(r));
    report("hint_not_ram_reps", HC_REPS_DONE(r));
    in[1] = 0xf0ull << 12;                          /* 4 KiB at 0xf0000 */
    report("hint_rom", HC_STATUS(hint(HC_REP(1), page)));
    in[1] = 0xfee00ull << 12;                       /* the local APIC */
    report("hint_mmio", HC_STATUS(hint(HC_REP(1), page)));
    in[1] = range_2m(BLOCK_B, 1) | 1u << 13;
    report("hint_range_reserved", HC_STATUS(hint(HC_REP(1), page)));
    in[1] = range_2m(BLOCK_B, 1) | 1u << 12;        /* 1 GiB, at 66 MiB */
    report("hint_1g_misaligned", HC_STATUS(hint(HC_REP(1), page)));
    in[1] = range_2m(0, 2047);                      /* 4 GiB: past RAM */
    report("hint_too_long", HC_STATUS(hint(HC_REP(1), page)));
    report("hint_ranges_kept", reads(BLOCK_B, 0x5a5a5a5a));

    /* a good range then a bad one: the first done, the call stops */
    fill(BLOCK_C, 0xc3c3c3c3);
    in[1] = range_2m(BLOCK_C, 1);
    in[2] = range_2m(NOT_RAM, 1);
    r = hint(HC_REP(2), page);
    report("hint_partial", HC_STATUS(r));
    report("hint_partial_reps", HC_REPS_DONE(r));
    report("hint_partial_first_zero", reads(BLOCK_C, 0));

    /* the same block twice, and again: fine */
    in[1] = range_2m(BLOCK_A, 1);
    in[2] = range_2m(BLOCK_A, 1);
    r = hint(HC_REP(2), page);
    report("hint_overlap", HC_STATUS(r));
    report("hint_overlap_reps", HC_REPS_DONE(r));
    report("hint_repeat", HC_STATUS(hint(HC_REP(1), page)));

    /* the call's form */
    report("hint_huge_count", HC_STATUS(hint(HC_REP(4095), page)));
    report("hint_no_reps", HC_STATUS(hint(0, page)));
    report("hint_start_past", HC_STATUS(hint(HC_REP(1) | HC_REP_START(1),
                                              page)));
    report("hint_fast", HC_STATUS(hint(HC_REP(1) | HC_FAST, page)));
    report("hint_varhead", HC_STATUS(hint(HC_REP(1) | 1u << 17, page)));
    report("hint_misaligned", HC_STATUS(hint(HC_REP(1), page + 4)));
    report("hint_cross_page", HC_STATUS(hint(HC_REP(2), page + 4096 - 16)));
    report("hint_input_not_ram", HC_STATUS(hint(HC_REP(1), NOT_RAM)));
    report("hint_end_kept", reads(BLOCK_B, 0x5a5a5a5a));
}

/* Is [@start, + @len) within a multiboot "available" region? */
static uint32_t in_mmap(uint64_t start, uint64_t len)
{
    uint32_t *mbi = (uint32_t *)mb_info;
    uint32_t p, end;

    if (!(mbi[0] & (1u << 6))) {
        return 0;
    }
    p = mbi[12];
    end = p + mbi[11];
    while (p < end) {
        uint32_t size = *(uint32_t *)p;
        uint64_t a = *(uint64_t *)(p + 4), l = *(uint64_t *)(p + 12);
        uint32_t type = *(uint32_t *)(p + 20);

        if (type == 1 && start >= a && start + len <= a + l) {
            return 1;
        }
        p += size + 4;
    }
    return 0;
}

/* Does some range of the answer at @out cover @gpa? */
static uint32_t covers(const uint64_t *out, uint64_t gpa)
{
    uint64_t i;

    for (i = 0; i < out[0] && i < 255; i++) {
        uint64_t s = out[1 + 2 * i] << 12, l = out[2 + 2 * i] << 12;

        if (gpa >= s && gpa < s + l) {
            return 1;
        }
    }
    return 0;
}

static void probe_boot_zeroed(void)
{
    uint64_t page = (uint32_t)spare_page, *out = (uint64_t *)spare_page;
    uint64_t i, first, total = 0;
    /* volatile: each access must reach memory, where the host looks */
    volatile uint32_t *late = (volatile uint32_t *)LATE;
    /* volatile: likewise */
    volatile uint32_t *marker = (volatile uint32_t *)MARKER;
    /* the marker page remembers an earlier boot (reading LATE would not) */
    uint32_t in_map = 1, again = 1, boot = marker[1] == LATE_MAGIC ? 2 : 1;

    marker[0] = 1;
    report("bz_boot", boot);
    report("bz_status", HC_STATUS(hypercall_out(HC_EXT_BOOT_ZEROED, 0,
                                                page)));
    report("bz_count_nonzero", out[0] > 0 && out[0] <= 255);
    for (i = 0; i < out[0] && i < 255; i++) {
        in_map &= in_mmap(out[1 + 2 * i] << 12, out[2 + 2 * i] << 12);
        total += out[2 + 2 * i] << 12;
    }
    report("bz_in_memory_map", in_map);
    report("bz_excludes_image", !covers(out, 1 * MIB) &&
           !covers(out, (uint32_t)spare_page));
    report("bz_excludes_marker", !covers(out, MARKER));
    report("bz_covers_late", covers(out, LATE));
    first = out[0];
    report("bz_again", HC_STATUS(hypercall_out(HC_EXT_BOOT_ZEROED, 0,
                                               page)));
    again = out[0] == first;
    report("bz_same_again", again);
    report("bz_total_mib", total / MIB);
    /* written now: the host holds data for it from here on */
    *late = LATE_MAGIC;
    marker[1] = LATE_MAGIC;

    report("bz_fast", HC_STATUS(hypercall_out(HC_EXT_BOOT_ZEROED | HC_FAST,
                                              0, page)));
    report("bz_rep", HC_STATUS(hypercall_out(HC_EXT_BOOT_ZEROED | HC_REP(1),
                                             0, page)));
    report("bz_misaligned", HC_STATUS(hypercall_out(HC_EXT_BOOT_ZEROED, 0,
                                                    page + 4)));
    report("bz_cross_page", HC_STATUS(hypercall_out(HC_EXT_BOOT_ZEROED, 0,
                                                    page + 16)));
    report("bz_not_ram", HC_STATUS(hypercall_out(HC_EXT_BOOT_ZEROED, 0,
                                                 NOT_RAM)));
}

static void probe_ext_hypercalls(void)
{
    uint64_t page = (uint32_t)spare_page, *caps = (uint64_t *)spare_page;

    report("ext_caps_status", HC_STATUS(hypercall_out(HC_EXT_QUERY_CAPS, 0,
                                                      page)));
    report("ext_caps", *caps);
    report("ext_caps_fast", HC_STATUS(hypercall_out(HC_EXT_QUERY_CAPS |
                                                    HC_FAST, 0, page)));
    report("ext_caps_rep", HC_STATUS(hypercall_out(HC_EXT_QUERY_CAPS |
                                                   HC_REP(1), 0, page)));
    report("ext_caps_misaligned", HC_STATUS(hypercall_out(HC_EXT_QUERY_CAPS,
                                                          0, page + 4)));
    report("ext_caps_not_ram", HC_STATUS(hypercall_out(HC_EXT_QUERY_CAPS, 0,
                                                       NOT_RAM)));
    report("ext_unknown", HC_STATUS(hypercall_out(0x8004, 0, page)));
    probe_heat_hints();
    probe_boot_zeroed();
}

void bare_main(void)
{
    uint32_t sig[3];
    uint32_t max, features;

    setup_cpu();
    __asm__ volatile("cpuid" : "=a"(max), "=b"(sig[0]), "=c"(sig[1]),
                     "=d"(sig[2]) : "a"(0x40000000));
    report("cpuid_max", max);
    report("cpuid_vendor_is_hv", sig[0] == 0x7263694d &&      /* Micr */
           sig[1] == 0x666f736f && sig[2] == 0x76482074);     /* osoft Hv */
    __asm__ volatile("cpuid" : "=a"(features), "=b"(sig[0]), "=c"(sig[1]),
                     "=d"(sig[2]) : "a"(0x40000003));
    report("cpuid_features", features);
    report("ext_cpuid_bit", (sig[0] >> 20) & 1);

    if ((sig[0] >> 20) & 1) {
        /* extended hypercalls offered: those, with a hypercall page */
        wrmsr_safe(MSR_GUEST_OS_ID, 0x8100000000000000ull);
        wrmsr_safe(MSR_HYPERCALL, (uint32_t)hypercall_page | 1);
        probe_ext_hypercalls();
        puts_serial("done\n");
        return;
    }
    probe_msrs();
    probe_hypercall_setup();
    report("ext_not_offered", post_message(HC_EXT_QUERY_CAPS, 0));
    probe_hypercalls();
    probe_sints();
    puts_serial("done\n");
}
