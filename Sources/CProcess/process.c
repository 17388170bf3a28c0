// Process hardening in C: a signal handler must be async-signal-safe, which Swift code cannot promise
// (it may allocate, take locks or run lazy initialisers). Everything here uses only write(2),
// tcsetattr(3) and _exit(2).
#include "CProcess.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t terminal_fd = -1;
static struct termios terminal_saved;

static void restore_terminal(void) {
    int fd = terminal_fd;
    if (fd >= 0) {
        tcsetattr(fd, TCSAFLUSH, &terminal_saved);
        (void)!write(fd, "\n", 1);
    }
}

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGQUIT: return "SIGQUIT";
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGTRAP: return "SIGTRAP";
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
    }
}

static void write_line(const char *first, const char *second, const char *third) {
    (void)!write(STDERR_FILENO, first, strlen(first));
    (void)!write(STDERR_FILENO, second, strlen(second));
    (void)!write(STDERR_FILENO, third, strlen(third));
}

/// A crash: one line, no dump, exit 1 (SPEC's "any other failure").
static void on_crash(int sig) {
    restore_terminal();
    write_line("error: custctl stopped on ", signal_name(sig),
               "; nothing was written to memory dumps (run the command again)\n");
    _exit(1);
}

/// Ctrl-C, SIGTERM, SIGHUP while a terminal prompt has echo off: give echo back, then die of the
/// signal as usual so the shell sees why.
static void on_interrupt(int sig) {
    restore_terminal();
    signal(sig, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    raise(sig);
}

static int install(int sig, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK;
    return sigaction(sig, &action, NULL);
}

int custctl_harden_process(void) {
    int result = 0;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) result = -1;
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0) result = -1;
    // An alternate stack, so that a stack overflow still reaches the handler instead of a dump.
    static char alternate[1 << 16];
    stack_t stack = {.ss_sp = alternate, .ss_size = sizeof alternate, .ss_flags = 0};
    if (sigaltstack(&stack, NULL) != 0) result = -1;
    const int crashes[] = {SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    sigset_t unblock;
    sigemptyset(&unblock);
    for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++) {
        if (install(crashes[i], on_crash) != 0) result = -1;
        sigaddset(&unblock, crashes[i]);
    }
    // A parent may hand down a mask that blocks SIGQUIT or SIGABRT; the handler must still run.
    if (sigprocmask(SIG_UNBLOCK, &unblock, NULL) != 0) result = -1;
    return result;
}

static const int interrupts[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction interrupts_before[3];
static sigset_t interrupts_mask_before;

void custctl_remember_terminal(int fd) {
    struct termios current;
    if (tcgetattr(fd, &current) != 0) return;
    terminal_saved = current;
    terminal_fd = fd;
    sigset_t unblock;
    sigemptyset(&unblock);
    for (size_t i = 0; i < 3; i++) {
        sigaction(interrupts[i], NULL, &interrupts_before[i]);
        // A signal the parent chose to ignore (nohup) stays ignored.
        if (interrupts_before[i].sa_handler == SIG_IGN) continue;
        install(interrupts[i], on_interrupt);
        sigaddset(&unblock, interrupts[i]);
    }
    // Ctrl-C at a prompt must work even when a parent handed down a mask that blocks it.
    sigprocmask(SIG_UNBLOCK, &unblock, &interrupts_mask_before);
}

void custctl_forget_terminal(void) {
    terminal_fd = -1;
    for (size_t i = 0; i < 3; i++) sigaction(interrupts[i], &interrupts_before[i], NULL);
    sigprocmask(SIG_SETMASK, &interrupts_mask_before, NULL);
}
