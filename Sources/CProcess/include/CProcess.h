#ifndef CUSTCTL_CPROCESS_H
#define CUSTCTL_CPROCESS_H

/// Makes the process safe to hold secrets (SPEC 5.8): not dumpable, no core file, and a crash signal
/// (SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGTRAP) prints one line and exits 1 instead of a
/// register or memory dump. Returns 0, or -1 when the kernel refused a step (errno says which).
int custctl_harden_process(void);

/// Remembers the terminal settings of `fd` before echo is turned off, so that a signal that ends the
/// process (Ctrl-C, SIGTERM, a crash) restores them. Call custctl_forget_terminal once echo is back.
void custctl_remember_terminal(int fd);

/// Forgets the terminal settings remembered by custctl_remember_terminal.
void custctl_forget_terminal(void);

#endif
