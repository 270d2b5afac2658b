//! The `test-impact` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    test_impact::main()
}
