//! The `critical-path` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    critical_path::main()
}
