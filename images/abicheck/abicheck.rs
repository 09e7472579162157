//! rfl-lab's ABI check: a crate compiled against `core` with and without an
//! ABI-changing flag; its doctest takes the `rustdoc --test` path.
#![no_std]

/// Adds one. The doctest is a crate of its own, compiled by rustdoc with the
/// flags given to `rustdoc --test`.
///
/// ```
/// #![no_std]
/// #![no_main]
/// #[panic_handler]
/// fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
///     loop {}
/// }
/// pub fn two() -> u64 {
///     1 + 1
/// }
/// ```
pub fn add_one(x: u64) -> u64 {
    x + 1
}
