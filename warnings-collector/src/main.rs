//! The `warnings-collector` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    warnings_collector::main()
}
