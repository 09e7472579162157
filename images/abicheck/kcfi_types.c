/* rfl-lab's kCFI type-id check, C side: one function per kernel callback
 * type that Rust code implements and C code calls through a pointer (the
 * prototypes are the kernel's). clang gives each a kCFI type id from its C
 * type; kcfi_types.rs defines the same types in Rust as the kernel's bindgen
 * bindings spell them, and each pair must carry the same id, or the first
 * call from C into the Rust implementation is a CFI failure.
 * Pairs are named c_<name> here and r_<name> there. */
struct inode;
struct file;
struct vm_area_struct;
struct blk_mq_hw_ctx;
struct blk_mq_queue_data;
struct seq_file;
struct work_struct;
struct hrtimer;
struct device;
struct poll_table_struct;
typedef unsigned char blk_status_t; /* u8 __bitwise */
typedef long long loff_t;
typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned int __poll_t; /* unsigned __bitwise */
enum hrtimer_restart { HRTIMER_NORESTART, HRTIMER_RESTART };

/* struct file_operations */
int c_open(struct inode *inode, struct file *file) { return 0; }
long c_unlocked_ioctl(struct file *file, unsigned int cmd, unsigned long arg) { return 0; }
ssize_t c_read(struct file *file, char *buf, size_t len, loff_t *pos) { return 0; }
loff_t c_llseek(struct file *file, loff_t offset, int whence) { return 0; }
int c_mmap(struct file *file, struct vm_area_struct *vma) { return 0; }
__poll_t c_poll(struct file *file, struct poll_table_struct *wait) { return 0; }
/* struct blk_mq_ops */
blk_status_t c_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd) { return 0; }
/* seq_file, workqueue, hrtimer, device */
int c_show(struct seq_file *m, void *v) { return 0; }
void c_work(struct work_struct *work) {}
enum hrtimer_restart c_hrtimer(struct hrtimer *timer) { return HRTIMER_NORESTART; }
void c_release(struct device *dev) {}
