#include "lab/vm/report_rules.h"

#include <algorithm>
#include <array>
#include <memory>

#include <re2/re2.h>
#include <re2/set.h>

namespace rfl::vm {

namespace {

using enum ReportRole;
using enum TitleFrom;
constexpr BootOutcome kRust = BootOutcome::kRustPanic;
constexpr BootOutcome kOops = BootOutcome::kOops;
constexpr BootOutcome kHang = BootOutcome::kHang;
constexpr BootOutcome kInit = BootOutcome::kInitFailed;
constexpr BootOutcome kPanic = BootOutcome::kKernelPanic;
constexpr BootOutcome kWarn = BootOutcome::kWarning;

// A function name in a header line (func, func.isra.3, func+0x1a/0x2b).
#define FN "([A-Za-z_][A-Za-z0-9_.]*)"
// lockdep's three generations of headers for the same report:
// "[ INFO: … ]" / "[ BUG: … ]" (≤ 4.13), "INFO: …" (2.6), "WARNING: …" (≥ 4.14).
#define LOCKDEP "\\[? ?(?:WARNING|INFO|BUG): "

// The lock primitives lockdep names as the acquire site; the title wants their caller.
#define kLockPrimitives "mutex_lock,_raw_spin,spin_lock,_raw_read,_raw_write,down_read,down_write,lock_sock"

// pattern, class, role, title, title_from, frame capture, extra skips, needs timestamp, source.
constexpr std::array kRules = std::to_array<ReportRule>({
    // ---- Rust panics ---------------------------------------------------------------------
    // rust/kernel/lib.rs #[panic_handler] → panic(): "RUST PANIC: CPU: 0 PID: 1 at file.rs:12" (2025 format).
    {"^RUST PANIC: .* at (\\S+?):\\d+", kRust, kReport, "Rust panic in $1", kHeader, 0, "", false,
     "rust/kernel/lib.rs, kernel/panic.c"},
    // rust/kernel/lib.rs #[panic_handler] through pr_emerg!: "rust_kernel: panicked at file.rs:877:13:"
    // (rustc ≥ 1.73) or "panicked at 'msg', file.rs:12:5" (older rustc).
    {"^rust_kernel: panicked at (?:'.*', )?(\\S+?):\\d+", kRust, kReport, "Rust panic in $1", kHeader, 0, "", false,
     "rust/kernel/lib.rs"},
    // The same handler with another crate's pr_fmt prefix; timestamped, so not a user program's "thread 'x' panicked".
    {"^[A-Za-z0-9_]+: panicked at (?:'.*', )?(\\S+?):\\d+", kRust, kReport, "Rust panic in $1", kHeader, 0, "", true,
     "rust/kernel/lib.rs"},

    // ---- Sanitizers (Oops class) ---------------------------------------------------------
    // mm/kasan/report.c: "BUG: KASAN: slab-out-of-bounds in ip6_fragment+0x…" then "Read of size 8 at addr …".
    {"^BUG: KASAN: ([a-z0-9-]+(?: or [a-z0-9-]+)?) (?:in " FN "|on address)", kOops, kReport, "KASAN: $1 %a in $2", kKasan,
     0, "", false, "mm/kasan/report.c"},
    {"^BUG: KASAN: (.+)", kOops, kReport, "KASAN: $1", kHeader, 0, "", false, "mm/kasan/report.c"},
    // mm/kmsan/report.c: "BUG: KMSAN: uninit-value in func+0x…".
    {"^BUG: KMSAN: ([a-z-]+) in " FN, kOops, kReport, "KMSAN: $1 in %f", kTraceFrame, 2,
     "copy_,instrument_,memcpy,memmove,_copy,usb_submit_urb,usb_start_wait_urb,usb_bulk_msg,usb_control_msg", false,
     "mm/kmsan/report.c"},
    // mm/kfence/report.c: "BUG: KFENCE: use-after-free read in test_use_after_free_read+0x…".
    {"^BUG: KFENCE: ([a-z -]+?) in " FN, kOops, kReport, "KFENCE: $1 in %f", kTraceFrame, 2, "", false,
     "mm/kfence/report.c"},
    // kernel/kcsan/report.c: "BUG: KCSAN: data-race in foo / bar".
    {"^BUG: KCSAN: (.+)", kOops, kReport, "KCSAN: $1", kHeader, 0, "", false, "kernel/kcsan/report.c"},
    // lib/ubsan.c: "UBSAN: array-index-out-of-bounds in net/foo.c:12:3" (old: "UBSAN: Undefined behaviour in …").
    {"^UBSAN: (.+?) in (\\S+?):\\d+", kOops, kReport, "UBSAN: $1 in %f", kTraceFrame, 0, "ubsan", false, "lib/ubsan.c"},
    // mm/kmemleak.c print_unreferenced: "unreferenced object 0xffff888… (size 32):"; syzkaller prints
    // "BUG: memory leak" before the kmemleak file's content.
    {"^(?:BUG: memory leak|unreferenced object(?: 0x[0-9a-f]+ \\(size \\d+\\)|$))", kOops, kReport, "memory leak in %f", kLeak,
     0, "", false, "mm/kmemleak.c"},
    // mm/kmemleak.c kmemleak_scan: "kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)".
    {"^kmemleak: \\d+ new suspected memory leaks", kOops, kReport, "memory leak", kHeader, 0, "", false,
     "mm/kmemleak.c"},

    // ---- Lockups, stalls, hung tasks (hang class) -----------------------------------------
    // kernel/watchdog.c: "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!" (4.x: "NMI watchdog: BUG: …").
    {"^(?:(?:NMI )?watchdog: )?BUG: soft lockup", kHang, kReport, "BUG: soft lockup in %f", kPcFrame, 0, "", false,
     "kernel/watchdog.c"},
    // kernel/watchdog_hld.c / watchdog_buddy.c: "Watchdog detected hard LOCKUP on cpu 1".
    {"^(?:(?:NMI )?watchdog: )?(?:CPU\\d+: )?Watchdog detected hard LOCKUP on cpu", kHang, kReport,
     "BUG: hard lockup in %f", kPcFrame, 0, "", false, "kernel/watchdog_hld.c"},
    // kernel/workqueue.c wq_watchdog_timer_fn: "BUG: workqueue lockup - pool cpus=0 … stuck for 33s!".
    {"^BUG: workqueue lockup", kHang, kReport, "BUG: workqueue lockup", kHeader, 0, "", false, "kernel/workqueue.c"},
    // kernel/locking/spinlock_debug.c (≤ 4.12): "BUG: spinlock lockup suspected on CPU#0, …".
    {"^BUG: spinlock lockup suspected", kHang, kReport, "BUG: spinlock lockup suspected in %f", kTraceFrame, 0, "spin",
     false, "kernel/locking/spinlock_debug.c"},
    // kernel/hung_task.c: "INFO: task kworker/0:1:12 blocked for more than 143 seconds." and (6.x)
    // "INFO: task X:12 blocked in I/O wait for more than 143 seconds.".
    {"^INFO: task .*:\\d+ blocked (?:in I/O wait )?for more than \\d+ seconds", kHang, kReport, "INFO: task hung in %f",
     kHungTask, 0, "", false, "kernel/hung_task.c"},
    // The same, when the task's name held a newline: its second half starts the line.
    {"^.*:\\d+ blocked (?:in I/O wait )?for more than \\d+ seconds\\.$", kHang, kReport, "INFO: task hung in %f", kHungTask,
     0, "", false, "kernel/hung_task.c"},
    // kernel/hung_task.c (linux-next, 2019): "INFO: task X:12 can't die for more than 143 seconds.".
    {"^INFO: task .*:\\d+ can't die for more than", kHang, kReport, "INFO: task can't die in %f", kHungTask, 0, "", false,
     "kernel/hung_task.c"},
    // kernel/rcu/tree_stall.h (tree.c before 5.x): "rcu: INFO: rcu_preempt self-detected stall on CPU",
    // "INFO: rcu_sched detected stalls on CPUs/tasks:", "… detected expedited stalls …", rcu_tasks.
    {"^(?:rcu: )?INFO: rcu\\w* (?:self-)?detected (?:expedited )?stall", kHang, kReport,
     "INFO: rcu detected stall in %f", kStall, 0, "", false, "kernel/rcu/tree_stall.h"},
    // net/core/dev.c netdev_wait_allrefs: "unregister_netdevice: waiting for lo to become free. Usage count = 5".
    {"^unregister_netdevice: waiting for \\S+ to become free", kHang, kReport,
     "unregister_netdevice: waiting for DEV to become free", kHeader, 0, "", false, "net/core/dev.c"},

    // ---- lockdep (warning class: current kernels print every lockdep report as WARNING) ---
    // kernel/locking/lockdep.c print_circular_bug_header, print_deadlock_bug, print_irq_inversion_bug,
    // print_bad_irq_dependency.
    {"^" LOCKDEP "(?:possible circular locking dependency|possible recursive locking|possible irq lock inversion "
     "dependency|(?:HARD|SOFT)IRQ-(?:READ-)?safe -> (?:HARD|SOFT)IRQ-(?:READ-)?unsafe lock order) detected",
     kWarn, kReport, "possible deadlock in %f", kLockAt, 0, kLockPrimitives, false, "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c print_usage_bug.
    {"^" LOCKDEP "inconsistent lock state", kWarn, kReport, "inconsistent lock state in %f", kLockAt, 0, kLockPrimitives, false,
     "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c lockdep_rcu_suspicious.
    {"^" LOCKDEP "suspicious RCU usage", kWarn, kReport, "WARNING: suspicious RCU usage in %f", kTraceFrame, 0,
     "rcu,srcu,kmem,slab,kmalloc,vmalloc,kcalloc,kzalloc", false, "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c print_unlock_imbalance_bug.
    {"^" LOCKDEP "bad unlock balance detected", kWarn, kReport, "WARNING: bad unlock balance in %f", kLockAt, 0, "",
     false, "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c print_freed_lock_bug.
    {"^" LOCKDEP "held lock freed", kWarn, kReport, "WARNING: held lock freed in %f", kLockAt, 0, "", false,
     "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c print_held_locks_bug.
    {"^" LOCKDEP ".*still has locks held", kWarn, kReport, "WARNING: still has locks held in %f", kTraceFrame, 0, "",
     false, "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c lockdep_sys_exit.
    {"^" LOCKDEP "lock held when returning to user space", kWarn, kReport,
     "WARNING: lock held when returning to user space in %f", kLockAt, 0, "", false, "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c print_lock_nested_lock_not_held.
    {"^" LOCKDEP "[Nn]ested lock was not taken", kWarn, kReport, "WARNING: nested lock was not taken in %f", kTraceFrame,
     0, "", false, "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c print_lock_invalid_wait_context.
    {"^" LOCKDEP "Invalid wait context", kWarn, kReport, "BUG: Invalid wait context in %f", kTraceFrame, 0, "", false,
     "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c print_lock_contention_bug.
    {"^" LOCKDEP "bad contention detected", kWarn, kReport, "WARNING: bad contention in %f", kLockAt, 0, "", false,
     "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c register_lock_class: "INFO: trying to register non-static key.".
    {"^INFO: trying to register non-static key", kWarn, kReport, "INFO: trying to register non-static key in %f",
     kTraceFrame, 0, "", false, "kernel/locking/lockdep.c"},
    // kernel/locking/lockdep.c print_lockdep_off: "BUG: MAX_STACK_TRACE_ENTRIES too low!".
    {"^BUG: (MAX_[A-Z_]+ too low)", kWarn, kReport, "BUG: $1", kHeader, 0, "", false, "kernel/locking/lockdep.c"},

    // ---- WARN() (warning class) -----------------------------------------------------------
    // kernel/panic.c __warn, by the file that warns: refcount_t, debugobjects, lockdep's DEBUG_LOCKS_WARN_ON.
    {"^WARNING: (?:CPU: \\d+ PID: \\d+ at )?lib/refcount\\.c:\\d+", kWarn, kReport, "WARNING: refcount bug in %f",
     kTraceFrame, 0, "refcount", false, "lib/refcount.c via kernel/panic.c"},
    {"^WARNING: (?:CPU: \\d+ PID: \\d+ at )?lib/debugobjects\\.c:\\d+", kWarn, kReport, "WARNING: ODEBUG bug in %f",
     kTraceFrame, 0,
     "debug_,rcu,hrtimer_,timer_,work_,percpu_,kmem_,slab_,kfree,vunmap,vfree,__free_,kobject_,destroy_,free_",
     false, "lib/debugobjects.c via kernel/panic.c"},
    {"^WARNING: (?:CPU: \\d+ PID: \\d+ at )?kernel/locking/lockdep\\.c:\\d+", kWarn, kReport,
     "WARNING: locking bug in %f", kTraceFrame, 0, "lock,_raw_spin,_raw_read,_raw_write,mutex,down_,up_", false,
     "kernel/locking/lockdep.c via kernel/panic.c"},
    // kernel/panic.c __warn: "WARNING: CPU: 0 PID: 1 at net/core/dev.c:123 func+0x1a/0x2b" (3.14–6.x).
    {"^WARNING: CPU: \\d+ PID: \\d+ at \\S+ " FN "(?:\\+0x|\\(\\)| \\S+:\\d+)", kWarn, kReport, "WARNING in %f", kPcFrame, 1, "",
     false, "kernel/panic.c"},
    {"^WARNING: CPU: \\d+ PID: \\d+ at \\S+", kWarn, kReport, "WARNING in %f", kPcFrame, 0, "", false,
     "kernel/panic.c"},
    // kernel/panic.c __warn (7.x): "WARNING: fs/jfs/jfs_dmap.c:2867 at dbAdjTree+0x454/0x4e0, CPU#0: jfsCommit/112".
    {"^WARNING: \\S+:\\d+ at " FN "\\+0x", kWarn, kReport, "WARNING in %f", kPcFrame, 1, "", false, "kernel/panic.c"},
    {"^WARNING: \\S+:\\d+ at \\S+, CPU#\\d+", kWarn, kReport, "WARNING in %f", kPcFrame, 0, "", false,
     "kernel/panic.c"},
    // kernel/panic.c warn_slowpath_common (2.6–3.13): "WARNING: at net/core/dev.c:123 func()".
    {"^WARNING: at \\S+ " FN "(?:\\+0x|\\(\\))", kWarn, kReport, "WARNING in %f", kPcFrame, 1, "", false,
     "kernel/panic.c"},
    // arch/x86/kernel/unwind_frame.c: "WARNING: kernel stack regs at … has bad 'bp' value …".
    {"^WARNING: kernel stack (regs|frame pointer) at .* has bad", kWarn, kReport, "WARNING: kernel stack $1 has bad value",
     kHeader, 0, "", false, "arch/x86/kernel/unwind_frame.c"},
    // arch/x86/kernel/dumpstack_64.c / unwind_orc.c.
    {"^WARNING: (stack recursion on stack type|stack going in the wrong direction)", kWarn, kReport, "WARNING: $1",
     kHeader, 0, "", false, "arch/x86/kernel/dumpstack_64.c"},
    // fs/open.c filp_close → CHECK_DATA_CORRUPTION (WARN by default): "VFS: Close: file count is 0".
    {"^VFS: Close: file count is 0", kWarn, kReport, "VFS: Close: file count is zero", kHeader, 0, "", false,
     "fs/open.c"},
    // fs/super.c generic_shutdown_super → CHECK_DATA_CORRUPTION: "VFS: Busy inodes after unmount of sda1 …".
    {"^VFS: Busy inodes after unmount of", kWarn, kReport, "VFS: Busy inodes after unmount", kHeader, 0, "", false,
     "fs/super.c"},

    // ---- Panics: consequences first, then the ones that are reports themselves ------------
    // kernel/panic.c check_panic_on_warn: "Kernel panic - not syncing: panic_on_warn set ..." (6.x adds
    // "kernel: " or "KASAN: " before it): the WARNING (or sanitizer report) before it is the cause.
    {"^Kernel panic - not syncing: (?:\\S+: )?panic_on_warn set", kWarn, kConsequence, "kernel panic: panic_on_warn set",
     kHeader, 0, "", false, "kernel/panic.c"},
    // arch/*/kernel/traps.c oops_end/die with panic_on_oops: "Kernel panic - not syncing: Fatal exception".
    {"^Kernel panic - not syncing: (?:Oops: )?(Fatal exception(?: in interrupt)?)", kOops, kConsequence,
     "kernel panic: $1", kHeader, 0, "", false, "arch/x86/kernel/dumpstack.c"},
    // x86 double fault handler: "Kernel panic - not syncing: Machine halted." after "PANIC: double fault".
    {"^Kernel panic - not syncing: Machine halted", kOops, kConsequence, "kernel panic: Machine halted", kHeader, 0, "",
     false, "arch/x86/kernel/traps.c"},
    // hung_task_panic, softlockup_panic, hardlockup_panic, panic_on_rcu_stall.
    {"^Kernel panic - not syncing: (?:\\S+: )?(hung_task: blocked tasks|softlockup: hung tasks|Hard LOCKUP|RCU Stall|"
     "hard LOCKUP)",
     kHang, kConsequence, "kernel panic: $1", kHeader, 0, "", false, "kernel/hung_task.c, kernel/watchdog.c"},
    // kernel/panic.c __stack_chk_fail: "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: f+0x…".
    {"^Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: " FN, kOops, kReport,
     "kernel panic: stack is corrupted in $1", kHeader, 0, "", false, "kernel/panic.c"},
    {"^Kernel panic - not syncing: stack-protector:", kOops, kReport, "kernel panic: stack is corrupted in %f",
     kTraceFrame, 0, "stack_chk", false, "kernel/panic.c"},
    // kernel/sched/core.c schedule_debug.
    {"^Kernel panic - not syncing: corrupted stack end detected inside scheduler", kOops, kReport,
     "kernel panic: corrupted stack end in %f", kTraceFrame, 0, "schedule,retint_kernel", false,
     "kernel/sched/core.c"},
    // init/main.c, init/do_mounts.c, kernel/exit.c: init could not start or exited.
    {"^Kernel panic - not syncing: (.*(?:No working init found|Attempted to kill init|Requested init .* failed|"
     "VFS: Unable to mount root fs|No init found).*)",
     kInit, kReport, "kernel panic: $1", kHeader, 0, "", false, "init/main.c, init/do_mounts.c, kernel/exit.c"},
    // kernel/panic.c panic(): any other reason (sysrq, a module's panic(), out of memory, …).
    {"^Kernel panic - not syncing: (.+)", kPanic, kReport, "kernel panic: $1", kHeader, 0, "", false, "kernel/panic.c"},

    // ---- Faults, BUG(), Oops (Oops class) ------------------------------------------------
    // kernel/sched/core.c __might_resched / __schedule_bug.
    {"^BUG: sleeping function called from invalid context", kOops, kReport,
     "BUG: sleeping function called from invalid context in %f", kTraceFrame, 0, "", false, "kernel/sched/core.c"},
    {"^BUG: scheduling while atomic", kOops, kReport, "BUG: scheduling while atomic in %f", kTraceFrame, 0,
     "schedule,context_switch", false, "kernel/sched/core.c"},
    // lib/smp_processor_id.c check_preemption_disabled: "BUG: using smp_processor_id() in preemptible …".
    {"^BUG: using (\\S+) in preemptible", kOops, kReport, "BUG: using $1 in preemptible code in %f", kTraceFrame, 0,
     "preempt,smp_processor_id,this_cpu", false, "lib/smp_processor_id.c"},
    // arch/x86/mm/fault.c show_fault_oops (4.x "unable to handle kernel paging request at", 5.x+ "unable to handle
    // page fault for address:"); arch/powerpc/mm/fault.c ("Unable to handle kernel data access on read at …").
    {"^BUG: (?:unable to handle kernel paging request|unable to handle page fault for address|Unable to handle "
     "kernel (?:data access|instruction fetch|paging request))",
     kOops, kReport, "BUG: unable to handle kernel paging request in %f", kPcFrame, 0, "", false,
     "arch/x86/mm/fault.c, arch/powerpc/mm/fault.c"},
    {"^BUG: (?:unable to handle kernel NULL pointer dereference|[Kk]ernel NULL pointer dereference)", kOops, kReport,
     "BUG: unable to handle kernel NULL pointer dereference in %f", kPcFrame, 0, "", false,
     "arch/x86/mm/fault.c, arch/powerpc/mm/fault.c"},
    {"^BUG: [Uu]nable to handle kernel", kOops, kReport, "BUG: unable to handle kernel in %f", kPcFrame, 0, "", false,
     "arch/x86/mm/fault.c"},
    // arch/x86/kernel/traps.c handle_stack_overflow.
    {"^BUG: stack guard page was hit", kOops, kReport, "BUG: stack guard page was hit in %f", kPcFrame, 0, "", false,
     "arch/x86/kernel/traps.c"},
    // mm/page_alloc.c bad_page, mm/memory.c print_bad_pte.
    {"^BUG: Bad page (state|map)", kOops, kReport, "BUG: Bad page $1 in %f", kTraceFrame, 0,
     "page,free_,release_,__free,bad_,folio,zap_,unmap_", false, "mm/page_alloc.c, mm/memory.c"},
    // fs/dcache.c umount_check.
    {"^BUG: Dentry .* still in use", kOops, kReport, "BUG: Dentry still in use in %f", kTraceFrame, 0,
     "dcache,d_walk,umount_check,dput,shrink_", false, "fs/dcache.c"},
    // kernel/locking/spinlock_debug.c spin_bug.
    {"^BUG: spinlock (already unlocked|bad magic|recursion|wrong owner|wrong CPU|cpu recursion)", kOops, kReport,
     "BUG: spinlock $1 in %f", kTraceFrame, 0, "spin", false, "kernel/locking/spinlock_debug.c"},
    // kernel/workqueue.c process_one_work.
    {"^BUG: workqueue leaked lock or atomic", kOops, kReport, "BUG: workqueue leaked lock or atomic", kHeader, 0, "",
     false, "kernel/workqueue.c"},
    // syzkaller's own host check, not the kernel.
    {"^BUG: no syscalls can create resource", kOops, kIgnore, "", kHeader, 0, "", false, "(syzkaller)"},
    // Any other "BUG: …" (mm/slub.c, mm/memory.c "Bad rss-counter state", kernel/fork.c, …).
    {"^BUG: (.+)", kOops, kReport, "BUG: $1", kHeader, 0, "", false, "various: pr_*(\"BUG: …\")"},
    // The same after a pr_fmt prefix: net/ipv6/addrconf.c "IPv6: BUG: Address fc00:: on device lo is missing
    // its host route." (one word before "BUG:", so "audit: comm=\"BUG: …\"" is not a report).
    {"^[A-Za-z0-9_]+: BUG: (.+)", kOops, kReport, "BUG: $1", kHeader, 0, "", false, "various: pr_fmt + \"BUG: …\""},
    // mm/kasan/report.c (4.x) print_address_description → object_err → mm/slub.c slab_bug: "BUG fasync_cache
    // (Tainted: G    B   ): kasan: bad access detected" describes the object inside a KASAN report whose own
    // "BUG: KASAN: …" header came first; alone it is not a report (the KASAN header is).
    {"^BUG [A-Za-z0-9_:.()-]+ \\([^)]*\\): kasan: ", kOops, kIgnore, "", kHeader, 0, "", false,
     "mm/kasan/report.c via mm/slub.c"},
    // mm/slub.c slab_bug: "BUG kmalloc-64 (Not tainted): Object already free".
    {"^BUG [A-Za-z0-9_:.()-]+ \\([^)]*\\): (.+)", kOops, kReport, "BUG: $1", kHeader, 0, "", false, "mm/slub.c"},
    // mm/slub.c print_track, inside a SLUB object report or an old (4.x) KASAN report: "INFO: Allocated in
    // fasync_helper+0x29/0x90 age=1 cpu=1 pid=6024"; a report of its own only when its header was lost.
    {"^INFO: (Allocated|Freed) in " FN "\\S* age=\\d+ cpu=\\d+ pid=\\d+", kOops, kContinuation, "INFO: $1 in $2",
     kHeader, 0, "", false, "mm/slub.c"},
    // lib/list_debug.c under CONFIG_BUG_ON_DATA_CORRUPTION.
    {"^kernel BUG at lib/list_debug\\.c", kOops, kReport, "BUG: corrupted list in %f", kTraceFrame, 0, "list_", false,
     "lib/list_debug.c"},
    // lib/bug.c report_bug / arch traps: "kernel BUG at mm/slub.c:123!" (powerpc/s390: "Kernel BUG at …").
    {"^[Kk]ernel BUG at (\\S+?)!?(?: |$)", kOops, kReport, "kernel BUG in %f", kPcFrame, 0, "", false, "lib/bug.c"},
    // arch/x86/kernel/traps.c exc_double_fault: "PANIC: double fault, error_code: 0x0".
    {"^(?:PANIC: )?double fault", kOops, kReport, "PANIC: double fault in %f", kPcFrame, 0, "", false,
     "arch/x86/kernel/traps.c"},
    // arch/x86/kernel/traps.c: "general protection fault, probably for non-canonical address …: 0000 [#1]"
    // (6.12+: "Oops: general protection fault …").
    {"^(?:Oops: )?general protection fault", kOops, kReport, "general protection fault in %f", kPcFrame, 0, "", false,
     "arch/x86/kernel/traps.c"},
    // arm/arm64/riscv/s390 fault handlers: "Unable to handle kernel paging request at virtual address …",
    // "… NULL pointer dereference at …", s390 "… pointer dereference in virtual kernel address space".
    {"^Unable to handle kernel (NULL pointer dereference|paging request)", kOops, kReport,
     "BUG: unable to handle kernel $1 in %f", kPcFrame, 0, "", false,
     "arch/arm64/mm/fault.c, arch/arm/mm/fault.c, arch/riscv/mm/fault.c"},
    {"^Unable to handle kernel ([a-zA-Z -]+?)(?: at | in |$)", kOops, kReport, "unable to handle kernel $1 in %f",
     kPcFrame, 0, "", false, "arch/arm64/mm/fault.c, arch/s390/mm/fault.c"},
    // arch/arm/mm/fault.c do_DataAbort: "Unhandled fault: page domain fault (0x81b) at 0x00001044".
    {"^Unhandled (?:fault|prefetch abort)", kOops, kReport, "Unhandled fault in %f", kPcFrame, 0, "", false,
     "arch/arm/mm/fault.c"},
    // arch/arm64/kernel/traps.c, arch/arm/kernel/traps.c die(): "Internal error: Oops: 96000005 [#1] PREEMPT SMP",
    // arm32 "Internal error: : 1b [#1] PREEMPT SMP ARM".
    {"^Internal error: ", kOops, kContinuation, "Internal error in %f", kPcFrame, 0, "", false,
     "arch/arm64/kernel/traps.c, arch/arm/kernel/traps.c"},
    // x86 die(): "invalid opcode: 0000 [#1] SMP", "divide error: 0000 [#1]", "int3: 0000", "stack segment: 0000";
    // 6.12+ "Oops: invalid opcode: 0000 [#1]"; s390 "Oops: 0004 ilc:3 [#1]"; x86 "Oops: 0002 [#1]" after "BUG: …".
    {"^(?:Oops: )?([a-z][a-z0-9_ ]*?)(?:, [^:]*)?: [0-9a-f]{4}(?: ilc:\\d)? \\[#\\d+\\]", kOops, kContinuation,
     "$1 in %f", kPcFrame, 0, "", false, "arch/x86/kernel/dumpstack.c __die"},
    // __die on x86 (Oops: 0002 [#1]), powerpc ("Oops: Kernel access of bad area, sig: 11 [#1]"), riscv/mips
    // ("Oops [#1]"), s390 ("Oops: 0011 ilc:3 [#1]").
    {"^Oops(?:\\[#\\d+\\])?(?::| \\[#)", kOops, kContinuation, "Oops in %f", kPcFrame, 0, "", false,
     "arch/*/kernel/traps.c, dumpstack.c"},
});

#undef FN
#undef LOCKDEP
#undef kLockPrimitives

struct Compiled {
  std::vector<std::unique_ptr<RE2>> rules;
  std::unique_ptr<RE2::Set> set;
  std::unique_ptr<RE2> frame, pc, arm, lock_at;
};

RE2::Options Latin1() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);  // console bytes are not always UTF-8
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);
  return o;
}

const Compiled& Get() {
  static const Compiled c = [] {
    Compiled out;
    out.set = std::make_unique<RE2::Set>(Latin1(), RE2::ANCHOR_START);
    for (const auto& r : kRules) {
      out.rules.push_back(std::make_unique<RE2>(r.pattern, Latin1()));
      out.set->Add(r.pattern, nullptr);
    }
    out.set->Compile();
    // x86/arm64/riscv/powerpc/s390 call-trace lines: "[<ffffffff81234567>] ? func+0x1a/0x2b [mod]",
    // "func+0x1a/0x2b", "func mm/foo.c:12 [inline]" (symbolized), "[c0000000fe1efb90] [c000000000123456] func+0x…".
    out.frame = std::make_unique<RE2>(
        "^\\(?(\\? )?(?:\\[<?[0-9a-f]+>?\\] ){0,2}(\\? )?([A-Za-z_][A-Za-z0-9_.]*)(?:\\+0x[0-9a-f]+/0x[0-9a-f]+| "
        "\\S+\\.(?:c|h|S|rs):\\d+)(.*)",
        Latin1());
    // Faulting-address lines: x86 "RIP: 0010:func+0x…", old "RIP: [<…>] func+0x", "IP: [<…>] func+0x", "EIP:";
    // arm/arm64 "PC is at func+0x", "pc : func+0x"; riscv "epc : func+0x"; powerpc "NIP [c…] func+0x";
    // s390 "Krnl PSW : 0704… 0000… (func+0x8/0x10)".
    out.pc = std::make_unique<RE2>(
        "^(?:RIP|EIP|IP|NIP|PC is at|pc|epc|Krnl PSW) *:? *(?:[0-9a-f]{4}:)?(?:\\[?<?[0-9a-f]+>?\\]? +)*\\(?"
        "([A-Za-z_][A-Za-z0-9_.]*)\\+0x",
        Latin1());
    // arm32: "[<c0123456>] (func) from [<c0123456>] (caller+0x…)" and ≥ 5.14 "func from caller+0x…".
    out.arm = std::make_unique<RE2>(
        "^(?:\\[<[0-9a-f]+>\\] \\(([A-Za-z_][A-Za-z0-9_.]*)(?:\\+0x[0-9a-f]+/0x[0-9a-f]+)?\\)|([A-Za-z_][A-Za-z0-9_.]*)"
        "(?:\\+0x[0-9a-f]+/0x[0-9a-f]+)?) from ",
        Latin1());
    out.lock_at = std::make_unique<RE2>(
        "(?:^|\\s)at: *(?:\\[<?[0-9a-f]+>?\\] +)?([A-Za-z_][A-Za-z0-9_.]*)\\+0x", Latin1());
    return out;
  }();
  return c;
}

std::string CleanFunction(std::string_view f) {
  // func.isra.3, func.constprop.0, func.part.12, func.cold, func.llvm.123 → func
  for (std::string_view suffix : {".isra", ".constprop", ".part", ".cold", ".llvm", ".lto_priv"}) {
    size_t at = f.find(suffix);
    if (at != std::string_view::npos && at > 0) f = f.substr(0, at);
  }
  return std::string(f);
}

std::string_view View(const re2::StringPiece& p) { return {p.data(), p.size()}; }

}  // namespace

std::span<const ReportRule> ReportRules() { return kRules; }

const ReportRule* FindReportRule(std::string_view text) {
  const Compiled& c = Get();
  thread_local std::vector<int> ids;
  if (!c.set->Match(text, &ids) || ids.empty()) return nullptr;
  return &kRules[static_cast<size_t>(*std::min_element(ids.begin(), ids.end()))];
}

RuleMatch CaptureReportRule(const ReportRule& rule, std::string_view text) {
  const RE2& re = *Get().rules[static_cast<size_t>(&rule - kRules.data())];
  int n = re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> groups(static_cast<size_t>(n) + 1);
  RuleMatch m{&rule, {}};
  if (!re.Match(text, 0, text.size(), RE2::ANCHOR_START, groups.data(), n + 1)) return m;
  for (int i = 1; i <= n; ++i) m.captures.emplace_back(View(groups[static_cast<size_t>(i)]));
  return m;
}

std::optional<RuleMatch> MatchReportRule(std::string_view text) {
  const ReportRule* rule = FindReportRule(text);
  if (rule == nullptr) return std::nullopt;
  return CaptureReportRule(*rule, text);
}

std::optional<Frame> ParseFrame(std::string_view text) {
  const Compiled& c = Get();
  re2::StringPiece fn;
  if (RE2::PartialMatch(text, *c.pc, &fn)) {
    return Frame{CleanFunction(View(fn)), true, false};
  }
  re2::StringPiece q1, q2, rest;
  if (RE2::PartialMatch(text, *c.frame, &q1, &q2, &fn, &rest)) {
    bool questionable = !q1.empty() || !q2.empty() || View(rest).contains("(unreliable)");
    return Frame{CleanFunction(View(fn)), false, questionable};
  }
  re2::StringPiece a, b;
  if (RE2::PartialMatch(text, *c.arm, &a, &b)) return Frame{CleanFunction(View(a.empty() ? b : a)), false, false};
  // arm64/riscv register dumps name the return address too: never the subject.
  if (text.starts_with("lr : ") || text.starts_with("LR is at ") || text.starts_with("ra : ")) {
    return Frame{"", false, true};
  }
  return std::nullopt;
}

std::optional<std::string> ParseLockSite(std::string_view text) {
  re2::StringPiece fn;
  if (RE2::PartialMatch(text, *Get().lock_at, &fn)) return CleanFunction(View(fn));
  if (text.ends_with(" at:")) return std::string();
  return std::nullopt;
}

bool SkippedFrame(std::string_view f, std::string_view extra) {
  if (f.empty()) return true;
  // Functions that report, trap, print or instrument: never where the bug is.
  static constexpr std::string_view kContains[] = {
      "kasan",     "kmsan",     "kfence",     "lockdep",        "printk",        "dump_stack", "dump_backtrace",
      "show_stack", "show_regs", "warn_slowpath", "report_bug",  "ubsan",         "stack_chk",  "kmemleak",
      "_might_sleep", "might_resched", "might_fault", "check_memory_region", "print_address_description",
      "print_report", "debug_check_no", "__warn", "fixup_bug", "handle_bug", "do_error_trap", "invalid_op"};
  static constexpr std::string_view kPrefixes[] = {
      "panic", "die", "__die", "oops_", "do_trap", "exc_", "asm_exc_", "lock_acquire", "lock_release",
      "__lock_acquire", "__asan", "__msan", "__sanitizer", "refcount_warn", "do_mem_abort", "__do_kernel_fault",
      "die_kernel_fault", "do_page_fault", "__do_page_fault", "page_fault", "do_user_addr_fault",
      "do_kern_addr_fault", "kernelmode_fixup_or_oops", "no_context", "bad_area", "__bad_area", "do_bad_area",
      "do_translation_fault", "el1_", "el1h_", "el0_", "do_DataAbort", "do_undefinstr", "bug_handler",
      "do_int3", "do_debug", "notify_die", "program_check_exception", "show_trace", "arch_stack_walk",
      "stack_trace_save", "warn_alloc", "check_panic_on_warn", "end_report", "start_report", "kernel_fault"};
  for (auto p : kPrefixes) {
    if (f.starts_with(p)) return true;
  }
  for (auto p : kContains) {
    if (std::string_view(f).contains(p)) return true;
  }
  while (!extra.empty()) {
    size_t comma = extra.find(',');
    std::string_view item = extra.substr(0, comma);
    if (!item.empty() && std::string_view(f).contains(item)) return true;
    if (comma == std::string_view::npos) break;
    extra.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace rfl::vm
