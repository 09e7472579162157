// The kernel's own stand-in for compiler_builtins (rust/compiler_builtins.rs):
// a no_std crate marked as the builtins crate, with no symbols of its own.
#![allow(internal_features)]
#![feature(compiler_builtins)]
#![compiler_builtins]
#![no_builtins]
#![no_std]
