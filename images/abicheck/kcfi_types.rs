//! rfl-lab's kCFI type-id check, Rust side: the kernel callback types of
//! kcfi_types.c as the kernel's bindgen bindings spell them (opaque
//! `#[repr(C)]` structs, `core::ffi` integers, `hrtimer_restart` as a newtype
//! enum with the kernel's `cfi_encoding` of the C enum). Each `r_<name>` must
//! carry the kCFI type id clang gives `c_<name>`.
#![no_std]
#![feature(cfi_encoding)]
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void};

#[repr(C)]
pub struct inode { _p: [u8; 0] }
#[repr(C)]
pub struct file { _p: [u8; 0] }
#[repr(C)]
pub struct vm_area_struct { _p: [u8; 0] }
#[repr(C)]
pub struct blk_mq_hw_ctx { _p: [u8; 0] }
#[repr(C)]
pub struct blk_mq_queue_data { _p: [u8; 0] }
#[repr(C)]
pub struct seq_file { _p: [u8; 0] }
#[repr(C)]
pub struct work_struct { _p: [u8; 0] }
#[repr(C)]
pub struct hrtimer { _p: [u8; 0] }
#[repr(C)]
pub struct device { _p: [u8; 0] }
#[repr(C)]
pub struct poll_table_struct { _p: [u8; 0] }
pub type blk_status_t = u8;
pub type loff_t = i64;
pub type __poll_t = c_uint;
// rust/bindgen_parameters: --newtype-enum hrtimer_restart and
// --with-attribute-custom-enum=hrtimer_restart='#[cfi_encoding="15hrtimer_restart"]'
#[repr(transparent)]
#[cfi_encoding = "15hrtimer_restart"]
pub struct hrtimer_restart(pub c_uint);

#[no_mangle]
pub extern "C" fn r_open(_inode: *mut inode, _file: *mut file) -> c_int { 0 }
#[no_mangle]
pub extern "C" fn r_unlocked_ioctl(_file: *mut file, _cmd: c_uint, _arg: c_ulong) -> c_long { 0 }
#[no_mangle]
pub extern "C" fn r_read(_file: *mut file, _buf: *mut c_char, _len: usize, _pos: *mut loff_t) -> isize { 0 }
#[no_mangle]
pub extern "C" fn r_llseek(_file: *mut file, _offset: loff_t, _whence: c_int) -> loff_t { 0 }
#[no_mangle]
pub extern "C" fn r_mmap(_file: *mut file, _vma: *mut vm_area_struct) -> c_int { 0 }
#[no_mangle]
pub extern "C" fn r_poll(_file: *mut file, _wait: *mut poll_table_struct) -> __poll_t { 0 }
#[no_mangle]
pub extern "C" fn r_queue_rq(_hctx: *mut blk_mq_hw_ctx, _bd: *const blk_mq_queue_data) -> blk_status_t { 0 }
#[no_mangle]
pub extern "C" fn r_show(_m: *mut seq_file, _v: *mut c_void) -> c_int { 0 }
#[no_mangle]
pub extern "C" fn r_work(_work: *mut work_struct) {}
#[no_mangle]
pub extern "C" fn r_hrtimer(_timer: *mut hrtimer) -> hrtimer_restart { hrtimer_restart(0) }
#[no_mangle]
pub extern "C" fn r_release(_dev: *mut device) {}
