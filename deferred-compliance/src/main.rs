fn main() -> std::process::ExitCode {
    deferred_compliance::main()
}
