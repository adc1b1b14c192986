//! Links the program with packed relative relocations where the toolchain
//! and the C library support them (`-z pack-relative-relocs`: GNU ld 2.38 or
//! lld, glibc 2.36).
//!
//! The binary is position-independent, and its tables of pointers (string
//! tables, vtables, panic locations) need about 80,000 relocations at start.
//! Written one per entry they are a 1.9 MB table that the loader reads on
//! every start, a one-shot poll's resident memory as much as any of its own
//! data; packed, they are a few kilobytes. The address layout stays
//! randomized.
//!
//! The support is probed by linking and running a small C program with the
//! flag: where the linker or the C library lack it, the program is linked as
//! before. `REGWATCH_NO_RELR=1` turns the probe off.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=REGWATCH_NO_RELR");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if std::env::var_os("REGWATCH_NO_RELR").is_some()
        || target != host
        || !target.contains("-linux-gnu")
    {
        return;
    }
    if probe() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether `cc` links a position-independent program with the flag, and the
/// program runs.
fn probe() -> bool {
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return false;
    };
    let src = out.join("relr_probe.c");
    let bin = out.join("relr_probe");
    if std::fs::write(
        &src,
        "static int x = 1; int *p = &x;\nint main(void) { return *p - 1; }\n",
    )
    .is_err()
    {
        return false;
    }
    let linked = Command::new("cc")
        .args([
            "-fPIE",
            "-pie",
            "-Wl,-z,pack-relative-relocs",
            "-Wl,--fatal-warnings",
        ])
        .arg(&src)
        .arg("-o")
        .arg(&bin)
        .output()
        .is_ok_and(|o| o.status.success());
    linked && Command::new(&bin).status().is_ok_and(|s| s.success())
}
