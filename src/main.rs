//! The `regwatch` binary: parse the command line, set up logging, dispatch.

fn main() -> std::process::ExitCode {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    regwatch::cli::main()
}
