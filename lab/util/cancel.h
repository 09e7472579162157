#pragma once
// Cooperative cancellation. Ctrl-C (SIGINT), SIGTERM or SIGHUP sets a flag;
// a watcher thread turns it into a request on the process-wide interrupt
// stop_source, whose token is the default `stop` of every Command, boot and
// build. Every wait in the lab polls its token (with its own timeout) and
// unwinds, and RAII owners of child processes and VMs clean up on the way
// out. Nothing is killed from the signal handler itself, so what was stored
// stays consistent.
//
// A run chains its own stop_source to this token (pipeline/run.h): a lab
// error in one worker stops that run's workers, not the process.
#include <stop_token>

namespace rfl {

// Installs the SIGINT/SIGTERM/SIGHUP handlers and the watcher (idempotent).
// A second Ctrl-C while cleaning up is ignored: cleanup is bounded by its
// own timeouts.
void InstallInterruptHandlers();

// Stops when an interrupt arrived (or RequestCancel was called).
std::stop_token InterruptToken();

// True once an interrupt arrived (or RequestCancel was called).
bool CancelRequested();

// Requests cancellation from code, as Ctrl-C would (tests).
void RequestCancel();

// A fresh interrupt token and a cleared flag (tests only).
void ResetCancelForTesting();

// The signal that caused cancellation, 0 when none.
int CancelSignal();

}  // namespace rfl
