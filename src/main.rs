use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(casematch::app::run(std::env::args_os()))
}
