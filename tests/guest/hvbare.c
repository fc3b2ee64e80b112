/*
 * hvbare: what the bare-metal Hyper-V test guests share (see hvbare.h).
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hvbare.h"

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t zero, flags;
    uint16_t off_hi;
} __attribute__((packed));

struct table_ptr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

__attribute__((section(".multiboot"), used, aligned(4)))
static const uint32_t multiboot[3] = {
    0x1badb002, 0, -(0x1badb002u)
};

uint8_t stack[16384] __attribute__((aligned(16)));
uint8_t hypercall_page[4096] __attribute__((aligned(4096)));
struct hv_message simp[16] __attribute__((aligned(4096)));
uint8_t siefp[4096] __attribute__((aligned(4096)));
struct hv_post_message post __attribute__((aligned(4096)));
static void *const hypercall_entry = hypercall_page;
static struct idt_gate idt[256];
static const uint64_t gdt[3] = {
    0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull
};

uint32_t mb_info;
volatile uint32_t fault_vector;
volatile uint32_t fault_skip;
volatile uint32_t sint_irqs;
volatile uint32_t sint_eoi;

void fault_gp(void);
void fault_ud(void);
void sint_irq(void);
void spurious_irq(void);

__asm__(
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    "    mov %ebx, mb_info\n"
    "    mov $stack + 16384, %esp\n"
    "    call bare_main\n"
    "1:  cli\n"
    "    hlt\n"
    "    jmp 1b\n"
    /* #GP pushes an error code; skip the faulting instruction */
    "fault_gp:\n"
    "    add $4, %esp\n"
    "    movl $13, fault_vector\n"
    "    push %eax\n"
    "    mov fault_skip, %eax\n"
    "    add %eax, 4(%esp)\n"
    "    pop %eax\n"
    "    iret\n"
    "fault_ud:\n"
    "    movl $6, fault_vector\n"
    "    push %eax\n"
    "    mov fault_skip, %eax\n"
    "    add %eax, 4(%esp)\n"
    "    pop %eax\n"
    "    iret\n"
    "sint_irq:\n"
    "    lock incl sint_irqs\n"
    "    cmpl $0, sint_eoi\n"
    "    je 2f\n"
    "    movl $0, 0xfee000b0\n"
    "2:  iret\n"
    "spurious_irq:\n"
    "    iret\n");

void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

uint8_t inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

void putc_serial(char c)
{
    while (!(inb(COM1 + 5) & 0x20)) {
        /* wait for the transmitter */
    }
    outb(COM1, c);
}

void puts_serial(const char *s)
{
    while (*s) {
        putc_serial(*s++);
    }
}

char getc_serial(void)
{
    while (!(inb(COM1 + 5) & 0x01)) {
        /* wait for a byte */
    }
    return inb(COM1);
}

void report(const char *name, uint64_t v)
{
    int i;

    puts_serial(name);
    puts_serial(" 0x");
    for (i = 60; i >= 0; i -= 4) {
        putc_serial("0123456789abcdef"[(v >> i) & 0xf]);
    }
    putc_serial('\n');
}

static void set_gate(int vector, void (*fn)(void))
{
    uint32_t a = (uint32_t)fn;

    idt[vector].off_lo = a & 0xffff;
    idt[vector].sel = 0x08;
    idt[vector].zero = 0;
    idt[vector].flags = 0x8e;       /* present, ring 0, 32-bit interrupt */
    idt[vector].off_hi = a >> 16;
}

void setup_cpu(void)
{
    struct table_ptr g = { sizeof(gdt) - 1, (uint32_t)gdt };
    struct table_ptr i = { sizeof(idt) - 1, (uint32_t)idt };
    int v;

    __asm__ volatile("lgdt %0\n"
                     "ljmp $0x08, $1f\n"
                     "1: mov $0x10, %%ax\n"
                     "mov %%ax, %%ds\n"
                     "mov %%ax, %%es\n"
                     "mov %%ax, %%ss\n"
                     "mov %%ax, %%fs\n"
                     "mov %%ax, %%gs\n" : : "m"(g) : "eax", "memory");
    for (v = 0; v < 256; v++) {
        set_gate(v, spurious_irq);
    }
    set_gate(FAULT_UD, fault_ud);
    set_gate(FAULT_GP, fault_gp);
    set_gate(SINT_VECTOR, sint_irq);
    __asm__ volatile("lidt %0" : : "m"(i));

    /* software-enable the local APIC, spurious vector 0xff */
    *(volatile uint32_t *)LAPIC_SVR = 0x1ff;
}

uint32_t rdmsr_safe(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;

    fault_vector = 0;
    fault_skip = 2;
    __asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *val = (uint64_t)hi << 32 | lo;
    return fault_vector;
}

uint32_t wrmsr_safe(uint32_t msr, uint64_t val)
{
    fault_vector = 0;
    fault_skip = 2;
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val),
                     "d"((uint32_t)(val >> 32)) : "memory");
    return fault_vector;
}

uint64_t hypercall(uint64_t control, uint64_t in)
{
    uint32_t lo = control, hi = control >> 32;
    uint32_t in_lo = in, in_hi = in >> 32;
    uint32_t out_lo = 0, out_hi = 0;

    __asm__ volatile("call *%6"
                     : "+a"(lo), "+d"(hi), "+b"(in_hi), "+c"(in_lo),
                       "+D"(out_hi), "+S"(out_lo)
                     : "m"(hypercall_entry) : "memory");
    return (uint64_t)hi << 32 | lo;
}

uint16_t post_message(uint64_t control, uint64_t gpa)
{
    return hypercall(control, gpa) & 0xffff;
}

uint64_t hypercall_out(uint64_t control, uint64_t in, uint64_t out)
{
    uint32_t lo = control, hi = control >> 32;
    uint32_t in_lo = in, in_hi = in >> 32;
    uint32_t out_lo = out, out_hi = out >> 32;

    __asm__ volatile("call *%6"
                     : "+a"(lo), "+d"(hi), "+b"(in_hi), "+c"(in_lo),
                       "+D"(out_hi), "+S"(out_lo)
                     : "m"(hypercall_entry) : "memory");
    return (uint64_t)hi << 32 | lo;
}
