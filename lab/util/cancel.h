#pragma once
// Cooperative cancellation. Ctrl-C (SIGINT) or SIGTERM sets a flag; every wait
// in the lab polls it (with its own timeout) and unwinds, and RAII owners of
// child processes and VMs clean up on the way out. Nothing is killed from the
// signal handler itself, so what was stored stays consistent.
namespace rfl {

// Installs the SIGINT/SIGTERM/SIGHUP handlers (idempotent). A second Ctrl-C
// while cleaning up is ignored: cleanup is bounded by its own timeouts.
void InstallInterruptHandlers();

// True once an interrupt arrived (or RequestCancel was called).
bool CancelRequested();

// Requests cancellation from code (tests, fatal errors in a worker).
void RequestCancel();

// Clears the flag (tests only).
void ResetCancelForTesting();

// The signal that caused cancellation, 0 when none.
int CancelSignal();

}  // namespace rfl
